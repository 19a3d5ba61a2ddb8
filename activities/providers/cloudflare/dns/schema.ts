// Config of traffic by a Cloudflare DNS record: the record, its two contents and the TTL written.
import { z } from 'zod';
import { duration } from '../../../duration.ts';

/** Cloudflare accepts a TTL of 1 (automatic) or 60–86400 s; 30–59 only on Enterprise zones (a warning). */
const dnsTtl = z
  .number()
  .int()
  .refine((ttl) => ttl === 1 || (ttl >= 30 && ttl <= 86_400), {
    error: 'Cloudflare accepts a TTL of 1 (automatic) or 60 to 86400 seconds (30 on Enterprise zones)',
  });

export const dnsTrafficSchema = z.strictObject({
  type: z.literal('cloudflare-dns'),
  zoneId: z.string().min(1),
  recordId: z.string().min(1),
  primaryContent: z.string().min(1),
  standbyContent: z.string().min(1),
  /** Seconds; 1 means "automatic" to Cloudflare. */
  ttl: dnsTtl.default(60),
  /** After failing back, the standby stays open this long for resolvers' cached answers; default from the TTL. */
  drainAfterFailback: duration.optional(),
});

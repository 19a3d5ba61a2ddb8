// Traffic by a Cloudflare DNS record: its content switched between the primary's and the standby's target.
import type { z } from 'zod';
import { defineProvider } from '../../descriptor.ts';
import { CLOUDFLARE_CALL_TIMEOUT_MS, sharedCloudflareClient } from '../client.ts';
import { CloudflareDnsTraffic } from './adapter.ts';
import { dnsDrainMs } from './drain.ts';
import { dnsTrafficSchema } from './schema.ts';
import { cloudflareTokenCheck } from '../token-readiness.ts';

function warnings(t: z.output<typeof dnsTrafficSchema>): string[] {
  const found: string[] = [];
  if (t.ttl > 1 && t.ttl < 60)
    found.push(
      `ttl: ${t.ttl} s is accepted by Cloudflare on Enterprise zones only (others: 1 = automatic, or 60 to 86400)`,
    );
  if (/\.run\.app\.?$/i.test(t.standbyContent))
    found.push(
      `standbyContent: ${t.standbyContent} is a Cloud Run URL, which cannot serve your hostname: Cloud Run routes by Host and serves its own *.run.app certificate. ` +
        'DNS mode needs a target that serves the public hostname with its certificate: a load balancer in front of the standby ' +
        '(a global external Application Load Balancer with a serverless NEG; with one, traffic type google-load-balancer switches its URL map instead of DNS), ' +
        'or a Cloud Run domain mapping of the public hostname (whose managed certificate Google issues only while the record points at it: docs/providers.md)',
    );
  return found;
}

export const dnsTraffic = defineProvider({
  kind: 'traffic',
  type: 'cloudflare-dns',
  schema: dnsTrafficSchema,
  build: (t, ctx) =>
    new CloudflareDnsTraffic({
      client: sharedCloudflareClient(ctx),
      zoneId: t.zoneId,
      recordId: t.recordId,
      primaryContent: t.primaryContent,
      standbyContent: t.standbyContent,
      ttl: t.ttl,
    }),
  // A read and a write of the record; 429s carry Retry-After.
  callProfile: { calls: 2, callTimeoutMs: CLOUDFLARE_CALL_TIMEOUT_MS, firstRetryMs: 500 },
  drainAfterFailbackMs: (t) => t.drainAfterFailback ?? dnsDrainMs(t.ttl),
  warnings,
  permissions: { cloudflare: ['DNS Write'] },
  readiness: async (t, ctx) => [await cloudflareTokenCheck(sharedCloudflareClient(ctx), t.zoneId, ['DNS Write'])],
});

// One site's part of the config's schema: its URLs, the provider behind each lever, probing and
// failback, and the rules that tie them together.
import { z } from 'zod';
import { duration } from './duration.ts';

export const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.input === undefined ? 'missing: an http(s) URL is needed' : 'expected an http(s) URL'),
});

/** A duration that must be more than 0, with why 0 is wrong here. */
export const positive = (why: string) => duration.refine((ms) => ms > 0, { error: `must be more than 0: ${why}` });

/** Cloudflare accepts a TTL of 1 (automatic) or 60–86400 s; 30–59 only on Enterprise zones (a warning). */
const dnsTtl = z
  .number()
  .int()
  .refine((ttl) => ttl === 1 || (ttl >= 30 && ttl <= 86_400), {
    error: 'Cloudflare accepts a TTL of 1 (automatic) or 60 to 86400 seconds (30 on Enterprise zones)',
  });

const endpoint = z.strictObject({
  url: httpUrl,
  /** A string only this target's body contains: tells the standby from the primary. */
  marker: z.string().min(1).optional(),
  expectStatus: z.number().int().min(100).max(599).default(200),
});

const standbyAccess = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('in-memory') }),
  z.strictObject({
    type: z.literal('cloud-run'),
    project: z.string().min(1),
    region: z.string().min(1),
    service: z.string().min(1),
  }),
  /** The standby is public all the time; only traffic is switched. */
  z.strictObject({ type: z.literal('always-open') }),
]);

const traffic = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('in-memory') }),
  z.strictObject({
    type: z.literal('cloudflare-page-rule'),
    zoneId: z.string().min(1),
    pageRuleId: z.string().min(1),
  }),
  z.strictObject({
    type: z.literal('cloudflare-redirect-rule'),
    zoneId: z.string().min(1),
    /** The zone's http_request_dynamic_redirect entrypoint ruleset; looked up when omitted. */
    rulesetId: z.string().min(1).optional(),
    ruleId: z.string().min(1),
  }),
  z.strictObject({
    type: z.literal('cloudflare-dns'),
    zoneId: z.string().min(1),
    recordId: z.string().min(1),
    primaryContent: z.string().min(1),
    standbyContent: z.string().min(1),
    /** Seconds; 1 means "automatic" to Cloudflare. */
    ttl: dnsTtl.default(60),
    /** After failing back, the standby stays open this long for resolvers' cached answers; default from the TTL. */
    drainAfterFailback: duration.optional(),
  }),
]);

const monitor = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('in-memory') }),
  z.strictObject({
    type: z.literal('cloud-monitoring'),
    alertPolicy: z
      .string()
      .regex(/^projects\/[^/]+\/alertPolicies\/[^/]+$/, 'expected projects/<project>/alertPolicies/<id>'),
  }),
  z.strictObject({ type: z.literal('none') }),
]);

const probe = z
  .strictObject({
    interval: positive('checks would run back to back').default(1000),
    /** Per request. */
    timeout: positive('a request with no time fails every check').default(3000),
    successesNeeded: z.number().int().min(1).max(20).default(2),
    /** Requests per check: a check passes if any of them does (rides over one dropped connection). */
    attempts: z.number().int().min(1).max(10).default(1),
    followRedirects: z.boolean().default(true),
    standbyReadyTimeout: positive('the standby would never be awaited and every failover rolled back').default(
      15 * 60_000,
    ),
    verifyTimeout: positive('the public URL would never be verified').default(2 * 60_000),
    primaryCheckTimeout: positive('the primary would never pass its check, so no failback could start').default(30_000),
    /** Before failing over on a Cloud Monitoring alert, check from the orchestrator that the primary fails.
     *  Turn off only for sites whose primary the orchestrator cannot reach. */
    confirmOutage: z.boolean().default(true),
  })
  .prefault({});

const failback = z
  .strictObject({
    mode: z.enum(['manual', 'auto']).default('manual'),
    holdDown: duration.default(5 * 60_000),
    /** Automatic failbacks that may fail (verification, provider errors) before a human must fail back. */
    maxAutoAttempts: z.number().int().min(1).max(100).default(3),
    /** Wait before the next automatic failback after a failed one; doubled each time, at most 1 h. */
    retryBackoff: duration.default(60_000),
  })
  .prefault({});

export const site = z
  .strictObject({
    publicUrl: httpUrl,
    primary: endpoint,
    standby: endpoint.extend({ access: standbyAccess }),
    traffic,
    monitor: monitor.default({ type: 'none' }),
    probe,
    failback,
  })
  .check(z.superRefine(checkSiteUrls));

/**
 * The primary and the standby are probed directly: a URL on the public hostname goes wherever the
 * traffic switch sends it (to the standby while on standby), so the primary's check could never
 * pass and no failback could ever start.
 */
function checkSiteUrls(
  s: { publicUrl: string; primary: { url: string }; standby: { url: string } },
  ctx: z.RefinementCtx,
): void {
  const host = (url: string) => {
    try {
      return new URL(url).host.toLowerCase(); // with the port: another port is another origin (the sandbox)
    } catch {
      return undefined; // reported by the URL's own rule
    }
  };
  const publicHost = host(s.publicUrl);
  for (const which of ['primary', 'standby'] as const) {
    if (publicHost !== undefined && host(s[which].url) === publicHost) {
      ctx.addIssue({
        code: 'custom',
        path: [which, 'url'],
        message: `is on the public hostname ${publicHost}, which the traffic switch redirects: probe the ${which} on its own hostname (e.g. the origin's), or failback can never pass`,
      });
    }
  }
}

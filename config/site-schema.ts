// One site's part of the config's schema: its URLs, the provider behind each lever, probing and
// failback, and the rules that tie them together.
import { z } from 'zod';
import { duration } from '../activities/duration.ts';
import type { LeverKind } from '../activities/providers/descriptor.ts';
import { type ProviderOf, providersOf } from '../activities/providers/registry.ts';

export const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.input === undefined ? 'missing: an http(s) URL is needed' : 'expected an http(s) URL'),
});

/** A duration that must be more than 0, with why 0 is wrong here. */
export const positive = (why: string) => duration.refine((ms) => ms > 0, { error: `must be more than 0: ${why}` });

const endpoint = z.strictObject({
  url: httpUrl,
  /** A string only this target's body contains: tells the standby from the primary. */
  marker: z.string().min(1).optional(),
  expectStatus: z.number().int().min(100).max(599).default(200),
});

/**
 * One lever's config: a union over the providers registered for it, told apart by `type`. Its
 * type is derived from the registry, so a config type always has its provider.
 */
function leverSchema<K extends LeverKind>(kind: K) {
  const [first, ...rest] = providersOf(kind).map((p) => p.schema);
  if (!first) throw new Error(`no provider registered for ${kind}`);
  return z.discriminatedUnion('type', [first, ...rest]) as unknown as z.ZodDiscriminatedUnion<
    ProviderOf<K>['schema'][],
    'type'
  >;
}

const standbyAccess = leverSchema('standbyAccess');
const traffic = leverSchema('traffic');
const monitor = leverSchema('monitor');

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

/**
 * A failover undone while the primary does not serve either leaves users with errors whatever the
 * orchestrator does: it retries on its own (a slow standby, a provider's bad minutes), a bounded
 * number of times, unless the cause is one a retry would meet again (permission, config).
 */
const failover = z
  .strictObject({
    /** Automatic retries from needs_attention after such a failover (0: wait for a human). */
    autoRetries: z.number().int().min(0).max(10).default(2),
    /** Wait before the first automatic retry (a human may answer first); doubled each time. */
    retryBackoff: duration.default(2 * 60_000),
  })
  .prefault({});

/** The readiness checks' own settings for a site (docs/readiness.md). */
const siteReadiness = z.strictObject({
  /** Where primary and standby expose their deployed version: the standby must not be behind. */
  version: z
    .strictObject({ header: z.string().min(1).optional(), jsonField: z.string().min(1).optional() })
    .refine((v) => (v.header === undefined) !== (v.jsonField === undefined), {
      error: 'name exactly one of header or jsonField',
    })
    .optional(),
});

export const site = z
  .strictObject({
    publicUrl: httpUrl,
    primary: endpoint,
    standby: endpoint.extend({
      access: standbyAccess,
      /** A warmed standby: its service-level minimum instances raised before it is opened (cloud-run, in-memory). */
      warmup: z.strictObject({ minInstances: z.number().int().min(1).max(1000) }).optional(),
    }),
    traffic,
    monitor: monitor.default({ type: 'none' }),
    probe,
    failover,
    failback,
    readiness: siteReadiness.optional(),
  })
  .check(z.superRefine(checkSiteUrls), z.superRefine(checkWarmup));

/** The warm-up raises the minimum instances of the standby-access service: only Cloud Run (and in-memory) have one. */
function checkWarmup(s: { standby: { access: { type: string }; warmup?: unknown } }, ctx: z.RefinementCtx): void {
  const { type } = s.standby.access;
  if (s.standby.warmup && type !== 'cloud-run' && type !== 'in-memory') {
    ctx.addIssue({
      code: 'custom',
      path: ['standby', 'warmup'],
      message: `needs standby.access of type cloud-run (its service's minimum instances are raised), not "${type}"`,
    });
  }
}

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

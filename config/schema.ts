// The sites config's schema: every field, its default and its rule. Secrets are never in the
// config: they come from the environment (see README, "Credentials").
import { z } from 'zod';
import { duration } from './duration.ts';

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.input === undefined ? 'missing: an http(s) URL is needed' : 'expected an http(s) URL'),
});

/** A duration that must be more than 0, with why 0 is wrong here. */
const positive = (why: string) => duration.refine((ms) => ms > 0, { error: `must be more than 0: ${why}` });

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

const site = z
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

const SITE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const temporal = z
  .strictObject({
    address: z.string().default('127.0.0.1:7233'),
    namespace: z.string().default('default'),
    taskQueue: z.string().default('failover'),
    tls: z
      .union([
        z.boolean(),
        z.strictObject({
          serverName: z.string().optional(),
          caFile: z.string().optional(),
          certFile: z.string().optional(),
          keyFile: z.string().optional(),
        }),
      ])
      .default(false),
  })
  .prefault({});

/** Cloud Monitoring alerts through Pub/Sub (starters/bridge/main.ts). */
const alerts = z.strictObject({
  /** Project of the subscription and of the dead-letter topic. */
  projectId: z.string().min(1),
  /** Subscription on the notification channel's topic: a short name or projects/<p>/subscriptions/<s>. */
  subscription: z.string().min(1),
  /** Alert policy user label that names the site. */
  siteLabel: z.string().min(1).default('failover_site'),
  /** Policy → site for policies without the label; keys: the policy's display name or resource name. */
  policies: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Rejected messages are also published here, with the reason in attributes. */
  deadLetterTopic: z.string().min(1).optional(),
  /** Flow control: messages held at once. */
  maxOutstanding: z.number().int().min(1).max(10_000).default(100),
  /** Larger payloads are rejected unread (real notifications are a few KiB). */
  maxMessageBytes: z
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(256 * 1024),
  /** "Send test notification" messages: acknowledged and logged (ignore), or handled like real ones. */
  testNotifications: z.enum(['ignore', 'trigger']).default('ignore'),
  /** Bound on one call to Temporal. */
  temporalTimeout: positive('every call to Temporal would time out').default(10_000),
  /** How long a message is retried in process while Temporal fails, before it is handed back for redelivery. */
  retryFor: duration.default(30_000),
  /** Graceful shutdown: in-flight messages get this long to finish. */
  drainTimeout: duration.default(30_000),
  /** Health (/healthz) and Prometheus metrics (/metrics); loopback unless a host is given (e.g. 0.0.0.0 in a container). */
  http: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(9465) })
    .prefault({}),
});

const LOCATION = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** Seconds-level health watcher (workflows/watch.ts): probes each site's primary. */
const watcher = z.strictObject({
  interval: positive('checks would run back to back').default(5000),
  /** Per check; defaults to the interval. */
  timeout: positive('a check with no time fails every time, and fails every watched site over').optional(),
  failuresToTrigger: z.number().int().min(1).max(100).default(3),
  /** Consecutive passing checks before the primary counts as healthy again. */
  successesToRecover: z.number().int().min(1).max(100).default(3),
  /** Probe vantage points; each runs a worker on the task queue `<taskQueue>-watch-<location>`. */
  locations: z
    .array(z.string().regex(LOCATION, 'location names are lower-case letters, digits and dashes'))
    .min(1)
    .default(['local']),
  /** How many locations must agree before the primary counts as down (or healthy again): a majority. */
  quorum: z.number().int().min(1).default(1),
  /** Accept a quorum of less than a majority of the locations (one location's view can fail every site over). */
  allowMinorityQuorum: z.boolean().default(false),
  /** Sites to watch; default: every site. */
  sites: z.array(z.string()).optional(),
});

/**
 * Where the provider SDKs send their requests. Omitted: the real Google and Cloudflare APIs.
 * Set for the local sandbox (sandbox/world.ts) or a proxy; credentials still come only from the
 * environment, and a plain-http Google endpoint is called without any credential.
 */
const apis = z
  .strictObject({
    google: z
      .strictObject({
        /** Host name (or host:port) of the endpoint, e.g. 127.0.0.1 for the sandbox. */
        apiEndpoint: z.string().min(1),
        port: z.number().int().min(1).max(65_535).optional(),
        protocol: z.enum(['http', 'https']).default('https'),
        /** Bound on one API call. */
        timeout: positive('every API call would time out').default(10_000),
      })
      .optional(),
    cloudflare: z
      .strictObject({
        /** e.g. http://127.0.0.1:8790/client/v4 for the sandbox. */
        baseURL: httpUrl,
        /** Bound on one API call. */
        timeout: positive('every API call would time out').default(10_000),
      })
      .optional(),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    temporal,
    apis,
    // Names are checked beside the values, so a bad name does not hide its site's other problems.
    sites: z.record(z.string(), site).check(
      z.superRefine(
        (sites, ctx) => {
          if (Object.keys(sites).length === 0) ctx.addIssue({ code: 'custom', message: 'at least one site is needed' });
          for (const name of Object.keys(sites)) {
            if (!SITE_NAME.test(name)) {
              ctx.addIssue({
                code: 'custom',
                path: [name],
                message: 'site names are lower-case letters, digits and dashes (used in workflow IDs)',
              });
            }
          }
        },
        { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
      ),
    ),
    alerts: alerts.optional(),
    watcher: watcher.optional(),
  })
  .check(z.superRefine(checkTriggerReferences));

/** The alert mapping and the watcher may only name configured sites. */
function checkTriggerReferences(
  config: {
    sites: Record<string, unknown>;
    alerts?: { policies: Record<string, string> };
    watcher?: { sites?: string[]; locations: string[]; quorum: number; allowMinorityQuorum: boolean };
  },
  ctx: z.RefinementCtx,
): void {
  const known = Object.keys(config.sites);
  const unknown = (site: string) => !known.includes(site);
  for (const [policy, site] of Object.entries(config.alerts?.policies ?? {})) {
    if (unknown(site))
      ctx.addIssue({
        code: 'custom',
        path: ['alerts', 'policies', policy],
        message: `unknown site "${site}"; known: ${known.join(', ')}`,
      });
  }
  const w = config.watcher;
  if (!w) return;
  w.sites?.forEach((site, i) => {
    if (unknown(site))
      ctx.addIssue({
        code: 'custom',
        path: ['watcher', 'sites', i],
        message: `unknown site "${site}"; known: ${known.join(', ')}`,
      });
  });
  if (new Set(w.locations).size !== w.locations.length)
    ctx.addIssue({ code: 'custom', path: ['watcher', 'locations'], message: 'locations must be distinct' });
  if (w.quorum > w.locations.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['watcher', 'quorum'],
      message: `quorum ${w.quorum} is more than the ${w.locations.length} location(s)`,
    });
  }
  const majority = Math.floor(w.locations.length / 2) + 1;
  if (w.quorum < majority && !w.allowMinorityQuorum) {
    ctx.addIssue({
      code: 'custom',
      path: ['watcher', 'quorum'],
      message: `quorum ${w.quorum} of ${w.locations.length} locations is not a majority (at least ${majority}): one location's view (its own network trouble) could fail every site over; raise it, or set watcher.allowMinorityQuorum: true to accept that`,
    });
  }
}

export type Config = z.infer<typeof configSchema>;
export type SiteConfig = Config['sites'][string];
export type TemporalConfig = Config['temporal'];
export type ApisConfig = Config['apis'];
export type AlertsConfig = NonNullable<Config['alerts']>;
export type WatcherConfig = NonNullable<Config['watcher']>;

// The sites config's schema: every field, its default and its rule. Secrets are never in the
// config: they come from the environment (see README, "Credentials").
import { z } from 'zod';
import { duration } from '../activities/duration.ts';
import { notifications } from './notifications-schema.ts';
import { httpUrl, positive, site } from './site-schema.ts';

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
    notifications: notifications.optional(),
    /** The readiness schedule of every site (docs/readiness.md). */
    readiness: z
      .strictObject({
        intervalMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(5),
        enabled: z.boolean().default(true),
      })
      .prefault({}),
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

// Cloud Monitoring incident notifications, as they arrive through Pub/Sub: decoding, validation
// and the site they concern. Pure: no I/O, so every odd input is a fast unit test.
import { z } from 'zod';

/** Why a message was acknowledged without acting on it (a metric label and a log field). */
export type RejectReason =
  | 'too_large' // over alerts.maxMessageBytes: not even decoded
  | 'empty'
  | 'not_utf8'
  | 'malformed_json' // not JSON, or truncated JSON
  | 'unknown_schema' // JSON, but not a version this bridge knows
  | 'invalid_incident' // a known version with missing or mistyped fields
  | 'unknown_site' // no site label, no mapping, or a site not in the config
  | 'test_notification'; // "Send test notification", with alerts.testNotifications = ignore

export interface SiteRouting {
  /** The alert policy user label naming the site. */
  siteLabel: string;
  /** Policy display name or resource name (projects/<p>/alertPolicies/<id>) → site. */
  policies: Record<string, string>;
  knownSites: readonly string[];
  /** Test notifications are rejected (with their own reason) unless this is true. */
  acceptTestNotifications: boolean;
  maxMessageBytes: number;
}

export interface ParsedAlert {
  site: string;
  state: 'open' | 'closed';
  incidentId: string;
  test: boolean;
  policyName?: string;
  conditionName?: string;
  summary?: string;
  /** ISO 8601. */
  startedAt?: string;
  endedAt?: string;
  url?: string;
}

export type ParseResult = { ok: true; alert: ParsedAlert } | { ok: false; reason: RejectReason; detail: string };

/** Epoch seconds (what Monitoring sends), an epoch-seconds string, or an ISO date; null while open. */
const timestamp = z.union([z.number(), z.string(), z.null()]).optional();

/**
 * Only the fields the bridge uses are checked; the rest (resource, metric, documentation,
 * observed_value, ...) pass through untouched, so additions to the schema do not break it.
 */
const incidentSchema = z.looseObject({
  incident_id: z.string().min(1).max(512),
  state: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['open', 'closed'])),
  policy_name: z.string().max(1024).optional(),
  condition_name: z.string().max(1024).optional(),
  condition: z.looseObject({ name: z.string().optional() }).nullish(),
  started_at: timestamp,
  ended_at: timestamp,
  url: z.string().max(4096).nullish(),
  summary: z.string().nullish(),
  policy_user_labels: z.record(z.string(), z.string()).nullish(),
});

const envelopeSchema = z.looseObject({ version: z.unknown(), incident: z.unknown() });

const KNOWN_VERSIONS = new Set(['1.2', 'test']);
const SUMMARY_MAX = 500;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseAlertMessage(data: Uint8Array, routing: SiteRouting): ParseResult {
  if (data.byteLength > routing.maxMessageBytes) {
    return reject('too_large', `${data.byteLength} bytes, more than the ${routing.maxMessageBytes} allowed`);
  }
  if (data.byteLength === 0) return reject('empty', 'no data');
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return reject('not_utf8', 'data is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // The parser's message names a position, never the content.
    return reject('malformed_json', `not JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return reject('unknown_schema', 'not an object with "version" and "incident"');
  const version = envelope.data.version;
  if (typeof version !== 'string' || !KNOWN_VERSIONS.has(version)) {
    return reject(
      'unknown_schema',
      `version ${typeof version === 'string' ? JSON.stringify(version.slice(0, 20)) : typeof version} is not one of ${[...KNOWN_VERSIONS].join(', ')}`,
    );
  }
  const parsed = incidentSchema.safeParse(envelope.data.incident);
  if (!parsed.success) {
    // Paths and codes only: never echo values from the payload into logs.
    const problems = parsed.error.issues.slice(0, 5).map((i) => `incident.${i.path.join('.') || '(root)'}: ${i.code}`);
    return reject('invalid_incident', problems.join('; '));
  }
  const incident = parsed.data;
  const test = version === 'test';
  const site = findSite(incident, routing);
  if (test && !routing.acceptTestNotifications) {
    const about = site.ok ? `for site ${site.site}` : `(${site.detail})`;
    return reject(
      'test_notification',
      `test notification ${about}: the channel works; alerts.testNotifications is "ignore"`,
    );
  }
  if (!site.ok) return site;
  return {
    ok: true,
    alert: {
      site: site.site,
      state: incident.state,
      incidentId: incident.incident_id,
      test,
      ...(incident.policy_name && { policyName: incident.policy_name }),
      ...(incident.condition_name && { conditionName: incident.condition_name }),
      ...(incident.summary && { summary: incident.summary.slice(0, SUMMARY_MAX) }),
      ...optionalIso('startedAt', incident.started_at),
      ...optionalIso('endedAt', incident.ended_at),
      ...(incident.url && { url: incident.url }),
    },
  };
}

type IncidentFields = z.infer<typeof incidentSchema>;

function findSite(
  incident: IncidentFields,
  routing: SiteRouting,
): { ok: true; site: string } | { ok: false; reason: 'unknown_site'; detail: string } {
  const labelled = incident.policy_user_labels?.[routing.siteLabel];
  const policyResource = policyResourceName(incident.condition?.name);
  const mapped =
    (incident.policy_name !== undefined ? routing.policies[incident.policy_name] : undefined) ??
    (policyResource !== undefined ? routing.policies[policyResource] : undefined);
  const site = labelled ?? mapped;
  if (site === undefined) {
    return {
      ok: false,
      reason: 'unknown_site',
      detail: `no "${routing.siteLabel}" policy user label and no alerts.policies entry for policy ${JSON.stringify(clip(incident.policy_name ?? policyResource ?? '(unnamed)'))}`,
    };
  }
  if (!routing.knownSites.includes(site)) {
    return {
      ok: false,
      reason: 'unknown_site',
      detail: `site ${JSON.stringify(clip(site))} is not in the config's sites`,
    };
  }
  return { ok: true, site };
}

/** projects/p/alertPolicies/123/conditions/456 → projects/p/alertPolicies/123 */
function policyResourceName(conditionName: string | undefined): string | undefined {
  const m = conditionName ? /^(projects\/[^/]+\/alertPolicies\/[^/]+)\/conditions\/[^/]+$/.exec(conditionName) : null;
  return m?.[1];
}

function optionalIso<K extends string>(key: K, value: number | string | null | undefined): Partial<Record<K, string>> {
  const iso = toIso(value);
  return iso === undefined ? {} : ({ [key]: iso } as Record<K, string>);
}

export function toIso(value: number | string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
  const ms = n !== undefined ? n * 1000 : Date.parse(value as string);
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function clip(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function reject(reason: RejectReason, detail: string): { ok: false; reason: RejectReason; detail: string } {
  return { ok: false, reason, detail };
}

// What a drill rehearses: the knobs that answer "what would my downtime be if…", and named
// presets of them. Durations are in ms here; the command line takes 500ms / 5s / 2m.
import type { TrafficModeName } from '../sandbox/traffic/modes.ts';

export type Detection = 'watcher' | 'monitoring';
/** How traffic is switched: any traffic mode of the sandbox (sandbox/traffic/modes.ts). */
export type Traffic = TrafficModeName;

export interface Scenario {
  name: string;
  /** Who notices the outage: the health watcher, or Cloud Monitoring (uptime check → alert → Pub/Sub → bridge). */
  detect: Detection;
  watchIntervalMs: number;
  watchK: number;
  /** Cloud Monitoring uptime check period (real: 60 s at least). */
  uptimePeriodMs: number;
  /** The alert condition's duration: failing checks must span it. */
  alertDurationMs: number;
  /** Alerting pipeline: condition met → notification published. */
  alertDelayMs: number;
  /** Multiplies the three Monitoring timings (0.1: ten times faster than real). 1 = real time. */
  timeScale: number;
  /** emulator: the real Pub/Sub emulator + the bridge process; direct: signal-with-start as the bridge does. */
  pubsub: 'emulator' | 'direct';
  /** Cloud Run IAM change → standby serving. */
  iamDelayMs: number;
  /** open: the standby is public all the time (only traffic moves); on-demand: allUsers is granted at failover. */
  standby: 'open' | 'on-demand';
  traffic: Traffic;
  /** DNS mode: the record's TTL, honoured by each user's resolver. */
  dnsTtlSeconds: number;
  /** The standby's cold start: its first page after being idle waits this long for an instance (0: none). */
  coldStartMs: number;
  /** standby.warmup: minimum instances kept while failed over (0: no warm-up; needs the standby on demand). */
  warmStandby: number;
  /** Added to every provider API call. */
  providerLatencyMs: number;
  /** Share of provider API calls that fail (retried by the workflow). */
  faultRate: number;
  faultStatus: 429 | 500 | 503;
  failback: 'auto' | 'manual';
  holdDownMs: number;
  killMode: 'refuse' | '503';
  /** Load: total requests/s, virtual users, per-request timeout. */
  rate: number;
  users: number;
  timeoutMs: number;
  repeat: number;
  /** Load before the failure; time on standby before the primary comes back; load after the failback. */
  warmupMs: number;
  onStandbyMs: number;
  tailMs: number;
}

export const BASE: Scenario = {
  name: 'open-standby',
  detect: 'watcher',
  watchIntervalMs: 1000,
  watchK: 3,
  uptimePeriodMs: 60_000,
  alertDurationMs: 60_000,
  alertDelayMs: 30_000,
  timeScale: 1,
  pubsub: 'emulator',
  iamDelayMs: 0,
  standby: 'open',
  traffic: 'redirect-rule',
  dnsTtlSeconds: 60,
  coldStartMs: 0,
  warmStandby: 0,
  providerLatencyMs: 0,
  faultRate: 0,
  faultStatus: 503,
  failback: 'auto',
  holdDownMs: 5000,
  killMode: 'refuse',
  rate: 40,
  users: 8,
  timeoutMs: 2000,
  repeat: 1,
  warmupMs: 3000,
  onStandbyMs: 3000,
  tailMs: 3000,
};

export const PRESETS: Record<string, { about: string; set: Partial<Scenario> }> = {
  'open-standby': { about: 'watcher 1 s × 3, standby kept open (only traffic moves), redirect rule', set: {} },
  'on-demand': {
    about: 'watcher 1 s × 3, standby opened on demand, IAM applies at once',
    set: { standby: 'on-demand' },
  },
  'iam-120s': {
    about: 'watcher 1 s × 3, standby opened on demand, Cloud Run IAM takes 120 s to apply',
    set: { standby: 'on-demand', iamDelayMs: 120_000 },
  },
  'cloud-monitoring': {
    about:
      'Cloud Monitoring path: uptime check every 60 s, condition 60 s, alert published 30 s later → Pub/Sub → bridge; standby open',
    set: { detect: 'monitoring' },
  },
  'page-rule': { about: 'watcher 1 s × 3, standby open, page rule', set: { traffic: 'page-rule' } },
  'dns-60s': {
    about: 'watcher 1 s × 3, standby open, DNS record (TTL 60 s, honoured by resolvers)',
    set: { traffic: 'dns', dnsTtlSeconds: 60 },
  },
  gclb: {
    about: 'watcher 1 s × 3, standby open, Google Cloud load balancer URL map',
    set: { traffic: 'load-balancer' },
  },
  'flaky-providers': {
    about: 'watcher 1 s × 3, standby on demand, providers 200 ms/call and 20 % of calls answer 503',
    set: { standby: 'on-demand', providerLatencyMs: 200, faultRate: 0.2, faultStatus: 503 },
  },
};

export function preset(name: string, overrides: Partial<Scenario> = {}): Scenario {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown scenario "${name}"; known: ${Object.keys(PRESETS).join(', ')}`);
  return { ...BASE, ...p.set, ...overrides, name };
}

/** One line that says what was rehearsed, for the report and the terminal. */
export function describe(s: Scenario): string {
  const detect =
    s.detect === 'watcher'
      ? `watcher ${s.watchIntervalMs / 1000} s × ${s.watchK}`
      : `Cloud Monitoring: uptime check every ${(s.uptimePeriodMs * s.timeScale) / 1000} s, condition ${(s.alertDurationMs * s.timeScale) / 1000} s, alert +${(s.alertDelayMs * s.timeScale) / 1000} s` +
        (s.timeScale !== 1
          ? ` (time-compressed ×${1 / s.timeScale}: real ${s.uptimePeriodMs / 1000}/${s.alertDurationMs / 1000}/${s.alertDelayMs / 1000} s)`
          : '') +
        ` → ${s.pubsub === 'emulator' ? 'Pub/Sub emulator → bridge' : 'signal-with-start as the bridge does (no emulator)'}`;
  const standby =
    s.standby === 'open' ? 'standby kept open' : `standby opened on demand (IAM delay ${s.iamDelayMs / 1000} s)`;
  const traffic = s.traffic === 'dns' ? `DNS (TTL ${s.dnsTtlSeconds} s)` : s.traffic;
  const cold =
    (s.coldStartMs ? `; cold start ${s.coldStartMs / 1000} s` : '') +
    (s.warmStandby ? `; warmed standby (${s.warmStandby} min instances)` : '');
  const providers =
    s.providerLatencyMs || s.faultRate
      ? `; providers +${s.providerLatencyMs} ms/call, ${Math.round(s.faultRate * 100)} % → ${s.faultStatus}`
      : '';
  const failback =
    s.failback === 'auto'
      ? `auto failback after ${s.holdDownMs / 1000} s hold-down`
      : 'failback approved by a human (signal)';
  return `${detect}; ${standby}${cold}; ${traffic}${providers}; ${failback}; load ${s.rate} req/s from ${s.users} users, timeout ${s.timeoutMs / 1000} s; primary ${s.killMode === 'refuse' ? 'refuses connections' : 'answers 503'}`;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
export function parseDuration(v: string): number {
  const m = DURATION.exec(v.trim());
  if (!m) throw new Error(`expected a duration like 500ms, 5s or 2m, got "${v}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']!;
  return Math.round(Number(m[1]) * unit);
}

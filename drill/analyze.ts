// What users saw during one rehearsal, from the load generator's samples and the incident's
// status (steps with startedAt/endedAt): the timeline, the downtime, the error kinds, latency
// percentiles before/during/after, for the failover and for the failback. Pure functions.
import { FAILBACK_STEPS } from '../workflows/incident-types.ts';
import type { ErrorKind, Sample } from './load.ts';

export interface StepLike {
  name: string;
  startedAt: number;
  endedAt?: number;
  attempts?: number;
  outcome: string;
  summary?: string;
  error?: string;
}

export interface StatusLike {
  phase: string;
  startedAt: number;
  onStandbyAt?: number;
  endedAt?: number;
  cause?: string;
  warnings?: string[];
  triggers: Array<{ kind: string; source: string; at: number; ignored?: string; id?: string }>;
  steps: StepLike[];
}

export interface ExtraEvent {
  at: number;
  label: string;
  kind: 'inject' | 'detect' | 'note';
}

/** One rehearsal's raw record (what data.json keeps per repeat). */
export interface RunRecord {
  repeat: number;
  /** Failure injected (primary killed). */
  t0: number;
  loadStart: number;
  /** Primary revived. */
  reviveAt?: number;
  loadEnd: number;
  samples: Sample[];
  status?: StatusLike;
  /** Events the drill saw itself (uptime checks, alert published, …). */
  events: ExtraEvent[];
  error?: string;
  /** The machine's 1-minute load average at the start and the end (a loaded machine slows every step). */
  loadAvg?: [number, number];
}

export interface TimelineEntry {
  at: number;
  /** Seconds since the failure was injected. */
  offset: number;
  label: string;
  kind: 'inject' | 'users' | 'detect' | 'step' | 'milestone' | 'note';
  phase: 'failover' | 'failback';
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface WindowReport {
  /** Requests in the window and how many failed. */
  requests: number;
  failed: number;
  /** From the first failed request to the first good one after the last failed one (ms); 0 if none failed. */
  downtimeMs: number;
  firstBad?: number;
  lastBad?: number;
  firstGoodAfter?: number;
  byStatus: Record<string, number>;
  byKind: Partial<Record<ErrorKind, number>>;
  latency: { before: Percentiles; during: Percentiles; after: Percentiles };
}

export interface RunAnalysis {
  repeat: number;
  ok: boolean;
  error?: string;
  phase?: string;
  timeline: TimelineEntry[];
  /** Failure injected → incident triggered (ms). */
  detectionMs?: number;
  /** Triggered → public URL verified on the standby (ms). */
  failoverMs?: number;
  /** Primary back → failback resolved (ms). */
  failbackMs?: number;
  /** await_standby_ready: the standby probed until it served (its cold start, if any, is in it). */
  standbyReadyMs?: number;
  /** The latency of the first user request the standby answered. */
  firstStandbyMs?: number;
  failover: WindowReport;
  failback?: WindowReport;
  /** Requests answered before the failure that failed (should be 0: the drill's own noise floor). */
  failedBefore: number;
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { n: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { n: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1]! };
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const isBad = (s: Sample) => s.kind !== 'ok';

/** When a request's answer (or error) came: what decides which window it belongs to. */
const endOf = (s: Sample) => s.t + s.ms;

/**
 * Requests answered in [from, to) and what users saw. A request belongs to the window in which it
 * completed: one started just before the failure and cut off by it failed because of it.
 */
function windowReport(samples: Sample[], from: number, to: number, before: Sample[], settledAt?: number): WindowReport {
  const inWin = samples.filter((s) => endOf(s) >= from && endOf(s) < to);
  const bad = inWin.filter(isBad);
  const firstBad = bad[0]?.t;
  const lastBad = bad.at(-1)?.t;
  const firstGoodAfter = lastBad === undefined ? undefined : inWin.find((s) => s.t > lastBad && !isBad(s))?.t;
  const lastBadSample = bad.at(-1);
  const downtimeMs =
    firstBad === undefined
      ? 0
      : (firstGoodAfter ?? (lastBadSample ? lastBadSample.t + lastBadSample.ms : firstBad)) - firstBad;
  const byStatus: Record<string, number> = {};
  const byKind: Partial<Record<ErrorKind, number>> = {};
  for (const s of inWin) {
    byStatus[s.status === 0 ? 'no response' : String(s.status)] =
      (byStatus[s.status === 0 ? 'no response' : String(s.status)] ?? 0) + 1;
    byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
  }
  // "during": from the window's start until users are served again and the change has settled.
  const duringEnd = Math.max(firstGoodAfter ?? from, settledAt ?? from);
  return {
    requests: inWin.length,
    failed: bad.length,
    downtimeMs,
    ...(firstBad !== undefined && { firstBad }),
    ...(lastBad !== undefined && { lastBad }),
    ...(firstGoodAfter !== undefined && { firstGoodAfter }),
    byStatus,
    byKind,
    latency: {
      before: percentiles(before.map((s) => s.ms)),
      during: percentiles(inWin.filter((s) => s.t < duringEnd).map((s) => s.ms)),
      after: percentiles(inWin.filter((s) => s.t >= duringEnd).map((s) => s.ms)),
    },
  };
}

const FAILBACK = new Set<string>([...FAILBACK_STEPS, 'undo_route_traffic_to_primary']);

export function analyzeRun(run: RunRecord): RunAnalysis {
  const { t0, samples, status } = run;
  const off = (at: number) => Math.round(at - t0) / 1000;
  const timeline: TimelineEntry[] = [];
  const add = (at: number | undefined, label: string, kind: TimelineEntry['kind'], phase: TimelineEntry['phase']) => {
    if (at !== undefined && Number.isFinite(at)) timeline.push({ at, offset: off(at), label, kind, phase });
  };
  const reviveAt = run.reviveAt ?? run.loadEnd;
  const resolvedAt = status?.phase === 'resolved' ? status.endedAt : undefined;
  const before = samples.filter((s) => endOf(s) < t0);
  const onStandbyAt = status?.onStandbyAt;
  const failover = windowReport(samples, t0, reviveAt, before, onStandbyAt);
  // Failback: "before" is the time on standby once users were served again.
  const standbySteady = samples.filter(
    (s) => s.t >= (failover.firstGoodAfter ?? onStandbyAt ?? t0) && endOf(s) < reviveAt,
  );
  const failback =
    run.reviveAt !== undefined ? windowReport(samples, reviveAt, Infinity, standbySteady, resolvedAt) : undefined;

  add(t0, 'failure injected (primary killed)', 'inject', 'failover');
  add(failover.firstBad, 'first failed request', 'users', 'failover');
  for (const e of run.events)
    add(
      e.at,
      e.label,
      e.kind === 'inject' ? 'inject' : e.kind === 'detect' ? 'detect' : 'note',
      e.at >= reviveAt ? 'failback' : 'failover',
    );
  const trigger = status?.triggers.find((t) => t.kind === 'alert_opened' && !t.ignored);
  add(trigger?.at, `detected: incident triggered (${trigger?.source ?? '?'})`, 'detect', 'failover');
  // The other messages the incident received: duplicates, the watcher's "primary recovered", a human's approval.
  for (const t of (status?.triggers ?? []).filter((x) => x !== trigger).slice(0, 12)) {
    const what =
      {
        alert_opened: 'alert opened',
        alert_closed: 'alert closed',
        primary_recovered: 'primary recovered',
        failback_requested: 'failback requested',
        abort: 'abort',
      }[t.kind] ?? t.kind;
    add(
      t.at,
      `${what} (${t.source})${t.ignored ? `, ignored: ${t.ignored}` : ''}`,
      'note',
      reviveAt <= t.at ? 'failback' : 'failover',
    );
  }
  for (const step of status?.steps ?? []) {
    const phase = FAILBACK.has(step.name) ? 'failback' : 'failover';
    add(step.startedAt, `${step.name} started`, 'step', phase);
    const tail = step.outcome === 'ok' ? 'finished' : step.outcome;
    const attempts = step.attempts && step.attempts > 1 ? ` after ${step.attempts} attempts` : '';
    add(step.endedAt, `${step.name} ${tail}${attempts}`, 'step', phase);
  }
  const routed = status?.steps.find((s) => s.name === 'route_traffic_to_standby' && s.outcome === 'ok');
  add(routed?.endedAt, 'traffic on standby', 'milestone', 'failover');
  const firstStandby = samples.find((s) => s.t >= t0 && s.kind === 'ok' && s.servedBy === 'standby');
  add(firstStandby?.t, 'first good response (from the standby)', 'users', 'failover');
  add(onStandbyAt, 'verified: public URL serves the standby', 'milestone', 'failover');
  add(failover.lastBad, 'last failed request (failover)', 'users', 'failover');
  add(run.reviveAt, 'primary back (revived)', 'inject', 'failback');
  const routedBack = status?.steps.find((s) => s.name === 'route_traffic_to_primary' && s.outcome === 'ok');
  add(routedBack?.endedAt, 'traffic on primary', 'milestone', 'failback');
  const firstPrimary =
    run.reviveAt !== undefined
      ? samples.find((s) => s.t >= reviveAt && s.kind === 'ok' && s.servedBy === 'primary')
      : undefined;
  add(firstPrimary?.t, 'first good response from the primary again', 'users', 'failback');
  add(resolvedAt, 'resolved: back on the primary, standby closed', 'milestone', 'failback');
  if (failback?.firstBad !== undefined) add(failback.firstBad, 'first failed request (failback)', 'users', 'failback');
  if (failback?.lastBad !== undefined) add(failback.lastBad, 'last failed request (failback)', 'users', 'failback');
  timeline.sort((a, b) => a.at - b.at);

  const verified = onStandbyAt;
  const ready = status?.steps.find((s) => s.name === 'await_standby_ready' && s.outcome === 'ok');
  const ok = !run.error && status?.phase === 'resolved';
  return {
    repeat: run.repeat,
    ok,
    ...(run.error && { error: run.error }),
    ...(status && { phase: status.phase }),
    timeline,
    ...(trigger && { detectionMs: trigger.at - t0 }),
    ...(trigger && verified !== undefined && { failoverMs: verified - trigger.at }),
    ...(run.reviveAt !== undefined && resolvedAt !== undefined && { failbackMs: resolvedAt - run.reviveAt }),
    ...(ready?.endedAt !== undefined && { standbyReadyMs: ready.endedAt - ready.startedAt }),
    ...(firstStandby && { firstStandbyMs: firstStandby.ms }),
    failover,
    ...(failback && { failback }),
    failedBefore: before.filter(isBad).length,
  };
}

export interface ScenarioSummary {
  runs: number;
  succeeded: number;
  downtimeMs?: number;
  failedRequests?: number;
  detectionMs?: number;
  failoverMs?: number;
  failbackMs?: number;
  failbackFailed?: number;
  failbackDowntimeMs?: number;
  /** Per repeat, for min/max. */
  downtimes: number[];
  failbackFailedPerRun: number[];
}

/** Medians over the repeats that completed. */
export function summarize(analyses: RunAnalysis[]): ScenarioSummary {
  const done = analyses.filter((a) => a.ok);
  const pick = (f: (a: RunAnalysis) => number | undefined) =>
    median(done.map(f).filter((v): v is number => v !== undefined));
  return {
    runs: analyses.length,
    succeeded: done.length,
    downtimeMs: pick((a) => a.failover.downtimeMs),
    failedRequests: pick((a) => a.failover.failed),
    detectionMs: pick((a) => a.detectionMs),
    failoverMs: pick((a) => a.failoverMs),
    failbackMs: pick((a) => a.failbackMs),
    failbackFailed: pick((a) => a.failback?.failed),
    failbackDowntimeMs: pick((a) => a.failback?.downtimeMs),
    downtimes: done.map((a) => a.failover.downtimeMs),
    failbackFailedPerRun: done.map((a) => a.failback?.failed ?? 0),
  };
}

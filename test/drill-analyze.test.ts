// The drill's arithmetic: downtime, error kinds, percentiles, timeline, medians — on samples
// made up so that every figure is known in advance.
import { describe, expect, it } from 'vitest';
import { analyzeRun, median, percentiles, summarize, type RunRecord } from '../drill/analyze.ts';
import type { Sample } from '../drill/load.ts';

const T0 = 1_000_000;

function samples(from: number, to: number, every: number, make: (t: number) => Partial<Sample>): Sample[] {
  const out: Sample[] = [];
  for (let t = from; t < to; t += every)
    out.push({ t, ms: 5, status: 200, kind: 'ok', servedBy: 'primary', hops: 0, user: 0, ...make(t) });
  return out;
}

/** Primary dies at T0; 521s for 3 s; standby from T0+3 s; revived at T0+6 s; back on the primary at T0+8 s. */
function run(extra: Sample[] = []): RunRecord {
  const s = [
    ...samples(T0 - 2000, T0, 100, () => ({})),
    ...samples(T0, T0 + 3000, 100, () => ({ status: 521, kind: '5xx', servedBy: undefined, ms: 2 })),
    ...samples(T0 + 3000, T0 + 8000, 100, () => ({ servedBy: 'standby', hops: 1, ms: 9 })),
    ...samples(T0 + 8000, T0 + 10_000, 100, () => ({})),
    ...extra,
  ].sort((a, b) => a.t - b.t);
  return {
    repeat: 1,
    t0: T0,
    loadStart: T0 - 2000,
    reviveAt: T0 + 6000,
    loadEnd: T0 + 10_000,
    samples: s,
    events: [],
    status: {
      phase: 'resolved',
      startedAt: T0 + 2500,
      onStandbyAt: T0 + 3050,
      endedAt: T0 + 8100,
      triggers: [
        { kind: 'alert_opened', source: 'watcher', at: T0 + 2500 },
        { kind: 'alert_opened', source: 'watcher', at: T0 + 2600, ignored: 'duplicate' },
      ],
      steps: [
        { name: 'enable_standby_access', startedAt: T0 + 2510, endedAt: T0 + 2600, outcome: 'ok' },
        { name: 'route_traffic_to_standby', startedAt: T0 + 2900, endedAt: T0 + 2990, outcome: 'ok', attempts: 3 },
        { name: 'route_traffic_to_primary', startedAt: T0 + 7950, endedAt: T0 + 7990, outcome: 'ok' },
      ],
    },
  };
}

describe('drill analysis', () => {
  it('measures the failover as users saw it', () => {
    const a = analyzeRun(run());
    expect(a.ok).toBe(true);
    expect(a.failover.failed).toBe(30);
    expect(a.failover.firstBad).toBe(T0);
    expect(a.failover.lastBad).toBe(T0 + 2900);
    expect(a.failover.downtimeMs).toBe(3000); // first failure → first good request after the last one
    expect(a.failover.byStatus).toEqual({ '521': 30, '200': 30 });
    expect(a.failover.byKind).toEqual({ '5xx': 30, ok: 30 });
    expect(a.detectionMs).toBe(2500);
    expect(a.failoverMs).toBe(550);
    expect(a.failbackMs).toBe(2100);
    expect(a.failedBefore).toBe(0);
    expect(a.failover.latency.before).toMatchObject({ n: 20, p50: 5 });
    // "during" lasts until users are served again and the incident verified it (T0+3050).
    expect(a.failover.latency.during).toMatchObject({ n: 31, p50: 2, max: 9 });
    expect(a.failover.latency.after).toMatchObject({ n: 29, p50: 9, max: 9 });
  });

  it('counts no failback failure when there is none, and every one when there is', () => {
    expect(analyzeRun(run()).failback).toMatchObject({ failed: 0, downtimeMs: 0 });
    const closed: Sample[] = [
      { t: T0 + 8020, ms: 3, status: 403, kind: 'standby-closed-403', hops: 1, user: 1 },
      { t: T0 + 8070, ms: 2000, status: 0, kind: 'timeout', hops: 0, user: 2 },
    ];
    const a = analyzeRun(run(closed));
    expect(a.failback?.failed).toBe(2);
    expect(a.failback?.byKind).toMatchObject({ 'standby-closed-403': 1, timeout: 1 });
    expect(a.failback?.downtimeMs).toBe(80 + 0); // 8020 → first good after 8070 (8100)
    expect(a.timeline.map((e) => e.label)).toContain('last failed request (failback)');
  });

  it('counts a request cut off by the failure in the failover, not before it', () => {
    const inFlight: Sample = { t: T0 - 50, ms: 100, status: 521, kind: '5xx', hops: 0, user: 3 };
    const a = analyzeRun(run([inFlight]));
    expect(a.failedBefore).toBe(0);
    expect(a.failover.failed).toBe(31);
    expect(a.failover.firstBad).toBe(T0 - 50);
    expect(a.failover.downtimeMs).toBe(3050);
    expect(a.timeline[0]?.label).toBe('first failed request');
  });

  it('writes the timeline in order, with offsets from the failure and the steps', () => {
    const a = analyzeRun(run());
    const labels = a.timeline.map((e) => `${e.offset} ${e.label}`);
    expect(labels[0]).toBe('0 failure injected (primary killed)');
    expect(labels).toContain('2.5 detected: incident triggered (watcher)');
    expect(labels).toContain('2.99 route_traffic_to_standby finished after 3 attempts');
    expect(labels).toContain('6 primary back (revived)');
    expect(labels.at(-1)).toBe('8.1 resolved: back on the primary, standby closed');
    const offsets = a.timeline.map((e) => e.offset);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(a.timeline.find((e) => e.label.startsWith('route_traffic_to_primary'))?.phase).toBe('failback');
  });

  it('marks a rehearsal that did not resolve as failed, and medians skip it', () => {
    const broken = { ...run(), repeat: 2, error: 'the failover ended rolled_back' };
    const ok = analyzeRun(run());
    const bad = analyzeRun(broken);
    expect(bad.ok).toBe(false);
    const summary = summarize([ok, bad, { ...ok, repeat: 3, failover: { ...ok.failover, downtimeMs: 5000 } }]);
    expect(summary).toMatchObject({ runs: 3, succeeded: 2, downtimeMs: 4000 });
  });

  it('percentiles and medians', () => {
    expect(percentiles([])).toEqual({ n: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    expect(percentiles(Array.from({ length: 100 }, (_, i) => i + 1))).toEqual({
      n: 100,
      p50: 50,
      p90: 90,
      p99: 99,
      max: 100,
    });
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});

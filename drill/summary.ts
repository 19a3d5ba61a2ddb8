// The one-screen summary printed at the end of a drill, and helpers the report shares.
import type { Percentiles, RunAnalysis, WindowReport } from './analyze.ts';
import type { DrillResult } from './result.ts';

/** The origin's hand-measured failovers (README.md): 13 min at first, about 3 min optimised. */
export const ORIGIN = { firstMs: 13 * 60_000, optimisedMs: 3 * 60_000, detectMs: 157_000 };

/**
 * A time-compressed Monitoring drill (--time-scale k < 1) measured the detection k times faster
 * than real; its real-time equivalent scales the detection back (the rest was not compressed).
 */
export function realTimeDowntime(sc: DrillResult['scenarios'][number]): number | undefined {
  const m = sc.summary;
  const k = sc.scenario.timeScale;
  if (m.downtimeMs === undefined || k === 1 || sc.scenario.detect !== 'monitoring') return m.downtimeMs;
  return m.downtimeMs + (m.detectionMs ?? 0) * (1 / k - 1);
}

export const secs = (ms: number | undefined, digits = 2): string =>
  ms === undefined ? '–' : `${(ms / 1000).toFixed(digits)} s`;

export function times(ms: number | undefined, ref: number): string {
  if (ms === undefined) return '–';
  if (ms <= 0) return '∞';
  const k = ref / ms;
  return k >= 10 ? `${Math.round(k)}×` : `${k.toFixed(1)}×`;
}

/** The repeat whose downtime is the median (what the timeline shows). */
export function medianRun(analyses: RunAnalysis[]): RunAnalysis | undefined {
  const ok = analyses.filter((a) => a.ok);
  const pool = ok.length ? ok : analyses;
  const sorted = [...pool].sort((a, b) => a.failover.downtimeMs - b.failover.downtimeMs);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function kinds(w: WindowReport): string {
  const parts = Object.entries(w.byKind)
    .filter(([k]) => k !== 'ok')
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function statuses(w: WindowReport): string {
  return Object.entries(w.byStatus)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}

const lat = (p: Percentiles) => (p.n ? `${p.p50}/${p.p99} ms` : '–');

export function terminalSummary(r: DrillResult): string {
  const out: string[] = [];
  const repeats = r.scenarios.map((s) => s.summary.runs);
  out.push('');
  out.push(
    `failover drill (${r.mode}), ${r.startedAt}: ${repeats.join('/')} rehearsal(s) per scenario, medians${r.machine ? `; ${r.machine.cpus} cores, load average ${r.machine.loadAvg}` : ''}`,
  );
  out.push('');
  const head = [
    'scenario',
    'ok',
    'downtime',
    'failed req',
    'detect',
    'failover',
    'failback',
    'fb failed',
    'vs 3 min',
    'vs 13 min',
  ];
  const rows = r.scenarios.map((s) => {
    const m = s.summary;
    const real = realTimeDowntime(s);
    return [
      s.scenario.name,
      `${m.succeeded}/${m.runs}`,
      secs(m.downtimeMs),
      String(m.failedRequests ?? '–'),
      secs(m.detectionMs),
      secs(m.failoverMs),
      secs(m.failbackMs),
      String(m.failbackFailed ?? '–'),
      times(real, ORIGIN.optimisedMs),
      times(real, ORIGIN.firstMs),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out.push(line(head));
  for (const row of rows) out.push(line(row));
  out.push(
    '  downtime: first failed request → first good one after the last failure, as users saw it; detect: failure → incident triggered;',
  );
  out.push(
    '  failover: triggered → public URL verified on the standby; failback: primary back → resolved; origin: 13 min, then ~3 min.',
  );

  const first = r.scenarios[0];
  const a = first && medianRun(first.analyses);
  if (first && a) {
    out.push('');
    out.push(`${first.scenario.name}, repeat ${a.repeat} (the median): ${first.description}`);
    for (const e of a.timeline)
      out.push(`  ${(e.offset >= 0 ? '+' : '') + e.offset.toFixed(3).padStart(8)} s  ${e.label}`);
    const fo = a.failover;
    out.push(
      `failover: ${fo.failed} of ${fo.requests} requests failed over ${secs(fo.downtimeMs)} (${kinds(fo)}); latency p50/p99 before ${lat(fo.latency.before)}, during ${lat(fo.latency.during)}, after ${lat(fo.latency.after)}`,
    );
    const fb = a.failback;
    if (fb)
      out.push(
        `failback: ${fb.failed} of ${fb.requests} requests failed${fb.failed ? ` over ${secs(fb.downtimeMs)} (${kinds(fb)})` : ''}; latency p50/p99 before ${lat(fb.latency.before)}, during ${lat(fb.latency.during)}, after ${lat(fb.latency.after)}`,
      );
    if (a.error) out.push(`error: ${a.error}`);
  }
  for (const s of r.scenarios) {
    if (realTimeDowntime(s) !== s.summary.downtimeMs) {
      out.push(
        `note (${s.scenario.name}): time-compressed ×${1 / s.scenario.timeScale}; real-time equivalent downtime ≈ ${secs(realTimeDowntime(s))} (detection scaled back; the "vs" columns use it)`,
      );
    }
  }
  for (const s of r.scenarios) for (const n of s.notes) out.push(`note (${s.scenario.name}): ${n}`);
  for (const s of r.scenarios)
    for (const a2 of s.analyses) if (a2.error) out.push(`${s.scenario.name} repeat ${a2.repeat}: ${a2.error}`);
  return out.join('\n');
}

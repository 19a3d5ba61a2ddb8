// How the CLI prints: aligned tables, ages, durations, and one line per step or trigger.
import type { StepRecord, TriggerRecord } from '../../workflows/incident-types.ts';

export function table(rows: string[][], header: string[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '-';
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

const MARK: Record<StepRecord['outcome'], string> = { running: '▸', ok: '✓', failed: '✗', cancelled: '⊘' };

export function stepLine(step: StepRecord, t0: number): string {
  const took = step.endedAt !== undefined ? seconds(step.endedAt - step.startedAt) : 'running';
  const what = step.error ?? step.summary ?? '';
  const attempts = step.attempts && step.attempts > 1 ? ` (attempt ${step.attempts})` : '';
  return `${MARK[step.outcome]} ${step.name.padEnd(30)} +${seconds(step.startedAt - t0).padStart(7)}  ${took.padStart(8)}  ${what}${attempts}`;
}

export function triggerLine(t: TriggerRecord, t0: number): string {
  return `${`+${seconds(t.at - t0)}`.padStart(9)}  ${t.kind.padEnd(18)} ${(t.id ?? '').padEnd(24)} from ${t.source}${t.ignored ? `  (ignored: ${t.ignored})` : ''}`;
}

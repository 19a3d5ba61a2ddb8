// The bounds of automatic failback: how long to back off after a failed attempt (a verification
// that failed, or a primary that failed again once users were back on it), and when to stop and
// leave the failback to a human (docs/workflow.md "On standby, and failback").
import type { FailbackPolicy, IncidentStatus } from './incident-types.ts';

const MAX_BACKOFF_MS = 3_600_000;

/** The next automatic failback, if any, and its backoff; `warn` says when they stopped. */
export function nextAutoFailback(
  policy: FailbackPolicy,
  status: IncidentStatus,
  warn: (warning: string) => void,
): { backoffMs?: number } | undefined {
  if (policy.mode !== 'auto') return undefined;
  const failures = status.autoFailbackFailures ?? 0;
  if (failures >= (policy.maxAutoAttempts ?? 3)) {
    warn(`automatic failback stopped after ${failures} failed attempts; fail back by hand`);
    return undefined;
  }
  if (failures === 0) return {};
  return { backoffMs: Math.min((policy.retryBackoffMs ?? 60_000) * 2 ** (failures - 1), MAX_BACKOFF_MS) };
}

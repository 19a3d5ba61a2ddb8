// Repeats a check until a target has served long enough, or a deadline passes.
import { ProviderError } from './errors.ts';
import type { ProbeResult } from './providers/types.ts';
import { errorMessage } from '../workflows/error-text.ts';

export interface ProbeLoopOptions {
  /** What is probed, for messages: "standby https://…". */
  what: string;
  intervalMs: number;
  successesNeeded: number;
  /** Give up after this long (measured across retries). Omit to wait for as long as it takes. */
  timeoutMs?: number;
  /** Passing checks must span at least this long without a failure (hysteresis). */
  holdDownMs?: number;
}

/** Carried in heartbeats, so a retry after a worker crash resumes instead of starting over. */
export interface ProbeProgress {
  startedAt: number;
  checks: number;
  consecutive: number;
  healthySince?: number;
  last?: string;
}

export interface ProbeLoopDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  heartbeat(progress: ProbeProgress): void;
  resume?: ProbeProgress;
  /**
   * Also heartbeat this often while a check is in flight or the loop sleeps between checks, so
   * that neither a probe interval nor a slow check longer than the heartbeat timeout kills the
   * probe. Omitted: a heartbeat after each check only.
   */
  pulseMs?: number;
  /** The timer behind `pulseMs` (a fake one in tests); default setInterval. */
  every?(ms: number, fn: () => void): () => void;
}

/** A heartbeat at least every `min(interval, 1 s)`: well inside any heartbeat timeout the workflow sets. */
export function pulseFor(intervalMs: number): number {
  return Math.max(100, Math.min(intervalMs, 1000));
}

const realEvery = (ms: number, fn: () => void): (() => void) => {
  const timer = setInterval(fn, ms);
  return () => clearInterval(timer);
};

export async function probeUntilServing(
  check: () => Promise<ProbeResult>,
  opts: ProbeLoopOptions,
  deps: ProbeLoopDeps,
): Promise<ProbeProgress> {
  const progress: ProbeProgress = deps.resume
    ? { ...deps.resume }
    : { startedAt: deps.now(), checks: 0, consecutive: 0 };
  const stopPulse = deps.pulseMs ? (deps.every ?? realEvery)(deps.pulseMs, () => deps.heartbeat(progress)) : undefined;
  try {
    return await loop(check, opts, deps, progress);
  } finally {
    stopPulse?.();
  }
}

async function loop(
  check: () => Promise<ProbeResult>,
  opts: ProbeLoopOptions,
  deps: ProbeLoopDeps,
  progress: ProbeProgress,
): Promise<ProbeProgress> {
  const holdDownMs = opts.holdDownMs ?? 0;
  for (;;) {
    let result: ProbeResult;
    try {
      result = await check();
    } catch (err) {
      result = { ok: false, detail: errorMessage(err) };
    }
    const now = deps.now();
    progress.checks++;
    progress.last = result.detail;
    if (result.ok) {
      progress.consecutive++;
      progress.healthySince ??= now;
    } else {
      progress.consecutive = 0;
      delete progress.healthySince;
    }
    deps.heartbeat(progress);
    if (progress.consecutive >= opts.successesNeeded && now - (progress.healthySince ?? now) >= holdDownMs)
      return progress;
    if (opts.timeoutMs !== undefined && now - progress.startedAt >= opts.timeoutMs) {
      throw new ProviderError(
        'probe_failed',
        `${opts.what} did not serve within ${opts.timeoutMs} ms (${progress.checks} checks); last: ${progress.last}`,
      );
    }
    await deps.sleep(opts.intervalMs);
  }
}

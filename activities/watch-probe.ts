// The health watcher's probe activity (workflows/watch.ts): runs on the workers of each watcher
// location and checks the site's primary until that location's verdict changes.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { ProbeOptions, ProbeVerdict } from '../workflows/watch-types.ts';
import { toFailure } from './errors.ts';
import type { ProbeRegistry, ProbeResult, Prober } from './providers/types.ts';
import { errorMessage } from '../workflows/error-text.ts';

/** Carried in heartbeats: a retry on another worker resumes the streak instead of restarting it. */
export interface WatchProgress {
  startedAt: number;
  checks: number;
  failures: number;
  successes: number;
  streakSince?: number;
  last?: string;
}

export interface WatchLoopDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  heartbeat(progress: WatchProgress): void;
  /** Throws when the activity was cancelled: an aborted check is not a failed one. */
  throwIfCancelled?(): void;
  resume?: WatchProgress;
}

/**
 * Checks every `intervalMs` until this location's verdict differs from `current`
 * (K consecutive failures → down, M consecutive successes → up), or `maxRunMs` passes.
 */
export async function watchLoop(
  check: () => Promise<ProbeResult>,
  opts: ProbeOptions,
  deps: WatchLoopDeps,
): Promise<ProbeVerdict> {
  const p: WatchProgress = deps.resume
    ? { ...deps.resume }
    : { startedAt: deps.now(), checks: 0, failures: 0, successes: 0 };
  for (;;) {
    const tick = deps.now();
    let result: ProbeResult;
    try {
      result = await check();
    } catch (err) {
      result = { ok: false, detail: errorMessage(err) };
    }
    deps.throwIfCancelled?.();
    const now = deps.now();
    p.checks++;
    p.last = result.detail;
    if (result.ok) {
      if (p.successes === 0) p.streakSince = tick;
      p.successes++;
      p.failures = 0;
    } else {
      if (p.failures === 0) p.streakSince = tick;
      p.failures++;
      p.successes = 0;
    }
    deps.heartbeat(p);
    const verdict = (v: ProbeVerdict['verdict']): ProbeVerdict => ({
      verdict: v,
      checks: p.checks,
      detail: p.last ?? '',
      ...(p.streakSince !== undefined && { since: p.streakSince }),
    });
    if (opts.current !== 'down' && p.failures >= opts.failuresToTrigger) return verdict('down');
    if (opts.current !== 'up' && p.successes >= opts.successesToRecover) return verdict('up');
    if (now - p.startedAt >= opts.maxRunMs) return verdict(opts.current);
    // Keep the cadence: a slow check eats into the wait, not on top of it.
    await deps.sleep(Math.max(0, opts.intervalMs - (now - tick)));
  }
}

/** One check with a hard bound, even for a prober that ignores its abort signal. */
async function boundedCheck(prober: Prober, timeoutMs: number, cancelled: AbortSignal): Promise<ProbeResult> {
  const signal = AbortSignal.any([cancelled, AbortSignal.timeout(timeoutMs)]);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([prober.check('primary', 'primary', signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Registered on the workers of each watcher location (task queue `<taskQueue>-watch-<location>`). */
export type WatchProbeActivities = ReturnType<typeof createWatchProbeActivities>;

export function createWatchProbeActivities(registry: ProbeRegistry) {
  return {
    /** Probes the site's primary from this worker's location until the location's verdict changes. */
    async watchPrimary(site: string, _location: string, options: ProbeOptions): Promise<ProbeVerdict> {
      const ctx = Context.current();
      try {
        const { prober } = registry.forSite(site);
        return await watchLoop(() => boundedCheck(prober, options.timeoutMs, ctx.cancellationSignal), options, {
          now: Date.now,
          sleep: (ms) => ctx.sleep(ms),
          heartbeat: (p) => ctx.heartbeat(p),
          throwIfCancelled: () => ctx.cancellationSignal.throwIfAborted(),
          resume: ctx.info.heartbeatDetails as WatchProgress | undefined,
        });
      } catch (err) {
        if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) throw err;
        throw toFailure(err, ctx.info.attempt);
      }
    },
  };
}

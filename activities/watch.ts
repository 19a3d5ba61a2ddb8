// The health watcher's activities (workflows/watch.ts). Probe activities run at each watcher
// location; the trigger activities run beside the incident workflows and need a Temporal client.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { lookupIncident } from '../starters/incident-lookup.ts';
import { triggerIncident } from '../starters/incident-client.ts';
import type { Config } from '../worker/config.ts';
import { incidentWorkflowId, primaryRecovered } from '../workflows/messages.ts';
import type { ProbeOptions, ProbeVerdict, WatchActivities } from '../workflows/watch-messages.ts';
import type { AlertOpened } from '../workflows/types.ts';
import { toFailure } from './errors.ts';
import type { ProbeResult, Prober, ProviderRegistry } from './providers/types.ts';

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
export async function watchLoop(check: () => Promise<ProbeResult>, opts: ProbeOptions, deps: WatchLoopDeps): Promise<ProbeVerdict> {
  const p: WatchProgress = deps.resume ? { ...deps.resume } : { startedAt: deps.now(), checks: 0, failures: 0, successes: 0 };
  for (;;) {
    const tick = deps.now();
    let result: ProbeResult;
    try {
      result = await check();
    } catch (err) {
      result = { ok: false, detail: err instanceof Error ? err.message : String(err) };
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
export function createWatchProbeActivities(registry: ProviderRegistry): Pick<WatchActivities, 'watchPrimary'> {
  return {
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

export interface WatchTriggerDeps {
  client: Client;
  config: Config;
  /** The incidents' task queue. */
  taskQueue: string;
}

/** Registered on the main worker, beside the incident activities. */
export function createWatchTriggerActivities(deps: WatchTriggerDeps): Omit<WatchActivities, 'watchPrimary'> {
  const { client, config, taskQueue } = deps;
  return {
    async triggerIncidentFromWatcher(site: string, alert: AlertOpened): Promise<string> {
      try {
        const before = await lookupIncident(client, site);
        await triggerIncident(client, config, taskQueue, site, alert);
        return before.state === 'running' ? `signalled the running incident (${before.phase ?? 'phase unknown'})` : 'started the incident';
      } catch (err) {
        throw toFailure(err, Context.current().info.attempt);
      }
    },
    async reportPrimaryRecovered(site: string, detail: string): Promise<string> {
      try {
        const incident = await lookupIncident(client, site);
        if (incident.state !== 'running') return 'no running incident';
        if (incident.phase !== 'on_standby') return `incident is ${incident.phase ?? 'in an unknown phase'}: not told`;
        await client.workflow.getHandle(incidentWorkflowId(site)).signal(primaryRecovered, { by: 'watcher', reason: detail });
        return 'told the incident on standby (primaryRecovered)';
      } catch (err) {
        throw toFailure(err, Context.current().info.attempt);
      }
    },
  };
}

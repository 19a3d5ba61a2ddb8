// The incident's lever activities: read, change and restore the standby's access, the traffic
// routing and the monitor. Each is one idempotent provider call, bounded by its attempt.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Snapshot, StepOutcome, Target } from '../workflows/types.ts';
import { ProviderError, toFailure } from './errors.ts';
import { type CallBudget, attemptDeadline } from './providers/budget.ts';
import type { Change, ProviderRegistry, SiteProviders, Warmup } from './providers/types.ts';

/**
 * This attempt's budget for its provider calls: its cancellation, and a deadline a little inside
 * its start-to-close, so that a call still running when Temporal gives up on the attempt is
 * aborted, and no further call is sent (a late write would undo the compensation that follows).
 */
function attemptBudget(ctx: Context): CallBudget {
  const deadline = attemptDeadline(ctx.info.startToCloseTimeoutMs);
  return { signal: ctx.cancellationSignal, ...(deadline !== undefined && { deadline }) };
}

/** Rethrows the cancellation itself when the attempt was cancelled, else the mapped failure. */
function failure(ctx: Context, err: unknown): unknown {
  const reason: unknown = ctx.cancellationSignal.aborted ? ctx.cancellationSignal.reason : undefined;
  if (reason instanceof CancelledFailure) return reason;
  return toFailure(err, ctx.info.attempt);
}

async function mutate(act: (budget: CallBudget) => Promise<Change>): Promise<StepOutcome> {
  const ctx = Context.current();
  const { attempt } = ctx.info;
  // Heartbeats let a cancellation reach the attempt (Temporal delivers it in a heartbeat's reply).
  ctx.heartbeat();
  const pulse = setInterval(() => ctx.heartbeat(), 1000);
  try {
    return { ...(await act(attemptBudget(ctx))), attempt };
  } catch (err) {
    throw failure(ctx, err);
  } finally {
    clearInterval(pulse);
  }
}

/** The site's warm-up lever; a run that asks for it on a worker whose config has none fails, not retried. */
function warmupOf(p: SiteProviders, site: string): Warmup {
  if (!p.warmup)
    throw new ProviderError('invalid_config', `site ${site} has no standby.warmup in this worker's config`);
  return p.warmup;
}

async function read(
  registry: ProviderRegistry,
  site: string,
  lever: 'standbyAccess' | 'traffic' | 'monitor' | 'warmup',
): Promise<Snapshot> {
  const ctx = Context.current();
  try {
    const p = registry.forSite(site);
    return await (lever === 'warmup' ? warmupOf(p, site) : p[lever]).read(attemptBudget(ctx));
  } catch (err) {
    throw failure(ctx, err);
  }
}

export function createLeverActivities(registry: ProviderRegistry) {
  const providers = (site: string) => registry.forSite(site);
  return {
    // Reads: the workflow records the state before each change, so its undo is exact even when
    // a change was applied by an attempt whose reply was lost.
    readStandbyAccess: (site: string) => read(registry, site, 'standbyAccess'),
    readTraffic: (site: string) => read(registry, site, 'traffic'),
    readMonitor: (site: string) => read(registry, site, 'monitor'),

    openStandbyAccess: (site: string) => mutate((b) => providers(site).standbyAccess.set('open', b)),
    restoreStandbyAccess: (site: string, before: Snapshot) =>
      mutate((b) => providers(site).standbyAccess.restore(before, b)),
    routeTraffic: (site: string, target: Target) => mutate((b) => providers(site).traffic.set(target, b)),
    restoreTraffic: (site: string, before: Snapshot) => mutate((b) => providers(site).traffic.restore(before, b)),
    pauseMonitor: (site: string) => mutate((b) => providers(site).monitor.set('paused', b)),
    // The warmed standby (standby.warmup): its minimum instances, read, raised, put back.
    readWarmup: (site: string) => read(registry, site, 'warmup'),
    warmStandby: (site: string) => mutate((b) => warmupOf(providers(site), site).set('warm', b)),
    restoreWarmup: (site: string, before: Snapshot) =>
      mutate((b) => warmupOf(providers(site), site).restore(before, b)),
    restoreMonitor: (site: string, before: Snapshot) => mutate((b) => providers(site).monitor.restore(before, b)),
  };
}

// The activities the incident workflow calls. Each is one idempotent step over a provider
// interface; which adapter stands behind it (in-process, simulator, real cloud) is the worker's choice.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Snapshot, StepOutcome, Target } from '../workflows/types.ts';
import { errorMessage, toFailure } from './errors.ts';
import { type ProbeProgress, probeUntilServing, pulseFor } from './probe-loop.ts';
import { type CallBudget, attemptDeadline } from './providers/budget.ts';
import type { Change, Endpoint, ProviderRegistry } from './providers/types.ts';

/** Checks of the primary that must all pass before an alert is judged stale. */
const CONFIRM_CHECKS = 3;

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;

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

export function createIncidentActivities(registry: ProviderRegistry) {
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

  async function probe(
    site: string,
    endpoint: Endpoint,
    expect: Target,
    bounds: { timeoutMs?: number; holdDownMs?: number },
  ): Promise<StepOutcome> {
    const ctx = Context.current();
    const { attempt } = ctx.info;
    try {
      const { prober, probe: policy } = registry.forSite(site);
      const progress = await probeUntilServing(
        () => prober.check(endpoint, expect, ctx.cancellationSignal),
        { what: `${endpoint} of ${site} (as ${expect})`, ...policy, ...bounds },
        {
          now: Date.now,
          sleep: (ms) => ctx.sleep(ms),
          heartbeat: (p) => ctx.heartbeat({ ...p }),
          // Between checks and during a slow one too: the interval may exceed the heartbeat timeout.
          pulseMs: pulseFor(policy.intervalMs),
          resume: ctx.info.heartbeatDetails as ProbeProgress | undefined,
        },
      );
      const seconds = ((Date.now() - progress.startedAt) / 1000).toFixed(1);
      return {
        changed: false,
        before: {},
        attempt,
        summary: `${endpoint} served as ${expect} after ${progress.checks} checks in ${seconds} s: ${progress.last}`,
      };
    } catch (err) {
      throw toFailure(err, attempt);
    }
  }

  /**
   * Before an alert's failover: checks the primary a few times at the probe cadence. The outage is
   * confirmed by any failed check; a primary that passes every one serves, and the alert is stale.
   */
  async function confirmDown(site: string, checks = CONFIRM_CHECKS): Promise<StepOutcome & { down: boolean }> {
    const ctx = Context.current();
    const { attempt } = ctx.info;
    let done = 0;
    // Heartbeats while sleeping and while a check is in flight, not only between checks.
    const pulse = setInterval(() => ctx.heartbeat(done), 1000);
    try {
      const { prober, probe: policy } = registry.forSite(site);
      for (let i = 1; i <= checks; i++) {
        const result = await prober.check('primary', 'primary', ctx.cancellationSignal).catch((err: unknown) => ({
          ok: false,
          detail: errorMessage(err),
        }));
        done = i;
        ctx.heartbeat(i);
        if (!result.ok)
          return { down: true, changed: false, before: {}, attempt, summary: `primary fails: ${result.detail}` };
        if (i < checks) await ctx.sleep(policy.intervalMs);
      }
      return {
        down: false,
        changed: false,
        before: {},
        attempt,
        summary: `the primary served ${checks} of ${checks} checks`,
      };
    } catch (err) {
      throw toFailure(err, attempt);
    } finally {
      clearInterval(pulse);
    }
  }

  const providers = (site: string) => registry.forSite(site);

  async function read(site: string, lever: 'standbyAccess' | 'traffic' | 'monitor'): Promise<Snapshot> {
    const ctx = Context.current();
    try {
      return await providers(site)[lever].read(attemptBudget(ctx));
    } catch (err) {
      throw failure(ctx, err);
    }
  }

  return {
    // Reads: the workflow records the state before each change, so its undo is exact even when
    // a change was applied by an attempt whose reply was lost.
    readStandbyAccess: (site: string) => read(site, 'standbyAccess'),
    readTraffic: (site: string) => read(site, 'traffic'),
    readMonitor: (site: string) => read(site, 'monitor'),

    openStandbyAccess: (site: string) => mutate((b) => providers(site).standbyAccess.set('open', b)),
    restoreStandbyAccess: (site: string, before: Snapshot) =>
      mutate((b) => providers(site).standbyAccess.restore(before, b)),
    routeTraffic: (site: string, target: Target) => mutate((b) => providers(site).traffic.set(target, b)),
    restoreTraffic: (site: string, before: Snapshot) => mutate((b) => providers(site).traffic.restore(before, b)),
    pauseMonitor: (site: string) => mutate((b) => providers(site).monitor.set('paused', b)),
    restoreMonitor: (site: string, before: Snapshot) => mutate((b) => providers(site).monitor.restore(before, b)),

    awaitStandbyReady: (site: string, timeoutMs: number) => probe(site, 'standby', 'standby', { timeoutMs }),
    verifyPublicUrl: (site: string, expect: Target, timeoutMs: number) => probe(site, 'public', expect, { timeoutMs }),
    checkPrimaryHealthy: (site: string, timeoutMs: number) => probe(site, 'primary', 'primary', { timeoutMs }),
    awaitPrimaryStable: (site: string, holdDownMs: number) => probe(site, 'primary', 'primary', { holdDownMs }),
    confirmPrimaryDown: (site: string) => confirmDown(site),
  };
}

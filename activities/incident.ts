// The activities the incident workflow calls. Each is one idempotent step over a provider
// interface; which adapter stands behind it (in-process, simulator, real cloud) is the worker's choice.
import { Context } from '@temporalio/activity';
import type { Snapshot, StepOutcome, Target } from '../workflows/types.ts';
import { errorMessage, toFailure } from './errors.ts';
import { type ProbeProgress, probeUntilServing } from './probe-loop.ts';
import type { Change, Endpoint, ProviderRegistry } from './providers/types.ts';

/** Checks of the primary that must all pass before an alert is judged stale. */
const CONFIRM_CHECKS = 3;

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;

export function createIncidentActivities(registry: ProviderRegistry) {
  async function mutate(act: () => Promise<Change>): Promise<StepOutcome> {
    const { attempt } = Context.current().info;
    try {
      return { ...(await act()), attempt };
    } catch (err) {
      throw toFailure(err, attempt);
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
          heartbeat: (p) => ctx.heartbeat(p),
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
    try {
      const { prober, probe: policy } = registry.forSite(site);
      for (let i = 1; i <= checks; i++) {
        const result = await prober.check('primary', 'primary', ctx.cancellationSignal).catch((err: unknown) => ({
          ok: false,
          detail: errorMessage(err),
        }));
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
    }
  }

  const providers = (site: string) => registry.forSite(site);

  async function read(site: string, lever: 'standbyAccess' | 'traffic' | 'monitor'): Promise<Snapshot> {
    try {
      return await providers(site)[lever].read();
    } catch (err) {
      throw toFailure(err, Context.current().info.attempt);
    }
  }

  return {
    // Reads: the workflow records the state before each change, so its undo is exact even when
    // a change was applied by an attempt whose reply was lost.
    readStandbyAccess: (site: string) => read(site, 'standbyAccess'),
    readTraffic: (site: string) => read(site, 'traffic'),
    readMonitor: (site: string) => read(site, 'monitor'),

    openStandbyAccess: (site: string) => mutate(() => providers(site).standbyAccess.set('open')),
    restoreStandbyAccess: (site: string, before: Snapshot) =>
      mutate(() => providers(site).standbyAccess.restore(before)),
    routeTraffic: (site: string, target: Target) => mutate(() => providers(site).traffic.set(target)),
    restoreTraffic: (site: string, before: Snapshot) => mutate(() => providers(site).traffic.restore(before)),
    pauseMonitor: (site: string) => mutate(() => providers(site).monitor.set('paused')),
    restoreMonitor: (site: string, before: Snapshot) => mutate(() => providers(site).monitor.restore(before)),

    awaitStandbyReady: (site: string, timeoutMs: number) => probe(site, 'standby', 'standby', { timeoutMs }),
    verifyPublicUrl: (site: string, expect: Target, timeoutMs: number) => probe(site, 'public', expect, { timeoutMs }),
    checkPrimaryHealthy: (site: string, timeoutMs: number) => probe(site, 'primary', 'primary', { timeoutMs }),
    awaitPrimaryStable: (site: string, holdDownMs: number) => probe(site, 'primary', 'primary', { holdDownMs }),
    confirmPrimaryDown: (site: string) => confirmDown(site),
  };
}

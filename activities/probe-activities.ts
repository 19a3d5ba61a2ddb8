// The incident's probe activities: wait until an endpoint serves as expected (standby ready,
// public URL switched, primary healthy or stable), and confirm the primary is really down.
import { Context } from '@temporalio/activity';
import type { StepOutcome, Target } from '../workflows/types.ts';
import { toFailure } from './errors.ts';
import { type ProbeProgress, probeUntilServing, pulseFor } from './probe-loop.ts';
import type { Endpoint, Prober, ProviderRegistry } from './providers/types.ts';
import { errorMessage } from '../workflows/error-text.ts';

/** Checks of the primary that must all pass before an alert is judged stale. */
const CONFIRM_CHECKS = 3;

async function probe(
  registry: ProviderRegistry,
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

/** One check of the primary; an error is a failed check. */
const checkPrimary = (prober: Prober, signal: AbortSignal) =>
  prober.check('primary', 'primary', signal).catch((err: unknown) => ({ ok: false, detail: errorMessage(err) }));

/**
 * Before an alert's failover: checks the primary a few times at the probe cadence. The outage is
 * confirmed by any failed check; a primary that passes every one serves, and the alert is stale.
 */
async function confirmDown(
  registry: ProviderRegistry,
  site: string,
  checks = CONFIRM_CHECKS,
): Promise<StepOutcome & { down: boolean }> {
  const ctx = Context.current();
  const { attempt } = ctx.info;
  let done = 0;
  // Heartbeats while sleeping and while a check is in flight, not only between checks.
  const pulse = setInterval(() => ctx.heartbeat(done), 1000);
  try {
    const { prober, probe: policy } = registry.forSite(site);
    for (let i = 1; i <= checks; i++) {
      const result = await checkPrimary(prober, ctx.cancellationSignal);
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

/**
 * While the monitor the incident paused cannot be resumed, no alert can report a new outage: the
 * incident watches the primary itself. Returns once CONFIRM_CHECKS checks in a row fail (one
 * failed check is not an outage); runs until then, or until the incident cancels it.
 */
async function watchUntilDown(registry: ProviderRegistry, site: string): Promise<StepOutcome> {
  const ctx = Context.current();
  const { attempt } = ctx.info;
  let failures = 0;
  const pulse = setInterval(() => ctx.heartbeat(failures), 1000);
  try {
    const { prober, probe: policy } = registry.forSite(site);
    for (;;) {
      const result = await checkPrimary(prober, ctx.cancellationSignal);
      failures = result.ok ? 0 : failures + 1;
      if (failures >= CONFIRM_CHECKS) {
        const summary = `the primary failed ${failures} checks in a row: ${result.detail}`;
        return { changed: false, before: {}, attempt, summary };
      }
      await ctx.sleep(policy.intervalMs);
    }
  } catch (err) {
    throw toFailure(err, attempt);
  } finally {
    clearInterval(pulse);
  }
}

export function createProbeActivities(registry: ProviderRegistry) {
  return {
    awaitStandbyReady: (site: string, timeoutMs: number) => probe(registry, site, 'standby', 'standby', { timeoutMs }),
    verifyPublicUrl: (site: string, expect: Target, timeoutMs: number) =>
      probe(registry, site, 'public', expect, { timeoutMs }),
    checkPrimaryHealthy: (site: string, timeoutMs: number) =>
      probe(registry, site, 'primary', 'primary', { timeoutMs }),
    awaitPrimaryStable: (site: string, holdDownMs: number) =>
      probe(registry, site, 'primary', 'primary', { holdDownMs }),
    confirmPrimaryDown: (site: string) => confirmDown(registry, site),
    awaitPrimaryDown: (site: string) => watchUntilDown(registry, site),
  };
}

// Events on the standby that meet the automatic failback's hold-down, on the real dev server: a
// continue-as-new that cuts it, a hold-down that fails for good, and an attempt of it lost midway
// (docs/workflow.md, "Every event in every phase", the on standby column).
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { beforeAll, describe, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import type { Prober, ProviderRegistry } from '../activities/providers/types.ts';
import { primaryRecovered, requestFailback, statusQuery } from '../workflows/incident-messages.ts';
import type { IncidentStatus, StepName } from '../workflows/incident-types.ts';
import { inMemoryConfig, trigger } from '../harness/sites.ts';
import { CONTINUE_AS_NEW_AFTER_EVENTS } from './support/global-setup.ts';
import { incidentSuite, waitUntil } from './support/incident-suite.ts';
import { testClient } from './support/temporal.ts';

let client: Client;
beforeAll(async () => {
  client = await testClient();
});

const AT_START = { standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' };

/** Sites whose hold-down activity meets a fault of the test's choosing when its attempt begins. */
const holdDownFaults = new Map<string, (attempt: number) => void>();
/** Sites whose first hold-down attempt is lost once the primary has passed checks for `afterMs` (`at`: when). */
const lostMidway = new Map<string, { afterMs: number; at?: number }>();

/** The in-memory registry, with the hold-down's faults (by the activity's type: the other steps are untouched). */
function withHoldDownFaults(registry: ProviderRegistry): ProviderRegistry {
  return {
    forSite(site) {
      const { activityType, attempt } = Context.current().info;
      const providers = registry.forSite(site);
      if (activityType !== 'awaitPrimaryStable') return providers;
      holdDownFaults.get(site)?.(attempt);
      const lost = lostMidway.get(site);
      return lost && attempt === 1 ? { ...providers, prober: losingAttempt(providers.prober, lost) } : providers;
    },
  };
}

/** A prober whose attempt is lost midway (a reset connection): the loop fails after its heartbeats recorded progress. */
function losingAttempt(prober: Prober, lost: { afterMs: number; at?: number }): Prober {
  let healthySince: number | undefined;
  return {
    async check(endpoint, expect, signal) {
      const result = await prober.check(endpoint, expect, signal);
      healthySince = result.ok ? (healthySince ?? Date.now()) : undefined;
      if (healthySince === undefined || Date.now() - healthySince < lost.afterMs) return result;
      lost.at ??= Date.now();
      return {
        detail: result.detail,
        get ok(): boolean {
          throw new ProviderError('unavailable', 'connection reset in the middle of the hold-down (injected)');
        },
      };
    },
  };
}

const harness = (count: number, holdDown = '1s') =>
  incidentSuite(
    'sb',
    (sites) => inMemoryConfig(sites, { failback: { mode: 'auto', holdDown } }),
    count,
    withHoldDownFaults,
  );

const steps = (s: IncidentStatus, step: StepName, outcome?: string) =>
  s.steps.filter((x) => x.name === step && (outcome === undefined || x.outcome === outcome));

describe('on standby with an automatic failback', () => {
  const h = harness(2);

  test('continue-as-new cuts the hold-down: the carried step ends cancelled, the new run holds down again', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitUntil(handle, 'the hold-down', (s) => steps(s, 'await_primary_healthy', 'running').length === 1);
    // Each signal is at least one event: the dev server suggests continue-as-new past the limit.
    for (let i = 0; i < CONTINUE_AS_NEW_AFTER_EVENTS; i++) await handle.signal(primaryRecovered, { by: `w-${i}` });
    const latest = client.workflow.getHandle(handle.workflowId);
    // The flood may continue the run more than once: each run cuts its hold-down, the latest holds down.
    const carried = await waitUntil(
      latest,
      'a hold-down in a later run',
      (s) => steps(s, 'await_primary_healthy').length >= 2 && steps(s, 'await_primary_healthy', 'running').length === 1,
    );
    const holdDowns = steps(carried, 'await_primary_healthy');
    for (const cut of holdDowns.slice(0, -1)) {
      expect(cut).toMatchObject({ outcome: 'cancelled', error: expect.stringContaining('continue-as-new') });
      expect(cut.endedAt).toBeGreaterThanOrEqual(cut.startedAt);
    }
    expect(holdDowns.at(-1)!.outcome).toBe('running');
    h.world.state(site).primaryUp = true;
    const end = (await latest.result()) as IncidentStatus;
    expect(end.phase).toBe('resolved');
    expect(end.steps.filter((s) => s.outcome === 'running')).toEqual([]);
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 60_000);

  test('a hold-down that fails for good turns the automatic failback off with a warning; a manual one still works', async () => {
    const site = h.sites[1]!;
    holdDownFaults.set(site, () => {
      throw new ProviderError('invalid_config', `site ${site} is not in this worker's config (injected)`);
    });
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    const s = await waitUntil(handle, 'the warning', (x) => x.warnings.length > 0);
    expect(s.phase).toBe('on_standby');
    expect(s.warnings).toEqual([expect.stringMatching(/^automatic failback disabled: .*not in this worker's config/)]);
    expect(steps(s, 'await_primary_healthy')).toMatchObject([{ outcome: 'failed', attempts: 1 }]);
    // The primary recovers: nothing fails back on its own, users stay on the serving standby.
    h.world.state(site).primaryUp = true;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await handle.query(statusQuery)).phase).toBe('on_standby');
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
    holdDownFaults.delete(site);
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    expect((await handle.result()).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 30_000);
});

describe('on standby with a long hold-down', () => {
  const HOLD_DOWN_MS = 5000;
  const RETRY_MS = 5000; // the hold-down's first retry interval (workflows/incident-activities.ts)
  const h = harness(1, `${HOLD_DOWN_MS}ms`);

  test('an attempt of the hold-down lost midway: the retry resumes from its heartbeat, not from zero', async () => {
    const site = h.sites[0]!;
    const lost: { afterMs: number; at?: number } = { afterMs: 1000 };
    lostMidway.set(site, lost);
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitUntil(handle, 'the hold-down', (s) => steps(s, 'await_primary_healthy', 'running').length === 1);
    h.world.state(site).primaryUp = true;
    const end = (await handle.result()) as IncidentStatus;
    expect(end.phase).toBe('resolved');
    const [holdDown] = steps(end, 'await_primary_healthy');
    expect(holdDown).toMatchObject({ outcome: 'ok', attempts: 2 });
    // Resumed: the primary's healthy streak from the lost attempt counts, so the retry ends at its
    // first check; started over, it would hold down the whole HOLD_DOWN_MS again.
    const afterLoss = holdDown!.endedAt! - lost.at!;
    expect(afterLoss).toBeGreaterThanOrEqual(RETRY_MS - 500);
    expect(afterLoss).toBeLessThan(RETRY_MS + HOLD_DOWN_MS - 2000);
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 40_000);
});

// The failure paths of issue 8 that live in the incident workflow, each on the real dev server:
// a second outage while failing back, a rollback that cannot finish, automatic failback that
// would flip for ever, stale and unconfirmed alerts, and a monitor pause whose reply was lost.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import { Incidents } from '../clients/incidents.ts';
import { buildRegistry } from '../clients/providers.ts';
import { incidentPolicy } from '../config/policies.ts';
import type { Config } from '../config/schema.ts';
import { type SandboxWorld, startSandboxWorld } from '../sandbox/world.ts';
import { alertOpened, requestFailback, retry, statusQuery } from '../workflows/incident-messages.ts';
import type { IncidentStatus, StepName } from '../workflows/incident-types.ts';
import { inMemoryConfig, trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { incidentSuite, waitUntil } from './support/incident-suite.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

let client: Client;
beforeAll(async () => {
  client = await testClient();
});

const AT_START = { standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' };

const harness = (makeConfig: (sites: string[]) => Config, count: number) => incidentSuite('fp', makeConfig, count);

const running = (step: StepName) => (s: IncidentStatus) =>
  s.steps.some((x) => x.name === step && x.outcome === 'running');
const count = (s: IncidentStatus, step: StepName) => s.steps.filter((x) => x.name === step).length;

describe('1. a second outage while failing back', () => {
  const h = harness((s) => inMemoryConfig(s), 2);

  test('before the primary is verified: traffic goes back to the standby, which stays open', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    // The public URL does not verify for a while: the failback is caught in flight.
    h.world.inject(site, 'probe:public', { times: 30 });
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'verification on the primary', running('verify_public_url_on_primary'));
    h.world.state(site).primaryUp = false;
    await handle.signal(alertOpened, { alertId: 'second-outage', source: 'watcher' });
    const s = await waitUntil(
      handle,
      'back on standby',
      (x) => x.phase === 'on_standby' && count(x, 'undo_route_traffic_to_primary') > 0,
    );
    expect(s.cause).toBe('failback stopped: a new outage was reported');
    expect(s.triggers.find((t) => t.id === 'second-outage')?.ignored).toBeUndefined();
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  });

  test('after the primary was verified, while cleaning up: the site fails over again', async () => {
    const [, site] = h.sites as [string, string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    // Closing the standby fails a few times: the cleanup is caught in flight.
    h.world.inject(site, 'standbyAccess', { times: 2 });
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'cleanup', running('close_standby_access'));
    h.world.state(site).primaryUp = false;
    await handle.signal(alertOpened, { alertId: 'second-outage', source: 'watcher' });
    const s = await waitUntil(
      handle,
      'on standby again',
      (x) => x.phase === 'on_standby' && count(x, 'verify_public_url_on_standby') === 2,
    );
    expect(s.endedAt).toBeUndefined();
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  });
});

describe('2. a rollback that cannot finish', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('never closes the standby while traffic may reach it; waits in needs_attention; a retry finishes it', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site);
    h.world.inject(site, 'probe:public', { times: Infinity }); // the public URL never verifies
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitUntil(handle, 'verification on the standby', running('verify_public_url_on_standby'));
    // The token is revoked: traffic cannot be routed back.
    h.world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'token revoked') });
    const waiting = await waitForPhase(handle, 'needs_attention');
    expect(waiting.attention).toMatchObject({ retry: 'compensations' });
    expect(waiting.attention?.pending).toEqual(['undo_route_traffic_to_standby', 'undo_enable_standby_access']);
    expect(waiting.attention?.reason).toMatch(
      /undo_enable_standby_access: not run, because undo_route_traffic_to_standby/,
    );
    // Users are on the standby, and the standby still serves them.
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
    h.world.clearFaults();
    await handle.signal(retry, { by: 'test' });
    const status = await handle.result();
    expect(status.phase).toBe('rolled_back');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

describe('4. automatic failback that keeps failing', () => {
  const h = harness(
    (s) =>
      inMemoryConfig(s, {
        failback: { mode: 'auto', holdDown: '200ms', maxAutoAttempts: 2, retryBackoff: '500ms' },
        probe: {
          interval: '20ms',
          successesNeeded: 1,
          standbyReadyTimeout: '2s',
          verifyTimeout: '300ms',
          primaryCheckTimeout: '1s',
        },
      }),
    1,
  );

  test('backs off between attempts, then stops and waits for a human', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    // The primary answers its own probe, but the public URL never verifies on it.
    h.world.inject(site, 'probe:public', { times: Infinity });
    h.world.state(site).primaryUp = true;
    const s = await waitUntil(
      handle,
      'automatic failback to stop',
      (x) => x.warnings.some((w) => w.startsWith('automatic failback stopped')),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1500)); // no further attempt comes
    const after = await handle.query(statusQuery);
    expect(count(after, 'route_traffic_to_primary')).toBe(2);
    expect(after.autoFailbackFailures).toBe(2);
    expect(after.phase).toBe('on_standby');
    expect(s.warnings).toContain('automatic failback stopped after 2 failed attempts; fail back by hand');
    // The second attempt waited for the backoff after the first one was undone.
    const [undo1] = after.steps.filter((x) => x.name === 'undo_route_traffic_to_primary');
    const [, second] = after.steps.filter((x) => x.name === 'route_traffic_to_primary');
    expect(second!.startedAt - undo1!.endedAt!).toBeGreaterThanOrEqual(500 + 200);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  });
});

describe('5. stale and unconfirmed alerts', () => {
  const h = harness((s) => inMemoryConfig(s), 5);

  /** A site failed over on alert `outage-1` and back; with the incident's lookup taken while it ran. */
  async function resolvedIncident(site: string) {
    h.world.addSite(site, { primaryUp: false });
    const incidents = Incidents.of(client, h.config, h.worker.taskQueue);
    const first = await trigger(client, h.config, h.worker.taskQueue, site, 'outage-1');
    await waitForPhase(first, 'on_standby');
    const whileRunning = await incidents.lookup(site);
    h.world.state(site).primaryUp = true;
    await first.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    expect((await first.result()).phase).toBe('resolved');
    return { incidents, whileRunning, mutations: h.world.mutations.length };
  }

  test('an alert that started before the last incident ended starts nothing', async () => {
    const site = h.sites[0]!;
    const { incidents, mutations } = await resolvedIncident(site);
    const late = await incidents.trigger(site, {
      alertId: 'outage-1-redelivered-as-new',
      source: 'pubsub',
      startedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const status = await late.result();
    expect(status.phase).toBe('dismissed');
    // Judged against the last time the failback verified the primary serving (issue 16, path 4).
    expect(status.cause).toMatch(/^stale: the outage started .* before the primary was last verified serving/);
    expect(h.world.mutations.length).toBe(mutations);
  });

  test('an alert looked up while the last incident ran and sent after it ended starts nothing', async () => {
    const site = h.sites[3]!;
    const { incidents, whileRunning, mutations } = await resolvedIncident(site);
    expect(whileRunning.state).toBe('running');
    // The trigger saw the incident running; by the time it signals, that run has ended.
    const late = await incidents.trigger(
      site,
      { alertId: 'outage-1-late', source: 'test', startedAt: new Date(Date.now() - 60_000).toISOString() },
      whileRunning,
    );
    expect(late.signaledRunId).not.toBe(whileRunning.description!.runId);
    const status = await late.result();
    expect(status.phase).toBe('dismissed');
    expect(status.cause).toMatch(/^stale: /);
    expect(h.world.mutations.length).toBe(mutations);
  });

  test('an alert redelivered again and again after its incident ended starts nothing, however often', async () => {
    const site = h.sites[4]!;
    const { incidents, mutations } = await resolvedIncident(site);
    // No start time (as from the CLI): only the alert's ID tells it was handled, run after run.
    for (let i = 0; i < 3; i++) {
      const again = await incidents.trigger(site, { alertId: 'outage-1', source: 'test' });
      const status = await again.result();
      expect(status.phase).toBe('dismissed');
      expect(status.triggers.map((t) => t.ignored)).toEqual(["already handled by the site's previous incident"]);
    }
    expect(h.world.mutations.length).toBe(mutations);
  });

  test('a Pub/Sub alert for a primary that serves is not confirmed: nothing changes', async () => {
    const [, site] = h.sites as [string, string];
    h.world.addSite(site);
    const handle = await Incidents.of(client, h.config, h.worker.taskQueue).trigger(site, {
      alertId: 'reevaluated',
      source: 'pubsub',
    });
    const status = await handle.result();
    expect(status.phase).toBe('dismissed');
    expect(status.steps.map((s) => s.name)).toEqual(['confirm_primary_down']);
    expect(status.cause).toMatch(/not confirmed: the primary served 3 of 3 checks/);
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });

  test('a Pub/Sub alert for a primary that fails is confirmed and fails over', async () => {
    const [, , site] = h.sites as [string, string, string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await Incidents.of(client, h.config, h.worker.taskQueue).trigger(site, {
      alertId: 'real',
      source: 'pubsub',
    });
    const status = await waitForPhase(handle, 'on_standby');
    expect(status.steps[0]).toMatchObject({ name: 'confirm_primary_down', outcome: 'ok' });
  });
});

describe('a DNS-switched site', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('keeps the standby open for cached answers after failing back, then closes it', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    // What config/policies.ts derives from a DNS record's TTL, shortened for the test.
    const policy = { ...incidentPolicy(h.config.sites[site]!), drainBeforeCloseMs: 1500 };
    const handle = await new Incidents(client, h.worker.taskQueue, () => policy).trigger(site, {
      alertId: 'dns',
      source: 'test',
    });
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    const s = await handle.result();
    expect(s.phase).toBe('resolved');
    const at = (n: StepName) => s.steps.find((x) => x.name === n)!;
    expect(at('drain_standby').endedAt! - at('drain_standby').startedAt).toBeGreaterThanOrEqual(1500);
    expect(at('close_standby_access').startedAt).toBeGreaterThanOrEqual(
      at('verify_public_url_on_primary').endedAt! + 1500,
    );
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

describe('7. a monitor pause that landed but whose reply was lost (real SDKs, simulator)', () => {
  let world: SandboxWorld;
  let worker: RunningWorker;
  const site = uniqueSite('fp-monitor');
  beforeAll(async () => {
    world = await startSandboxWorld({
      seed: 7,
      sites: [{ name: site, traffic: 'redirect-rule' }],
      probe: {
        interval: '100ms',
        successesNeeded: 1,
        standbyReadyTimeout: '8s',
        verifyTimeout: '3s',
        primaryCheckTimeout: '5s',
      },
    });
    worker = await startWorker(buildRegistry(world.config, { env: world.env }));
  });
  afterAll(async () => {
    await worker?.shutdown();
    await world?.stop();
  });

  test('is put back when the incident ends; the site is on standby without waiting for the monitor', async () => {
    const start = world.snapshot();
    await world.control.addFault({ api: 'monitoring', op: 'updateAlertPolicy', hold: 'after', times: 1 });
    await world.control.killPrimary(site);
    const handle = await trigger(client, world.config, worker.taskQueue, site);
    // The pause is applied and held before its answer: the failover does not wait for it.
    const held = await world.control.waitForHeld({ api: 'monitoring', op: 'updateAlertPolicy' });
    await waitForPhase(handle, 'on_standby');
    // The answer is lost, and from now on the monitor API refuses the worker.
    const denied = await world.control.addFault({ api: 'monitoring', status: 403 });
    await world.control.release(held.id, { drop: true });
    await waitUntil(handle, 'the pause to fail', (s) => s.warnings.some((w) => w.startsWith('monitor not paused')));
    expect(world.snapshot().monitoring).not.toEqual(start.monitoring); // it did land
    await world.control.removeFault(denied);
    await world.control.revivePrimary(site);
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    const status = await handle.result();
    expect(status.phase).toBe('resolved');
    expect(status.steps.find((s) => s.name === 'resume_monitor')).toMatchObject({ outcome: 'ok', changed: true });
    expect(world.snapshot()).toEqual(start);
  });
});

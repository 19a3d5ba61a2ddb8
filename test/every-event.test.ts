// The compositions of issue 16, each an event arriving in a phase that strands users on today's
// code, on the real dev server: an outage in needs_attention after a failed cleanup, a failed
// re-failover, automatic failback meeting a primary that dies again and again, and a new outage
// right after a verified failback taken for a stale one (docs/workflow.md, "Every event in every phase").
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { beforeAll, describe, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { Incidents, type IncidentHandle } from '../clients/incidents.ts';
import { incidentPolicy } from '../config/policies.ts';
import type { Config } from '../config/schema.ts';
import {
  abort,
  alertClosed,
  alertOpened,
  requestFailback,
  retry,
  statusQuery,
} from '../workflows/incident-messages.ts';
import type { IncidentStatus, StepName } from '../workflows/incident-types.ts';
import { inMemoryConfig, trigger, waitForPhase } from '../harness/sites.ts';
import { CONTINUE_AS_NEW_AFTER_EVENTS } from './support/global-setup.ts';
import { floodUntilContinuedAsNew, incidentSuite, waitUntil } from './support/incident-suite.ts';
import { type RunningWorker, testClient } from './support/temporal.ts';

let client: Client;
beforeAll(async () => {
  client = await testClient();
});

const AT_START = { standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' };
const REVOKED = () => new ProviderError('permission', 'setIamPolicy: permission revoked');

const harness = (makeConfig: (sites: string[]) => Config, count: number) => incidentSuite('ev', makeConfig, count);

const count = (s: IncidentStatus, step: StepName, outcome?: string) =>
  s.steps.filter((x) => x.name === step && (outcome === undefined || x.outcome === outcome)).length;
const running = (step: StepName) => (s: IncidentStatus) => count(s, step, 'running') > 0;

/** An incident whose failback verified the primary and whose cleanup failed for good: needs_attention. */
async function cleanupFailed(
  h: { world: InMemoryWorld; config: Config; worker: RunningWorker },
  site: string,
  lever: 'standbyAccess' | 'monitor' = 'standbyAccess',
) {
  h.world.addSite(site, { primaryUp: false });
  const handle = await trigger(client, h.config, h.worker.taskQueue, site);
  await waitForPhase(handle, 'on_standby');
  h.world.state(site).primaryUp = true;
  h.world.inject(site, lever, { times: Infinity, error: REVOKED() });
  await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
  const waiting = await waitForPhase(handle, 'needs_attention');
  expect(waiting.attention?.pending).toContain(lever === 'monitor' ? 'resume_monitor' : 'close_standby_access');
  expect(h.world.snapshot(site)).toMatchObject({ traffic: 'primary' });
  h.world.clearFaults();
  return handle;
}

describe('path 1: needs_attention after a failed failback cleanup', () => {
  const h = harness((s) => inMemoryConfig(s), 3);

  test('a new outage there fails over again instead of being ignored', async () => {
    const site = h.sites[0]!;
    const handle = await cleanupFailed(h, site);
    h.world.state(site).primaryUp = false;
    await handle.signal(alertOpened, { alertId: 'dies-in-attention', source: 'watcher' });
    const s = await waitUntil(
      handle,
      'on standby again',
      (x) => x.phase === 'on_standby' && count(x, 'verify_public_url_on_standby', 'ok') === 2,
    );
    expect(s.triggers.find((t) => t.id === 'dies-in-attention')?.ignored).toBeUndefined();
    expect(s.attention).toBeUndefined();
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  });

  test('a retry with the primary down does not resolve onto it: it fails over again', async () => {
    const site = h.sites[1]!;
    const handle = await cleanupFailed(h, site);
    h.world.state(site).primaryUp = false; // no alert comes (the only one was consumed)
    await handle.signal(retry, { by: 'test' });
    const s = await waitForPhase(handle, ['on_standby', 'resolved']);
    expect(s.phase).toBe('on_standby');
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
    h.world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    expect((await handle.result()).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });

  test('with the monitor left paused, the incident watches the primary itself: its death fails over again', async () => {
    const site = h.sites[2]!;
    const handle = await cleanupFailed(h, site, 'monitor');
    expect(h.world.snapshot(site)).toMatchObject({ monitor: 'paused', standbyAccess: 'closed' });
    await waitUntil(handle, 'the watch', running('watch_primary'));
    h.world.state(site).primaryUp = false; // no alert can come: the monitor is paused
    const s = await waitUntil(handle, 'on standby again', (x) => x.phase === 'on_standby');
    expect(count(s, 'watch_primary', 'ok')).toBe(1);
    expect(s.warnings.join('\n')).toMatch(/the monitor stays paused/);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
    h.world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    expect((await handle.result()).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

/** A DNS-like site: the standby is kept open after a failback for a drain, in which an outage may come. */
function drainingPolicy(h: { config: Config }, site: string, extra = {}) {
  return { ...incidentPolicy(h.config.sites[site]!), drainBeforeCloseMs: 3000, ...extra };
}

/** A DNS-like site failed over, then failed back by hand: caught in its drain, the primary verified. */
async function inTheDrain(h: ReturnType<typeof harness>, site: string): Promise<IncidentHandle> {
  h.world.addSite(site, { primaryUp: false });
  const policy = drainingPolicy(h, site);
  const handle = await new Incidents(client, h.worker.taskQueue, () => policy).trigger(site, {
    alertId: 'first',
    source: 'test',
  });
  await waitForPhase(handle, 'on_standby');
  h.world.state(site).primaryUp = true;
  await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
  await waitUntil(handle, 'the drain', running('drain_standby'));
  return handle;
}

describe('path 2: a failed re-failover', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('ends rolled_back with the world as before the incident (standby closed, monitor resumed)', async () => {
    const site = h.sites[0]!;
    const handle = await inTheDrain(h, site);
    // A new outage during the drain: fail over again; that failover's verification never passes.
    h.world.inject(site, 'probe:public', { times: Infinity });
    h.world.state(site).primaryUp = false;
    await handle.signal(alertOpened, { alertId: 'during-drain', source: 'watcher' });
    await waitUntil(handle, 'the re-failover verifying', (x) => count(x, 'verify_public_url_on_standby') === 2);
    h.world.state(site).primaryUp = true; // the primary is back by the time it is undone
    const s = await handle.result();
    expect(s.phase).toBe('rolled_back');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

describe('path 3: automatic failback when the primary dies after each verified failback', () => {
  const h = harness(
    (s) =>
      inMemoryConfig(s, {
        failback: { mode: 'auto', holdDown: '200ms', maxAutoAttempts: 2, retryBackoff: '1s' },
      }),
    1,
  );

  test('counts each relapse, backs off, then stops with a warning', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false });
    const policy = drainingPolicy(h, site);
    const handle = await new Incidents(client, h.worker.taskQueue, () => policy).trigger(site, {
      alertId: 'first',
      source: 'test',
    });
    await waitForPhase(handle, 'on_standby');
    for (let relapse = 1; relapse <= 3; relapse++) {
      h.world.state(site).primaryUp = true;
      const s = await waitUntil(
        handle,
        `drain ${relapse}, or the automatic failback stopping`,
        (x) =>
          count(x, 'drain_standby', 'running') > 0 ||
          x.warnings.some((w) => w.startsWith('automatic failback stopped')),
        15_000,
      );
      if (count(s, 'drain_standby', 'running') === 0) break;
      h.world.state(site).primaryUp = false;
      await handle.signal(alertOpened, { alertId: `relapse-${relapse}`, source: 'watcher' });
      await waitUntil(
        handle,
        'on standby again',
        (x) => x.phase === 'on_standby' && count(x, 'drain_standby', 'running') === 0,
      );
    }
    await new Promise((r) => setTimeout(r, 1500)); // no further attempt comes
    const after = await handle.query(statusQuery);
    expect(count(after, 'route_traffic_to_primary')).toBe(2);
    expect(after.autoFailbackFailures).toBe(2);
    expect(after.warnings).toContain('automatic failback stopped after 2 failed attempts; fail back by hand');
    // The second failback waited for the backoff after users were back on the standby.
    const [, secondStandby] = after.steps.filter((x) => x.name === 'verify_public_url_on_standby');
    const [, second] = after.steps.filter((x) => x.name === 'route_traffic_to_primary');
    expect(second!.startedAt - secondStandby!.endedAt!).toBeGreaterThanOrEqual(1000 + 200);
    expect(after.phase).toBe('on_standby');
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  }, 60_000);
});

describe('path 4: a new outage right after a verified failback', () => {
  const h = harness((s) => inMemoryConfig(s), 2);

  test('is judged against the last time the primary was verified serving, not the end of the incident', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false });
    const incidents = Incidents.of(client, h.config, h.worker.taskQueue);
    const first = await trigger(client, h.config, h.worker.taskQueue, site, 'outage-1');
    await waitForPhase(first, 'on_standby');
    h.world.state(site).primaryUp = true;
    h.world.inject(site, 'standbyAccess', { times: 2 }); // the cleanup takes a few seconds
    await first.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    const done = await first.result();
    expect(done.phase).toBe('resolved');
    const verified = done.steps.find((s) => s.name === 'verify_public_url_on_primary')!;
    expect(done.endedAt! - verified.endedAt!).toBeGreaterThan(1000);
    // The primary died right after it was verified, while the cleanup ran; the alert comes after the end.
    h.world.state(site).primaryUp = false;
    const startedAt = new Date(verified.endedAt! + 200).toISOString();
    const second = await incidents.trigger(site, { alertId: 'outage-2', source: 'watcher', startedAt });
    const s = await waitForPhase(second, ['on_standby', 'dismissed']);
    expect(s.cause ?? '').not.toMatch(/stale/);
    expect(s.phase).toBe('on_standby');
  });

  test('an alert of the outage before the failback is still stale', async () => {
    const site = h.sites[1]!;
    h.world.addSite(site, { primaryUp: false });
    const incidents = Incidents.of(client, h.config, h.worker.taskQueue);
    const first = await trigger(client, h.config, h.worker.taskQueue, site, 'outage-1');
    await waitForPhase(first, 'on_standby');
    h.world.state(site).primaryUp = true;
    await first.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    const done = await first.result();
    const startedAt = new Date(done.startedAt - 5000).toISOString();
    const late = await incidents.trigger(site, { alertId: 'outage-1-late', source: 'pubsub', startedAt });
    const s = await late.result();
    expect(s.phase).toBe('dismissed');
    expect(s.cause).toMatch(/^stale: the outage started .* before the primary was last verified serving/);
  });
});

describe('an abort after the failback verified the primary', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('is refused with a reason (nothing is in flight to undo)', async () => {
    const site = h.sites[0]!;
    const handle = await inTheDrain(h, site);
    await handle.signal(abort, { by: 'test' });
    const s = await handle.result();
    expect(s.phase).toBe('resolved');
    expect(s.triggers.find((t) => t.kind === 'abort')?.ignored).toMatch(/the primary is already verified/);
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

describe('cancelling the workflow (Temporal UI or CLI)', () => {
  const h = harness((s) => inMemoryConfig(s), 4);
  const cancelled = async (handle: IncidentHandle) => {
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/cancel/i);
  };
  async function onStandby(site: string, policy = incidentPolicy(h.config.sites[site]!)) {
    h.world.addSite(site, { primaryUp: false });
    const handle = await new Incidents(client, h.worker.taskQueue, () => policy).trigger(site, {
      alertId: 'first',
      source: 'test',
    });
    await waitForPhase(handle, 'on_standby');
    return handle;
  }

  test('on standby: the run ends cancelled, users left on the serving standby', async () => {
    const site = h.sites[0]!;
    const handle = await onStandby(site);
    await handle.cancel();
    await cancelled(handle);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  });

  test('while failing back: undone, then the run ends cancelled on the standby', async () => {
    const site = h.sites[1]!;
    const handle = await onStandby(site);
    h.world.state(site).primaryUp = true;
    h.world.inject(site, 'probe:public', { times: 30 });
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'verification on the primary', running('verify_public_url_on_primary'));
    await handle.cancel();
    await cancelled(handle);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  });

  test('during the drain: the cleanup finishes, the world as before the incident', async () => {
    const site = h.sites[2]!;
    const handle = await onStandby(site, drainingPolicy(h, site));
    h.world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'the drain', running('drain_standby'));
    await handle.cancel();
    expect((await handle.result()).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });

  test('in needs_attention: the run ends cancelled, the world as it is', async () => {
    const site = h.sites[3]!;
    const handle = await cleanupFailed(h, site);
    await handle.cancel();
    await cancelled(handle);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'primary' });
  });
});

describe('a new outage after the failback verified the primary, with the monitor pause still retrying', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('fails over again at once, not after the pause gives up', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false });
    h.world.inject(site, 'monitor', { times: Infinity }); // the monitor API answers 503 for now
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'the primary verified', (x) => count(x, 'verify_public_url_on_primary', 'ok') === 1);
    expect(count(await handle.query(statusQuery), 'pause_monitor', 'running')).toBe(1);
    h.world.state(site).primaryUp = false;
    await handle.signal(alertOpened, { alertId: 'second-outage', source: 'watcher' });
    await waitUntil(
      handle,
      'on standby again',
      (x) => x.phase === 'on_standby' && count(x, 'verify_public_url_on_standby', 'ok') === 2,
      15_000,
    );
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
    h.world.clearFaults();
    h.world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    expect((await handle.result()).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 60_000);
});

describe('a cancel after the failback verified the primary, with the monitor pause still retrying', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('waits for the pause, then the cleanup finishes: the world as before the incident', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false });
    h.world.inject(site, 'monitor', { times: Infinity }); // the monitor API answers 503 for now
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'the primary verified', (x) => count(x, 'verify_public_url_on_primary', 'ok') === 1);
    expect(count(await handle.query(statusQuery), 'pause_monitor', 'running')).toBe(1);
    await handle.cancel();
    await new Promise((r) => setTimeout(r, 500));
    h.world.clearFaults(); // the pause lands, then the cleanup puts the monitor and the standby back
    expect((await handle.result()).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 60_000);
});

describe('needs_attention after a failed failover with the primary down', () => {
  const h = harness(
    (s) =>
      inMemoryConfig(s, {
        probe: {
          interval: '20ms',
          successesNeeded: 1,
          standbyReadyTimeout: '500ms',
          verifyTimeout: '2s',
          primaryCheckTimeout: '500ms',
        },
      }),
    2,
  );
  const withRetry = (site: string) => ({
    ...incidentPolicy(h.config.sites[site]!),
    failoverRetry: { maxAttempts: 2, backoffMs: 500 },
  });

  test('fails over again on its own after a backoff, a bounded number of times', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false, standbyUp: false }); // the standby is slow to come up
    const policy = withRetry(site);
    const handle = await new Incidents(client, h.worker.taskQueue, () => policy).trigger(site, {
      alertId: 'first',
      source: 'test',
    });
    const waiting = await waitForPhase(handle, 'needs_attention');
    expect(waiting.attention).toMatchObject({ retry: 'failover', autoRetryAt: expect.any(Number) as number });
    h.world.state(site).standbyUp = true;
    const s = await waitForPhase(handle, 'on_standby', 15_000);
    expect(s.autoFailoverRetries).toBe(1);
    expect(s.triggers.some((t) => t.kind === 'retry' && t.source === 'automatic retry')).toBe(true);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  }, 30_000);

  test('stops after maxAttempts and waits for a human', async () => {
    const site = h.sites[1]!;
    h.world.addSite(site, { primaryUp: false, standbyUp: false });
    const policy = withRetry(site);
    const handle = await new Incidents(client, h.worker.taskQueue, () => policy).trigger(site, {
      alertId: 'first',
      source: 'test',
    });
    await waitUntil(
      handle,
      'two automatic retries',
      (x) => (x.autoFailoverRetries ?? 0) === 2 && x.phase === 'needs_attention',
      20_000,
    );
    const s = await handle.query(statusQuery);
    expect(s.attention?.autoRetryAt).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2500));
    expect(count(await handle.query(statusQuery), 'enable_standby_access')).toBe(3);
  }, 40_000);
});

describe('a new outage while the cleanup is being retried', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('stops the cleanup: the standby is not closed only to be opened again', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    h.world.inject(site, 'standbyAccess', { times: Infinity }); // closing the standby keeps failing (503)
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'cleanup', running('close_standby_access'));
    const closes = () =>
      h.world.mutations.filter((m) => m.site === site && m.op === 'standbyAccess' && m.to === 'closed').length;
    const before = closes();
    h.world.state(site).primaryUp = false;
    await handle.signal(alertOpened, { alertId: 'second-outage', source: 'watcher' });
    h.world.clearFaults();
    const s = await waitUntil(
      handle,
      'on standby again',
      (x) => x.phase === 'on_standby' && count(x, 'verify_public_url_on_standby', 'ok') === 2,
      15_000,
    );
    expect(s.steps.find((x) => x.name === 'close_standby_access')?.outcome).toBe('cancelled');
    expect(closes()).toBe(before);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  });
});

describe('a long wait in needs_attention after a failed failover', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('continues as new when suggested, still waiting with its attention; a retry then fails over', async () => {
    const site = h.sites[0]!;
    h.world.addSite(site, { primaryUp: false, standbyUp: false });
    const policy = { ...incidentPolicy(h.config.sites[site]!), standbyReadyTimeoutMs: 500 };
    const handle = await new Incidents(client, h.worker.taskQueue, () => policy).trigger(site, {
      alertId: 'first',
      source: 'test',
    });
    const waiting = await waitForPhase(handle, 'needs_attention');
    await floodUntilContinuedAsNew(client, handle, (i) =>
      handle.signal(alertClosed, { alertId: `closed-${i}`, source: 'test' }),
    );
    const latest = client.workflow.getHandle(handle.workflowId);
    const carried = await latest.query(statusQuery);
    expect(carried.phase).toBe('needs_attention');
    expect(carried.attention).toEqual(waiting.attention);
    expect(carried.phaseSince).toBe(waiting.phaseSince);
    expect(carried.triggers.length + carried.triggersDropped).toBeGreaterThan(CONTINUE_AS_NEW_AFTER_EVENTS);
    h.world.state(site).standbyUp = true;
    await latest.signal(retry, { by: 'test' });
    await waitUntil(latest, 'on standby', (x) => x.phase === 'on_standby');
    h.world.state(site).primaryUp = true;
    await latest.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    expect(((await latest.result()) as IncidentStatus).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 60_000);
});

describe('a long wait in needs_attention after a failed cleanup', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('continues as new when suggested, waiting on the steps left (and watching); a retry then finishes', async () => {
    const site = h.sites[0]!;
    const handle = await cleanupFailed(h, site, 'monitor');
    const waiting = await waitUntil(handle, 'the watch', running('watch_primary'));
    await floodUntilContinuedAsNew(client, handle, (i) =>
      handle.signal(alertClosed, { alertId: `closed-${i}`, source: 'test' }),
    );
    const latest = client.workflow.getHandle(handle.workflowId);
    const carried = await waitUntil(
      latest as IncidentHandle,
      'the watch again',
      (x) => count(x, 'watch_primary') >= 2 && running('watch_primary')(x),
    );
    expect(carried.phase).toBe('needs_attention');
    expect(carried.attention).toEqual(waiting.attention);
    expect(carried.attention?.pending).toEqual(['resume_monitor']);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'primary', standbyAccess: 'closed', monitor: 'paused' });
    await latest.signal(retry, { by: 'test' });
    expect(((await latest.result()) as IncidentStatus).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 60_000);
});

describe("a long wait in needs_attention on a saga's undo steps", () => {
  const h = harness((s) => inMemoryConfig(s), 2);
  const revokedTraffic = () => ({ times: Infinity, error: new ProviderError('permission', 'token revoked') });

  /** Floods the run until it continues as new; the next run waits with the same attention. */
  async function continued(handle: IncidentHandle, waiting: IncidentStatus): Promise<IncidentHandle> {
    await floodUntilContinuedAsNew(client, handle, (i) =>
      handle.signal(alertClosed, { alertId: `closed-${i}`, source: 'test' }),
    );
    const latest = client.workflow.getHandle(handle.workflowId) as IncidentHandle;
    const carried = await waitForPhase(latest, 'needs_attention');
    expect(carried.attention).toEqual(waiting.attention);
    return latest;
  }

  test("a failed failover's: continues as new with the steps left; a retry then rolls back", async () => {
    const site = h.sites[0]!;
    h.world.addSite(site);
    h.world.inject(site, 'probe:public', { times: Infinity });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitUntil(handle, 'verification on the standby', running('verify_public_url_on_standby'));
    h.world.inject(site, 'traffic', revokedTraffic());
    const waiting = await waitForPhase(handle, 'needs_attention');
    expect(waiting.attention?.pending).toEqual(['undo_route_traffic_to_standby', 'undo_enable_standby_access']);
    const latest = await continued(handle, waiting);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
    h.world.clearFaults();
    await latest.signal(retry, { by: 'test' });
    expect(((await latest.result()) as IncidentStatus).phase).toBe('rolled_back');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 60_000);

  test("a failed failback's: continues as new; a retry puts users back on the standby, a failback then resolves", async () => {
    const site = h.sites[1]!;
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    h.world.inject(site, 'probe:public', { times: Infinity });
    void handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitUntil(handle, 'verification on the primary', running('verify_public_url_on_primary'));
    h.world.inject(site, 'traffic', revokedTraffic());
    const waiting = await waitForPhase(handle, 'needs_attention');
    expect(waiting.attention?.pending).toEqual(['undo_route_traffic_to_primary']);
    const latest = await continued(handle, waiting);
    h.world.clearFaults();
    await latest.signal(retry, { by: 'test' });
    // Back on the standby, and the failback request was used up: no new failback starts by itself.
    const back = await waitUntil(latest, 'on standby again', (x) => x.phase === 'on_standby');
    expect(count(back, 'route_traffic_to_primary')).toBe(1);
    expect(h.world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
    await latest.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    expect(((await latest.result()) as IncidentStatus).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  }, 60_000);
});

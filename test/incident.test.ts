// The incident workflow end to end: real Temporal dev server, real worker, in-memory providers.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import type { InMemoryWorld, Operation } from '../activities/providers/in-memory/world.ts';
import type { Config } from '../config/schema.ts';
import { buildRegistry } from '../clients/providers.ts';
import { Incidents } from '../clients/incidents.ts';
import { incidentPolicy } from '../config/policies.ts';
import {
  abort,
  acknowledge,
  alertClosed,
  alertOpened,
  approveFailback,
  primaryRecovered,
  requestFailback,
  statusQuery,
} from '../workflows/incident-messages.ts';
import { CONTINUE_AS_NEW_AFTER_EVENTS } from './support/global-setup.ts';
import { floodUntilContinuedAsNew } from './support/incident-suite.ts';
import { phaseAttribute } from '../workflows/search-attributes.ts';
import type { StepName } from '../workflows/incident-types.ts';
import { inMemoryConfig, testWorld, trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const AT_START = { standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' };
const ON_STANDBY = { standbyAccess: 'open', traffic: 'standby', monitor: 'paused' };

let client: Client;
beforeAll(async () => {
  client = await testClient();
});

/** A worker of its own per describe block, on the config's sites. */
function harness(config: (sites: string[]) => Config, siteCount: number) {
  const sites = Array.from({ length: siteCount }, () => uniqueSite());
  const ctx = {
    sites,
    world: testWorld() as InMemoryWorld,
    config: config(sites),
    worker: undefined as unknown as RunningWorker,
  };
  beforeAll(async () => {
    ctx.worker = await startWorker(buildRegistry(ctx.config, { world: ctx.world }));
  });
  afterAll(async () => {
    await ctx.worker?.shutdown();
  });
  return ctx;
}

const stepNames = (steps: { name: StepName }[]) => steps.map((s) => s.name);

describe('failover', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('opens the standby, waits until it serves, routes traffic, verifies, pauses the monitor', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    const status = await waitForPhase(handle, 'on_standby');

    expect(h.world.snapshot(site)).toEqual(ON_STANDBY);
    expect(status.steps.every((s) => s.outcome === 'ok' && s.attempts === 1)).toBe(true);
    // Critical path in order; the monitor pause runs beside it.
    expect(stepNames(status.steps).filter((n) => n !== 'pause_monitor')).toEqual([
      'enable_standby_access',
      'await_standby_ready',
      'route_traffic_to_standby',
      'verify_public_url_on_standby',
    ]);
    const at = (n: StepName) => status.steps.find((s) => s.name === n)!;
    expect(at('route_traffic_to_standby').startedAt).toBeGreaterThanOrEqual(at('await_standby_ready').endedAt!);
    expect(status.onStandbyAt).toBeGreaterThanOrEqual(status.startedAt);
    const { typedSearchAttributes } = await handle.describe();
    expect(typedSearchAttributes.get(phaseAttribute)).toBe('on_standby');
    // The UI's timeline names each activity by its step (the activity's summary).
    const { events } = await handle.fetchHistory();
    const summaries = (events ?? []).flatMap((e) => {
      const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
      const summary = e.userMetadata?.summary;
      return type && summary ? [`${type}: ${defaultPayloadConverter.fromPayload<string>(summary)}`] : [];
    });
    expect(summaries).toEqual(
      expect.arrayContaining([
        'openStandbyAccess: enable_standby_access',
        'awaitStandbyReady: await_standby_ready',
        'routeTraffic: route_traffic_to_standby',
        'verifyPublicUrl: verify_public_url_on_standby',
      ]),
    );
  });
});

describe('lever step bounds', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test("each lever's change step is bounded as the policy says, and by today's defaults where it says nothing", async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    const policy = (name: string) => ({
      ...incidentPolicy(h.config.sites[name]!),
      levers: { traffic: { startToCloseTimeoutMs: 7000, initialIntervalMs: 250 } },
    });
    const handle = await new Incidents(client, h.worker.taskQueue, policy).trigger(site, {
      alertId: 'a1',
      source: 'test',
    });
    await waitForPhase(handle, 'on_standby');
    const { events } = await handle.fetchHistory();
    const bounds = Object.fromEntries(
      (events ?? []).flatMap((e) => {
        const a = e.activityTaskScheduledEventAttributes;
        const name = a?.activityType?.name;
        return name ? [[name, [a.startToCloseTimeout?.seconds?.toString(), a.retryPolicy?.initialInterval]]] : [];
      }),
    );
    const ms = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
      Number(d?.seconds ?? 0) * 1000 + (d?.nanos ?? 0) / 1e6;
    expect(bounds.routeTraffic![0]).toBe('7');
    expect(ms(bounds.routeTraffic![1] as never)).toBe(250);
    expect(bounds.openStandbyAccess![0]).toBe('95');
    expect(ms(bounds.openStandbyAccess![1] as never)).toBe(1000);
    expect(bounds.pauseMonitor![0]).toBe('30');
  });
});

describe('failback', () => {
  const h = harness((s) => inMemoryConfig(s), 4);

  test('manual: the update is refused with a reason until the site is on standby, then fails back', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false, standbyUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'failing_over');
    const refused = handle.executeUpdate(requestFailback, { args: [{ by: 'alice' }] });
    await expect(refused).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(refused).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/failing_over, not on_standby/) },
    });

    h.world.state(site).standbyUp = true;
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    await expect(handle.executeUpdate(requestFailback, { args: [{ by: 'alice' }] })).resolves.toMatchObject({
      accepted: true,
    });
    const status = await handle.result();

    expect(status.phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
    expect(stepNames(status.steps).slice(-5)).toEqual([
      'await_primary_healthy',
      'route_traffic_to_primary',
      'verify_public_url_on_primary',
      'close_standby_access',
      'resume_monitor',
    ]);
  });

  test('manual: refused while the primary is still down; the site stays on standby', async () => {
    const [, site] = h.sites as [string, string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    await handle.signal(approveFailback, { by: 'bob' });
    await waitForPhase(handle, 'failing_back');
    const status = await waitForPhase(handle, 'on_standby');

    expect(status.cause).toMatch(/failback failed: await_primary_healthy: ProbeFailed/);
    expect(h.world.snapshot(site)).toEqual(ON_STANDBY);
    expect(h.world.mutations.filter((m) => m.site === site && m.op === 'traffic')).toHaveLength(1);
  });

  test('if the primary fails verification after traffic moved back, traffic returns to the standby', async () => {
    const [, , site] = h.sites as [string, string, string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    h.world.state(site).primaryUp = true;
    h.world.inject(site, 'probe:public', {
      times: Infinity,
      error: new ProviderError('unavailable', 'edge returns 502'),
    });
    await handle.executeUpdate(requestFailback, { args: [{ by: 'carol' }] });
    await waitForPhase(handle, 'failing_back');
    const status = await waitForPhase(handle, 'on_standby');

    expect(status.cause).toMatch(/verify_public_url_on_primary: ProbeFailed/);
    expect(stepNames(status.steps).at(-1)).toBe('undo_route_traffic_to_primary');
    expect(h.world.snapshot(site)).toEqual(ON_STANDBY);
  });

  test('automatic: only after the primary stayed healthy for the whole hold-down', async () => {
    const site = h.sites[3]!;
    const auto = inMemoryConfig([site], { failback: { mode: 'auto', holdDown: '1500ms' } });
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, auto, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');

    // A flap: up briefly, down again. The hold-down restarts; nothing moves.
    h.world.state(site).primaryUp = true;
    await new Promise((r) => setTimeout(r, 300));
    h.world.state(site).primaryUp = false;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await handle.query(statusQuery)).phase).toBe('on_standby');

    const recoveredAt = Date.now();
    h.world.state(site).primaryUp = true;
    const status = await handle.result();
    expect(status.phase).toBe('resolved');
    expect(status.endedAt! - recoveredAt).toBeGreaterThanOrEqual(1500);
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

describe('rollback on a permanent failure', () => {
  // `undo` lists the critical-path compensations expected, newest first: every change step
  // started, the failed one included (a change can land even when its step fails; undoing an
  // unapplied one is a no-op). The monitor pause runs beside them and is always undone too.
  const cases: { step: StepName; op: Operation; error: ProviderError; undo: StepName[] }[] = [
    {
      step: 'enable_standby_access',
      op: 'standbyAccess',
      error: new ProviderError('permission', 'projects/p/locations/r/services/s: missing run.services.setIamPolicy'),
      undo: ['undo_enable_standby_access'],
    },
    {
      step: 'await_standby_ready',
      op: 'probe:standby',
      error: new ProviderError('unavailable', 'standby answers 403'),
      undo: ['undo_enable_standby_access'],
    },
    {
      step: 'route_traffic_to_standby',
      op: 'traffic',
      error: new ProviderError('not_found', 'page rule abc not found in zone z'),
      undo: ['undo_route_traffic_to_standby', 'undo_enable_standby_access'],
    },
    {
      step: 'verify_public_url_on_standby',
      op: 'probe:public',
      error: new ProviderError('unavailable', 'edge returns 522'),
      undo: ['undo_route_traffic_to_standby', 'undo_enable_standby_access'],
    },
  ];
  const h = harness((s) => inMemoryConfig(s), cases.length);

  test.each(cases.map((c, i) => ({ ...c, i })))(
    'at $step: compensated in reverse, world as before',
    async ({ step, op, error, undo, i }) => {
      const site = h.sites[i]!;
      h.world.addSite(site, { primaryUp: false });
      h.world.inject(site, op, { times: Infinity, error });
      const handle = await trigger(client, h.config, h.worker.taskQueue, site);
      // Undone, but the primary is down too: users get errors, so a human decides.
      const waiting = await waitForPhase(handle, 'needs_attention');
      expect(waiting.attention).toMatchObject({ retry: 'failover' });
      expect(waiting.attention?.reason).toMatch(/the primary does not serve/);
      await handle.signal(acknowledge, { by: 'test' });
      const status = await handle.result();

      expect(status.phase).toBe('rolled_back');
      expect(status.cause).toContain(step);
      expect(h.world.snapshot(site)).toEqual(AT_START);
      const failed = status.steps.find((s) => s.name === step)!;
      expect(failed.outcome).toBe('failed');
      const undone = stepNames(status.steps).filter((n) => n.startsWith('undo_'));
      expect(undone.filter((n) => n !== 'undo_pause_monitor')).toEqual(undo);
      expect(undone).toContain('undo_pause_monitor');
      const undoneSteps = status.steps.filter((s) => s.name.startsWith('undo_'));
      expect(undoneSteps.every((s) => s.outcome === 'ok')).toBe(true);
      // An undo changes the world exactly when the step it undoes did.
      for (const u of undoneSteps)
        expect(u.changed, u.name).toBe(status.steps.find((s) => `undo_${s.name}` === u.name)!.changed ?? false);
      if (error.kind === 'permission' || error.kind === 'not_found') {
        expect(failed.attempts).toBe(1); // not retried
        expect(failed.error).toContain(error.message);
      }
    },
  );
});

describe('the monitor', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('a monitor that cannot be paused does not keep users on a dead primary', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    h.world.inject(site, 'monitor', {
      times: Infinity,
      error: new ProviderError('permission', 'missing monitoring.alertPolicies.update'),
    });
    const status = await waitForPhase(await trigger(client, h.config, h.worker.taskQueue, site), 'on_standby');
    expect(status.warnings.join()).toMatch(
      /monitor not paused: PermissionDenied: missing monitoring.alertPolicies.update/,
    );
    expect(h.world.snapshot(site)).toEqual({ ...ON_STANDBY, monitor: 'enabled' });
  });
});

describe('transient failures', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('are retried at every step and the failover completes', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    for (const op of ['standbyAccess', 'traffic', 'monitor', 'probe:standby', 'probe:public'] as const) {
      h.world.inject(site, op, {
        times: 2,
        error: new ProviderError(op === 'traffic' ? 'rate_limited' : 'unavailable', 'injected', 100),
      });
    }
    const status = await waitForPhase(await trigger(client, h.config, h.worker.taskQueue, site), 'on_standby');

    expect(h.world.snapshot(site)).toEqual(ON_STANDBY);
    const attempts = Object.fromEntries(status.steps.map((s) => [s.name, s.attempts]));
    // Mutations are retried by Temporal; probes retry inside their own loop.
    expect(attempts).toMatchObject({ enable_standby_access: 3, route_traffic_to_standby: 3, pause_monitor: 3 });
    expect(status.steps.find((s) => s.name === 'await_standby_ready')!.summary).toMatch(/after 3 checks/);
    expect(h.world.mutations.filter((m) => m.site === site)).toHaveLength(3); // each change applied once
  });
});

describe('duplicate, late and out-of-order alerts', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('make one incident and re-run no step', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site, 'a-1');
    const again = await trigger(client, h.config, h.worker.taskQueue, site, 'a-1'); // duplicate (redelivery)
    await trigger(client, h.config, h.worker.taskQueue, site, 'a-2'); // a second alert during failover
    await waitForPhase(handle, 'on_standby');
    await handle.signal(alertClosed, { alertId: 'a-3', source: 'test' }); // closed before its open
    await handle.signal(alertOpened, { alertId: 'a-3', source: 'test' });
    await trigger(client, h.config, h.worker.taskQueue, site, 'a-4'); // late: already on standby
    for (let i = 0; i < 3; i++) await handle.signal(primaryRecovered, { by: 'watcher' }); // repeats are counted
    const status = await handle.query(statusQuery);

    expect(again.signaledRunId).toBe(handle.signaledRunId);
    const ignored = Object.fromEntries(
      status.triggers.filter((t) => t.kind === 'alert_opened').map((t) => [`${t.id}`, t.ignored ?? null]),
    );
    expect(ignored['a-1']).toBe('duplicate'); // the second a-1; the first one is overwritten in this map
    expect(status.triggers.filter((t) => t.id === 'a-1' && !t.ignored)).toHaveLength(1);
    expect(ignored['a-2']).toMatch(/already (triggered|failing_over|on_standby)/);
    expect(ignored['a-3']).toMatch(/out of order/);
    expect(ignored['a-4']).toBe('incident already on_standby');
    expect(status.triggers.filter((t) => t.kind === 'primary_recovered')).toEqual([
      expect.objectContaining({ source: 'watcher', repeats: 2 }),
    ]);
    expect(status.steps.filter((s) => s.name === 'enable_standby_access')).toHaveLength(1);
    expect(h.world.mutations.filter((m) => m.site === site)).toHaveLength(3);
    const { executions } = await client.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = '${handle.workflowId}'`,
    });
    expect(executions).toHaveLength(1);
  });
});

describe('abort and cancellation', () => {
  const h = harness(
    (s) => inMemoryConfig(s, { probe: { interval: '20ms', successesNeeded: 1, standbyReadyTimeout: '1m' } }),
    3,
  );

  test('abort during failover compensates what was done', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false, standbyUp: false }); // holds await_standby_ready
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitUntilStep(handle, 'await_standby_ready');
    await handle.signal(abort, { by: 'dave' });
    const status = await handle.result();

    expect(status.phase).toBe('rolled_back');
    expect(status.cause).toBe('aborted by dave');
    expect(status.steps.find((s) => s.name === 'await_standby_ready')!.outcome).toBe('cancelled');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });

  test('abort on standby changes nothing and says why', async () => {
    const [, site] = h.sites as [string, string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    await handle.signal(abort, { by: 'erin' });
    await handle.signal(approveFailback, { by: 'probe-barrier' }); // processed after the abort
    const status = await waitForPhase(handle, ['failing_back', 'on_standby']);
    expect(status.triggers.find((t) => t.kind === 'abort')!.ignored).toMatch(/nothing in flight/);
    expect(h.world.snapshot(site).traffic).toBe('standby');
  });

  test('cancelling the workflow from Temporal also compensates', async () => {
    const [, , site] = h.sites as [string, string, string];
    h.world.addSite(site, { primaryUp: false, standbyUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitUntilStep(handle, 'await_standby_ready');
    await handle.cancel();
    const status = await handle.result();
    expect(status.phase).toBe('rolled_back');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

describe('a long stay on standby', () => {
  const h = harness((s) => inMemoryConfig(s), 1);

  test('continues as new to bound the history, keeping the status and what failback must restore', async () => {
    const [site] = h.sites as [string];
    h.world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, h.config, h.worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    await floodUntilContinuedAsNew(client, handle, (i) => handle.signal(primaryRecovered, { by: `watcher-${i}` }));

    const latest = client.workflow.getHandle(handle.workflowId);
    const carried = await waitForPhase(latest, 'on_standby');
    expect(carried.triggers.length + carried.triggersDropped).toBeGreaterThan(CONTINUE_AS_NEW_AFTER_EVENTS);
    expect(carried.steps.map((s) => s.name)).toContain('verify_public_url_on_standby');
    h.world.state(site).primaryUp = true;
    await latest.executeUpdate(requestFailback, { args: [{ by: 'frank' }] });
    expect((await latest.result()).phase).toBe('resolved');
    expect(h.world.snapshot(site)).toEqual(AT_START);
  });
});

describe('worker shut down gracefully mid-failover', () => {
  const sites = [uniqueSite()];
  const world = testWorld();
  const config = inMemoryConfig(sites, { probe: { interval: '20ms', successesNeeded: 1, standbyReadyTimeout: '1m' } });

  test('a new worker finishes the incident; nothing is applied twice', async () => {
    const [site] = sites as [string];
    world.addSite(site, { primaryUp: false, standbyUp: false });
    const first = await startWorker(buildRegistry(config, { world }), { shutdownGraceTime: '500ms' });
    const handle = await trigger(client, config, first.taskQueue, site);
    await waitUntilStep(handle, 'await_standby_ready');
    await first.shutdown();

    world.state(site).standbyUp = true;
    const second = await startWorker(buildRegistry(config, { world }), { taskQueue: first.taskQueue });
    try {
      const status = await waitForPhase(handle, 'on_standby');
      expect(world.snapshot(site)).toEqual(ON_STANDBY);
      expect(
        world.mutations
          .filter((m) => m.site === site)
          .map((m) => m.op)
          .sort(),
      ).toEqual(['monitor', 'standbyAccess', 'traffic']);
      expect(status.steps.filter((s) => s.name === 'enable_standby_access')).toHaveLength(1);
    } finally {
      await second.shutdown();
    }
  });
});

async function waitUntilStep(handle: Awaited<ReturnType<typeof trigger>>, step: StepName): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const status = await handle.query(statusQuery);
    if (status.steps.some((s) => s.name === step && s.outcome === 'running')) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`step ${step} never started`);
}

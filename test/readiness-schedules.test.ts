// The readiness schedules (worker/readiness-schedules.ts) on the real Temporal server: created
// once per site, updated in place (a paused schedule stays paused, a new interval is taken),
// removed when the site leaves the config, others' schedules left alone; and a scheduled run
// (triggered, as one interval would) turns a drifted site not ready.
import { randomUUID } from 'node:crypto';
import { type Client, type ScheduleHandle, ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildRegistry } from '../clients/providers.ts';
import { readinessHistory, readinessTarget } from '../clients/readiness.ts';
import { configSchema } from '../config/schema.ts';
import { inMemoryConfig, uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';
import { type SandboxWorld, startSandboxWorld } from '../sandbox/world.ts';
import { SCHEDULE_PREFIX, ensureReadinessSchedules, readinessScheduleId } from '../worker/readiness-schedules.ts';
import type { ReadinessResult } from '../workflows/readiness-types.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

let client: Client;
const handles: ScheduleHandle[] = [];

beforeAll(async () => {
  client = await testClient();
});
afterAll(async () => {
  for (const h of handles) await h.delete().catch(() => {});
});

const intervalOf = async (id: string) => {
  const d = await client.schedule.getHandle(id).describe();
  return { every: d.spec.intervals?.[0]?.every, paused: d.state.paused, memo: d.memo, action: d.action };
};

describe('readiness schedules', () => {
  test('created once per site, updated in place (paused stays paused), removed with the site, others kept', async () => {
    const [a, b] = [uniqueSite('sch'), uniqueSite('sch')];
    const taskQueue = `tq-${randomUUID()}`;
    const two = inMemoryConfig([a, b]);
    handles.push(client.schedule.getHandle(readinessScheduleId(a)), client.schedule.getHandle(readinessScheduleId(b)));
    // Another deployment's schedule (another task queue) and one this project does not own.
    const foreignSite = uniqueSite('sch');
    const other = await ensureReadinessSchedules(client, inMemoryConfig([foreignSite]), `tq-${randomUUID()}`);
    handles.push(client.schedule.getHandle(readinessScheduleId(foreignSite)));
    expect(other.created).toEqual([readinessScheduleId(foreignSite)]);
    const unowned = await client.schedule.create({
      scheduleId: `${SCHEDULE_PREFIX}${uniqueSite('hand')}`,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'readiness', taskQueue, args: [{ site: 'x' }] },
      state: { paused: true },
    });
    handles.push(unowned);

    expect(await ensureReadinessSchedules(client, two, taskQueue)).toEqual({
      created: [readinessScheduleId(a), readinessScheduleId(b)],
      updated: [],
      removed: [],
    });
    const first = await intervalOf(readinessScheduleId(a));
    expect(first).toMatchObject({ every: 5 * 60_000, paused: false, memo: { owner: 'failover', site: a, taskQueue } });
    expect(first.action).toMatchObject({ workflowType: 'readiness', taskQueue, args: [{ site: a }] });

    expect(await ensureReadinessSchedules(client, two, taskQueue)).toEqual({
      created: [],
      updated: [readinessScheduleId(a), readinessScheduleId(b)],
      removed: [],
    });
    await client.schedule.getHandle(readinessScheduleId(a)).pause('paused in the UI');
    const slower = configSchema.parse({ ...two, readiness: { intervalMinutes: 7 } });
    await ensureReadinessSchedules(client, slower, taskQueue);
    expect(await intervalOf(readinessScheduleId(a))).toMatchObject({ every: 7 * 60_000, paused: true });
    expect(await intervalOf(readinessScheduleId(b))).toMatchObject({ every: 7 * 60_000, paused: false });

    // b leaves the config: removed (the schedule list is eventually consistent: ensure again until seen).
    const onlyA = inMemoryConfig([a]);
    await waitFor(
      'b removed',
      async () => (await ensureReadinessSchedules(client, onlyA, taskQueue)).removed.length > 0,
    );
    await expect(client.schedule.getHandle(readinessScheduleId(b)).describe()).rejects.toThrow(/not found/i);
    expect(await intervalOf(readinessScheduleId(a))).toMatchObject({ paused: true });
    await expect(client.schedule.getHandle(readinessScheduleId(foreignSite)).describe()).resolves.toBeDefined();
    await expect(unowned.describe()).resolves.toBeDefined();
  });
});

describe('a scheduled run', () => {
  const site = uniqueSite('schrun');
  let world: SandboxWorld;
  let worker: RunningWorker;

  beforeAll(async () => {
    world = await startSandboxWorld({ sites: [site] });
    process.env.GCE_METADATA_HOST = world.env.GCE_METADATA_HOST;
    const registry = buildRegistry(world.config, { env: world.env });
    worker = await startWorker(registry, {
      readiness: { registry, target: (s) => readinessTarget(world.config, s), history: readinessHistory(client) },
    });
    await ensureReadinessSchedules(client, world.config, worker.taskQueue);
    handles.push(client.schedule.getHandle(readinessScheduleId(site)));
  });
  afterAll(async () => {
    await worker?.shutdown();
    await world?.stop();
  });

  /** What one interval would do: the schedule starts a run; its result. */
  async function scheduledRun(): Promise<ReadinessResult> {
    const handle = client.schedule.getHandle(readinessScheduleId(site));
    const taken = (await handle.describe()).info.numActionsTaken;
    // ALLOW_ALL: an interval's own run may be under way (it would skip the trigger).
    await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    const action = await waitFor('the scheduled run', async () => {
      const d = await handle.describe();
      return d.info.numActionsTaken > taken && d.info.recentActions.at(-1);
    });
    expect(action.action.workflow.workflowId).toMatch(new RegExp(`^readiness-${site}-`));
    return client.workflow.getHandle(action.action.workflow.workflowId).result();
  }

  test('ready, then a drift turns it not ready at the next run', async () => {
    expect((await scheduledRun()).ready).toBe(true);
    const monitor = buildRegistry(world.config, { env: world.env }).forSite(site).monitor;
    await monitor.set('paused');
    try {
      const r = await scheduledRun();
      expect(r).toMatchObject({ ready: false, previousReady: true, changed: true });
      expect(r.checks.filter((c) => c.status === 'fail').map((c) => c.check)).toEqual(['idle_position']);
    } finally {
      await monitor.set('enabled');
    }
  });
});

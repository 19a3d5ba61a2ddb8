// The warmed standby (issue 18) on the real dev server and the in-memory world: the minimum
// instances raised before the standby is opened, put back exactly as found after the failback and
// when the failover is undone, also when the worker is restarted in the middle of the warm-up.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import { buildRegistry } from '../clients/providers.ts';
import { planFailover } from '../starters/cli/dry-run.ts';
import { inMemoryConfig, testWorld, trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { requestFailback } from '../workflows/incident-messages.ts';
import type { StepName } from '../workflows/incident-types.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const warmConfig = (sites: string[]) =>
  inMemoryConfig(sites, {
    standby: { url: 'https://standby.example.test/', access: { type: 'in-memory' }, warmup: { minInstances: 2 } },
  });

test('the config refuses a warm-up without a Cloud Run standby', () => {
  expect(() =>
    inMemoryConfig(['x'], {
      standby: { url: 'https://standby.example.test/', access: { type: 'always-open' }, warmup: { minInstances: 2 } },
    }),
  ).toThrow(/"warmup"[^]*needs standby\.access of type cloud-run/);
  expect(() => warmConfig(['x']).sites.x!.standby.warmup).not.toThrow();
  expect(() =>
    inMemoryConfig(['x'], {
      standby: { url: 'https://standby.example.test/', access: { type: 'in-memory' }, warmup: { minInstances: 0 } },
    }),
  ).toThrow(/minInstances/);
});

let client: Client;
beforeAll(async () => {
  client = await testClient();
});

describe('a warmed standby', () => {
  const sites = [uniqueSite('warm'), uniqueSite('warm'), uniqueSite('warm'), uniqueSite('warm')];
  const world = testWorld();
  const config = warmConfig(sites);
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker(buildRegistry(config, { world }));
  });
  afterAll(async () => worker?.shutdown());

  async function failoverAndBack(site: string) {
    const handle = await trigger(client, config, worker.taskQueue, site);
    const onStandby = await waitForPhase(handle, 'on_standby');
    const warmWhileOnStandby = world.state(site).minInstances;
    world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'alice' }] });
    const end = await handle.result();
    return { onStandby, warmWhileOnStandby, end };
  }
  const names = (steps: { name: StepName }[]) => steps.map((s) => s.name).filter((n) => n !== 'pause_monitor');

  test('raised before the standby is opened, put back after the failback', async () => {
    const site = sites[0]!;
    world.addSite(site, { primaryUp: false });
    const { onStandby, warmWhileOnStandby, end } = await failoverAndBack(site);
    expect(warmWhileOnStandby).toBe(2);
    expect(names(onStandby.steps).slice(0, 2)).toEqual(['warm_standby', 'enable_standby_access']);
    expect(end.phase).toBe('resolved');
    expect(names(end.steps).slice(-3)).toEqual(['close_standby_access', 'resume_monitor', 'cool_standby']);
    expect(world.state(site).minInstances).toBe(0);
    expect(world.mutations.filter((m) => m.site === site && m.op === 'warmup').map((m) => [m.from, m.to])).toEqual([
      ['0', '2'],
      ['2', '0'],
    ]);
  });

  test('the value found is what comes back; a higher one is left alone', async () => {
    const [, one, five] = sites;
    world.addSite(one!, { primaryUp: false, minInstances: 1 });
    expect((await failoverAndBack(one!)).warmWhileOnStandby).toBe(2);
    expect(world.state(one!).minInstances).toBe(1);
    world.addSite(five!, { primaryUp: false, minInstances: 5 });
    const five_ = await failoverAndBack(five!);
    expect(five_.warmWhileOnStandby).toBe(5);
    expect(world.state(five!).minInstances).toBe(5);
    expect(world.mutations.filter((m) => m.site === five && m.op === 'warmup')).toEqual([]);
  });

  test('the dry run plans the warm-up first', async () => {
    const site = uniqueSite('warmplan');
    const cfg = warmConfig([site]);
    world.addSite(site, { minInstances: 1 });
    const plan = await planFailover(buildRegistry(cfg, { world }), site, cfg.sites[site]!);
    expect(plan.steps[0]).toMatchObject({
      step: 'warm_standby',
      wanted: 'warm',
      current: { minInstanceCount: 1 },
      verdict: 'would change',
    });
    expect(world.state(site).minInstances).toBe(1); // only read
  });

  test('a failover undone cools the standby again, after closing it', async () => {
    const site = sites[3]!;
    world.addSite(site, { primaryUp: true });
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'no edit') });
    const handle = await trigger(client, config, worker.taskQueue, site);
    const end = await handle.result();
    expect(end.phase).toBe('rolled_back');
    const undo = end.steps
      .map((s) => s.name)
      .filter((n) => n === 'undo_enable_standby_access' || n === 'undo_warm_standby');
    expect(undo).toEqual(['undo_enable_standby_access', 'undo_warm_standby']);
    expect(world.state(site).minInstances).toBe(0);
  });
});

// A worker killed in the middle of the warm-up (and of the cool-down): test/warm-standby-crash.test.ts.
describe('a warm-up whose reply is lost', () => {
  const site = uniqueSite('warmlost');
  const world = testWorld();
  const config = warmConfig([site]);
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker(buildRegistry(config, { world }));
  });
  afterAll(async () => worker?.shutdown());

  test('the retry finds it done; the value first read is what the failback puts back', async () => {
    world.addSite(site, { primaryUp: false, minInstances: 1 });
    world.inject(site, 'warmup', { times: 1, lostReply: true });
    const handle = await trigger(client, config, worker.taskQueue, site);
    const onStandby = await waitForPhase(handle, 'on_standby');
    expect(onStandby.steps.find((s) => s.name === 'warm_standby')).toMatchObject({ outcome: 'ok', attempts: 2 });
    expect(world.state(site).minInstances).toBe(2);
    world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'alice' }] });
    expect((await handle.result()).phase).toBe('resolved');
    expect(world.state(site).minInstances).toBe(1); // as found, not the 2 the retry found
    const effective = world.mutations.filter((m) => m.site === site && m.op === 'warmup');
    expect(effective.map((m) => [m.from, m.to])).toEqual([
      ['1', '2'],
      ['2', '1'],
    ]);
  });
});

// The health watcher and an incident in needs_attention, on the real dev server: a new outage
// there fails over again (docs/workflow.md, the phase × event table), so the watcher delivers its
// down verdict to it, and a delivery that failed is repeated by the re-trigger.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import { ensureWatchers } from '../clients/watchers.ts';
import { requestFailback } from '../workflows/incident-messages.ts';
import { watchStatusQuery, watchWorkflowId } from '../workflows/watch-messages.ts';
import type { WatchStatus } from '../workflows/watch-types.ts';
import type { watch } from '../workflows/watch.ts';
import { inMemoryConfig, testWorld, trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { ScriptedPrimary, startWatchWorkers, vantage, type WatchWorkers } from './support/watch-worker.ts';
import { waitFor } from '../harness/wait.ts';

const world = testWorld();
const site = uniqueSite('w-attention');
/** Left in needs_attention by a failover undone with the primary down (a new outage is recorded there). */
const stuck = uniqueSite('w-attention-stuck');
const config = inMemoryConfig(
  [site, stuck],
  {},
  { watcher: { interval: '50ms', timeout: '1s', failuresToTrigger: 3, successesToRecover: 2 } },
);
/** What the watcher's location sees (the incident's own probes see the world). */
const seen = new ScriptedPrimary();
/** The watcher's first delivery is refused for good (a non-retryable failure of its activity). */
let refuseNext = false;
const stuckSeen = new ScriptedPrimary();
let w: WatchWorkers;

beforeAll(async () => {
  world.addSite(site, { primaryUp: false });
  world.addSite(stuck, { primaryUp: false });
  w = await startWatchWorkers(config, world, (real) => ({
    lookup: (s) => real.lookup(s),
    primaryRecovered: (s, actor) => real.primaryRecovered(s, actor),
    status: (s) => real.status(s),
    async trigger(s, alert) {
      if (!refuseNext) return real.trigger(s, alert);
      refuseNext = false;
      throw new ProviderError('permission', 'the test refuses the first delivery');
    },
  }));
  await w.startLocation(
    'local',
    vantage(
      world,
      new Map([
        [site, seen],
        [stuck, stuckSeen],
      ]),
    ),
  );
});

afterAll(async () => {
  if (!w) return;
  await w.client.workflow
    .getHandle(watchWorkflowId(site))
    .terminate('test over')
    .catch(() => undefined);
  await w.shutdown();
});

const watchStatus = (of = site): Promise<WatchStatus> =>
  w.client.workflow.getHandle<typeof watch>(watchWorkflowId(of)).query(watchStatusQuery);
const watchOnly = (of: string) =>
  ensureWatchers(w.client, { ...config, watcher: { ...config.watcher!, sites: [of] } }, w.taskQueue);

test('a failed delivery of the down verdict to an incident in needs_attention is repeated: it fails over again', async () => {
  await watchOnly(site);
  await waitFor('the watcher to say up', async () => (await watchStatus()).verdict === 'up' || undefined);
  // An incident whose failback verified the primary and whose cleanup failed for good: needs_attention,
  // users on the primary.
  const handle = await trigger(w.client, config, w.taskQueue, site);
  await waitForPhase(handle, 'on_standby');
  world.state(site).primaryUp = true;
  world.inject(site, 'standbyAccess', { times: Infinity, error: new ProviderError('permission', 'revoked') });
  await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
  await waitForPhase(handle, 'needs_attention');
  world.clearFaults();

  // The primary dies again; the watcher's first trigger does not get through.
  refuseNext = true;
  world.state(site).primaryUp = false;
  seen.up = false;
  const failed = await waitFor('the failed trigger', async () => {
    const s = await watchStatus();
    return s.lastTrigger?.outcome.startsWith('trigger failed') ? s : undefined;
  });
  expect(failed.verdict).toBe('down');
  // The re-trigger (every 10 s while down) delivers it: the incident fails over again.
  const s = await waitForPhase(handle, 'on_standby', 40_000);
  expect(s.triggers.some((t) => t.source === 'watcher' && !t.ignored)).toBe(true);
  expect(world.snapshot(site)).toMatchObject({ traffic: 'standby', standbyAccess: 'open' });
  const ws = await watchStatus();
  expect(ws.lastTrigger?.outcome).toBe('signalled the running incident (needs_attention)');
  expect(ws.triggers).toBe(1);
}, 90_000);

test('an incident in needs_attention that already has the watcher alert is not signalled again by each re-trigger', async () => {
  await watchOnly(stuck);
  await waitFor('the watcher to say up', async () => (await watchStatus(stuck)).verdict === 'up' || undefined);
  // The failover cannot open the standby and is undone; the primary is down: needs_attention.
  world.inject(stuck, 'standbyAccess', { times: Infinity, error: new ProviderError('permission', 'revoked') });
  const handle = await trigger(w.client, config, w.taskQueue, stuck);
  await waitForPhase(handle, 'needs_attention');
  stuckSeen.up = false;
  await waitFor(
    'the watcher to deliver its verdict',
    async () => (await watchStatus(stuck)).triggers === 1 || undefined,
  );
  await new Promise((r) => setTimeout(r, 12_000)); // past a re-trigger (every 10 s)
  const s = await waitForPhase(handle, 'needs_attention');
  expect(s.triggers.filter((t) => t.source === 'watcher')).toHaveLength(1);
  expect((await watchStatus(stuck)).triggers).toBe(1);
  world.clearFaults();
}, 60_000);

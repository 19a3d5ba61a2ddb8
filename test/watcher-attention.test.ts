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
const config = inMemoryConfig(
  [site],
  {},
  { watcher: { interval: '50ms', timeout: '1s', failuresToTrigger: 3, successesToRecover: 2, sites: [site] } },
);
/** What the watcher's location sees (the incident's own probes see the world). */
const seen = new ScriptedPrimary();
/** The watcher's first delivery is refused for good (a non-retryable failure of its activity). */
let refuseNext = false;
let w: WatchWorkers;

beforeAll(async () => {
  world.addSite(site, { primaryUp: false });
  w = await startWatchWorkers(config, world, (real) => ({
    lookup: (s) => real.lookup(s),
    primaryRecovered: (s, actor) => real.primaryRecovered(s, actor),
    async trigger(s, alert) {
      if (!refuseNext) return real.trigger(s, alert);
      refuseNext = false;
      throw new ProviderError('permission', 'the test refuses the first delivery');
    },
  }));
  await w.startLocation('local', vantage(world, new Map([[site, seen]])));
});

afterAll(async () => {
  if (!w) return;
  await w.client.workflow
    .getHandle(watchWorkflowId(site))
    .terminate('test over')
    .catch(() => undefined);
  await w.shutdown();
});

const watchStatus = (): Promise<WatchStatus> =>
  w.client.workflow.getHandle<typeof watch>(watchWorkflowId(site)).query(watchStatusQuery);

test('a failed delivery of the down verdict to an incident in needs_attention is repeated: it fails over again', async () => {
  await ensureWatchers(w.client, config, w.taskQueue);
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

// Issue 11 §3: a flapping primary seen through the health watcher: down/up every 2 s for 60 s,
// time compressed ten times (every 200 ms for 6 s, watcher probing every 50 ms, hold-down 1.5 s).
// At most one failover (one incident, one switch to the standby), and no failback before the
// primary has been up for the whole hold-down.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureWatchers } from '../../clients/watchers.ts';
import { incidentWorkflowId } from '../../workflows/incident-messages.ts';
import { watchWorkflowId } from '../../workflows/watch-messages.ts';
import { inMemoryConfig, testWorld, uniqueSite } from '../../harness/sites.ts';
import { ScriptedPrimary, startWatchWorkers, vantage, type WatchWorkers } from '../support/watch-worker.ts';
import { awaitPhase, chaosSeed } from './support.ts';

const { seed, rng } = chaosSeed('flapping-primary');
const COMPRESSION = 10;
const PERIOD_MS = 2000 / COMPRESSION;
const FLAPPING_MS = 60_000 / COMPRESSION;
const HOLD_DOWN_MS = 1500;

const site = uniqueSite('flap');
const world = testWorld();
const primary = new ScriptedPrimary();
const config = inMemoryConfig(
  [site],
  { failback: { mode: 'auto', holdDown: `${HOLD_DOWN_MS}ms` } },
  { watcher: { interval: '50ms', timeout: '1s', failuresToTrigger: 3, successesToRecover: 2 } },
);
let w: WatchWorkers;

beforeAll(async () => {
  world.addSite(site);
  w = await startWatchWorkers(config, world);
  await w.startLocation('local', vantage(world, new Map([[site, primary]])));
});
afterAll(async () => {
  if (!w) return;
  await w.client.workflow
    .getHandle(watchWorkflowId(site))
    .terminate('test over')
    .catch(() => {});
  await w.shutdown();
});

function setPrimary(up: boolean): void {
  primary.up = up;
  world.state(site).primaryUp = up;
}

test(
  `a primary flapping every ${PERIOD_MS} ms for ${FLAPPING_MS} ms (seed ${seed}): one failover at most, no early failback`,
  { timeout: 3 * 60_000 },
  async () => {
    await ensureWatchers(w.client, config, w.taskQueue);
    await new Promise((r) => setTimeout(r, 500)); // the watcher sees it healthy first
    const started = Date.now();
    // Down first; each half-period jittered by the seed (±20 %).
    let up = true;
    let lastDownAt = 0;
    while (Date.now() - started < FLAPPING_MS) {
      up = !up;
      setPrimary(up);
      if (!up) lastDownAt = Date.now();
      await new Promise((r) => setTimeout(r, PERIOD_MS * (0.8 + 0.4 * rng.float())));
    }
    setPrimary(true);
    const upForGoodAt = Date.now();
    if (!up) lastDownAt = upForGoodAt;

    const status = await awaitPhase(w.client, incidentWorkflowId(site), ['resolved', 'rolled_back'], 60_000);
    expect(status.phase).toBe('resolved');
    const { executions } = await w.client.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = '${incidentWorkflowId(site)}'`,
    });
    expect(executions, 'one incident').toHaveLength(1);
    const toStandby = status.steps.filter((s) => s.name === 'route_traffic_to_standby');
    expect(toStandby, 'one failover').toHaveLength(1);
    expect(world.mutations.filter((m) => m.site === site && m.op === 'traffic' && m.to === 'standby')).toHaveLength(1);
    // The failback moved traffic only after the primary stayed up for the whole hold-down.
    const back = world.mutations.filter((m) => m.site === site && m.op === 'traffic' && m.to === 'primary');
    expect(back).toHaveLength(1);
    expect(
      back[0]!.at - lastDownAt,
      `failback ${back[0]!.at - lastDownAt} ms after the last outage`,
    ).toBeGreaterThanOrEqual(HOLD_DOWN_MS);
    console.log(
      `[chaos] flapping-primary seed ${seed}: failed over at +${toStandby[0]!.startedAt - started} ms, ` +
        `back on the primary ${back[0]!.at - upForGoodAt} ms after it came up for good (hold-down ${HOLD_DOWN_MS} ms)`,
    );
  },
);

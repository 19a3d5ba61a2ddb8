// Short health-watcher runs for the upgrade replay test, run by whatever workflow code the worker
// on `taskQueue` has: an outage detected and recovered, a config change during an outage, and a
// run that continues as new. Their histories are replayed with the current workflows/.
import type { Client } from '@temporalio/client';
import type { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import type { Incidents } from '../../clients/incidents.ts';
import { ensureWatchers } from '../../clients/watchers.ts';
import type { WatchTuning } from '../../config/policies.ts';
import type { Config } from '../../config/schema.ts';
import { inMemoryConfig, uniqueSite } from '../../harness/sites.ts';
import { waitFor } from '../../harness/wait.ts';
import { stopWatch, watchStatusQuery, watchWorkflowId } from '../../workflows/watch-messages.ts';
import type { WatchStatus } from '../../workflows/watch-types.ts';
import type { watch } from '../../workflows/watch.ts';

interface Ctx {
  client: Client;
  world: InMemoryWorld;
  incidents: Incidents;
  config: Config;
  taskQueue: string;
  site: string;
}

const handleOf = (client: Client, site: string) => client.workflow.getHandle<typeof watch>(watchWorkflowId(site));

async function start(c: Ctx, tuning: WatchTuning = {}, interval?: number): Promise<void> {
  const watcher = { ...c.config.watcher!, sites: [c.site], ...(interval !== undefined && { interval }) };
  await ensureWatchers(c.client, { ...c.config, watcher }, c.taskQueue, tuning);
}

function until(c: Ctx, ok: (s: WatchStatus) => boolean): Promise<WatchStatus> {
  return waitFor(`watcher of ${c.site}`, async () => {
    const s = await handleOf(c.client, c.site).query(watchStatusQuery);
    return ok(s) ? s : undefined;
  });
}

async function onStandby(c: Ctx): Promise<void> {
  await waitFor(`${c.site} on standby`, async () => (await c.incidents.lookup(c.site)).phase === 'on_standby');
}

/** Stops the watcher (and ends the incident, which the replay does not need); its run IDs. */
async function stopped(c: Ctx): Promise<string[]> {
  const h = handleOf(c.client, c.site);
  await h.signal(stopWatch, { by: 'upgrade test' });
  await h.result();
  await c.incidents
    .handle(c.site)
    .terminate('upgrade test over')
    .catch(() => {});
  return [(await h.describe()).runId];
}

const scenarios: Record<string, (c: Ctx) => Promise<string[]>> = {
  async 'watch-detect-recover'(c) {
    await start(c);
    await until(c, (s) => s.verdict === 'up');
    c.world.state(c.site).primaryUp = false;
    await until(c, (s) => s.triggers === 1);
    await onStandby(c);
    c.world.state(c.site).primaryUp = true;
    await until(c, (s) => s.recoveries === 1);
    return stopped(c);
  },
  async 'watch-reconfigure-down'(c) {
    c.world.state(c.site).primaryUp = false;
    await start(c);
    await until(c, (s) => s.triggers === 1);
    await onStandby(c);
    await start(c, {}, 80);
    await until(c, (s) => s.events.some((e) => e.what === 'reconfigured'));
    return stopped(c);
  },
  async 'watch-continue-as-new'(c) {
    c.world.state(c.site).primaryUp = false;
    await start(c, { maxProbeRunMs: 300, historyLimit: 40 });
    const first = (await handleOf(c.client, c.site).describe()).runId;
    await until(c, (s) => s.runs >= 2 && s.triggers === 1);
    return [first, ...(await stopped(c))];
  },
};

/** The watcher scenarios' sites, with the watcher's config, to merge into the incidents' config. */
export function watchScenarioConfig(): { config: Config; sites: Record<string, string> } {
  const sites = Object.fromEntries(Object.keys(scenarios).map((name) => [name, uniqueSite(name)]));
  const config = inMemoryConfig(
    Object.values(sites),
    { probe: { interval: '20ms', successesNeeded: 1 } },
    { watcher: { interval: '50ms', timeout: '1s', failuresToTrigger: 3, successesToRecover: 2 } },
  );
  return { config, sites };
}

/** Runs every watcher scenario at once; the histories of their runs (`#<n>` for later runs). */
export async function runWatchScenarios(
  ctx: Omit<Ctx, 'site'>,
  sites: Record<string, string>,
): Promise<Array<{ workflowId: string; history: Awaited<ReturnType<ReturnType<typeof handleOf>['fetchHistory']>> }>> {
  const named = await Promise.all(
    Object.entries(scenarios).map(async ([name, run]) => {
      const site = sites[name]!;
      ctx.world.addSite(site);
      const runs = await run({ ...ctx, site });
      return Promise.all(
        runs.map(async (runId, i) => ({
          workflowId: i === 0 ? name : `${name}#${i + 1}`,
          history: await ctx.client.workflow.getHandle(watchWorkflowId(site), runId).fetchHistory(),
        })),
      );
    }),
  );
  return named.flat();
}

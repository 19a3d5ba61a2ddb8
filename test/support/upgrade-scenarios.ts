// Short incidents, one per trigger source and one per path of docs/workflow.md, run by whatever
// workflow code the worker on `taskQueue` has; their histories are what the upgrade test replays.
import type { Client } from '@temporalio/client';
import { ProviderError } from '../../activities/errors.ts';
import type { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import { type IncidentHandle, Incidents } from '../../clients/incidents.ts';
import type { Config } from '../../config/schema.ts';
import { inMemoryConfig, uniqueSite, waitForPhase } from '../../harness/sites.ts';
import {
  abort,
  acknowledge,
  incidentWorkflowId,
  primaryRecovered,
  requestFailback,
  statusQuery,
} from '../../workflows/incident-messages.ts';
import type { TriggerSource } from '../../workflows/types.ts';
import { CONTINUE_AS_NEW_AFTER_EVENTS } from './global-setup.ts';

export const SOURCES = ['pubsub', 'watcher', 'cli', 'ui', 'test'] as const satisfies readonly TriggerSource[];
// Compile-time: a new trigger source must be added above (and so gets a recorded incident).
const everySource: [Exclude<TriggerSource, (typeof SOURCES)[number]>] extends [never] ? true : never = true;
void everySource;

const PHASE_WAIT_MS = 10_000;

interface Ctx {
  client: Client;
  world: InMemoryWorld;
  incidents: Incidents;
  site: string;
}
/** A scenario ends its incident (or leaves it where its history is worth keeping) and returns its runs. */
type Scenario = (ctx: Ctx) => Promise<Array<{ workflowId: string; runId?: string }>>;

const failoverThenFailback =
  (source: TriggerSource): Scenario =>
  async ({ world, incidents, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await incidents.trigger(site, { alertId: `${source}-1`, source });
    await waitForPhase(h, 'on_standby', PHASE_WAIT_MS);
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'upgrade-test' }] });
    await h.result();
    return [{ workflowId: h.workflowId }];
  };

const scenarios: Record<string, Scenario> = {
  ...Object.fromEntries(SOURCES.map((s) => [`source-${s}`, failoverThenFailback(s)])),
  // Its site has standby.warmup: today's starters ask for the warm-up, which an older worker ignores.
  'warm-standby': failoverThenFailback('test'),
  'rolled-back': async ({ world, incidents, site }) => {
    world.addSite(site);
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'no edit') });
    return [{ workflowId: (await endOf(await incidents.trigger(site, { alertId: 'a', source: 'test' }))).workflowId }];
  },
  'needs-attention': async ({ world, incidents, site }) => {
    world.addSite(site, { primaryUp: false });
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'no edit') });
    const h = await incidents.trigger(site, { alertId: 'a', source: 'test' });
    await waitForPhase(h, 'needs_attention', PHASE_WAIT_MS);
    await h.signal(acknowledge, { by: 'upgrade-test' });
    return [{ workflowId: (await endOf(h)).workflowId }];
  },
  abort: async ({ world, incidents, site }) => {
    world.addSite(site, { primaryUp: false, standbyUp: false });
    const h = await incidents.trigger(site, { alertId: 'a', source: 'cli' });
    await waitForPhase(h, 'failing_over', PHASE_WAIT_MS);
    await new Promise((r) => setTimeout(r, 200));
    await h.signal(abort, { by: 'upgrade-test' });
    return [{ workflowId: (await endOf(h)).workflowId }];
  },
  'auto-failback-retried': async ({ world, incidents, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await incidents.trigger(site, { alertId: 'a', source: 'pubsub' });
    await waitForPhase(h, 'on_standby', PHASE_WAIT_MS);
    world.inject(site, 'probe:public', { times: 20 });
    world.state(site).primaryUp = true;
    return [{ workflowId: (await endOf(h)).workflowId }];
  },
  'continue-as-new': async ({ client, world, incidents, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await incidents.trigger(site, { alertId: 'a', source: 'watcher' });
    await waitForPhase(h, 'on_standby', PHASE_WAIT_MS);
    const firstRunId = (await h.describe()).runId;
    // Each signal is at least one event: the dev server suggests continue-as-new past the limit.
    for (let i = 0; i < CONTINUE_AS_NEW_AFTER_EVENTS; i++) await h.signal(primaryRecovered, { by: `w-${i}` });
    const latest = client.workflow.getHandle(h.workflowId);
    for (let t = Date.now(); (await latest.describe()).runId === firstRunId;) {
      if (Date.now() - t > 20_000) throw new Error(`${site}: no continue-as-new`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitForPhase(latest, 'on_standby', PHASE_WAIT_MS);
    world.state(site).primaryUp = true;
    await latest.executeUpdate(requestFailback, { args: [{ by: 'upgrade-test' }] });
    await latest.result();
    return [{ workflowId: h.workflowId, runId: firstRunId }, { workflowId: h.workflowId }];
  },
};

async function endOf(h: IncidentHandle): Promise<IncidentHandle> {
  const end = await h.result();
  if (!end) throw new Error(`${h.workflowId}: no result (${JSON.stringify(await h.query(statusQuery))})`);
  return h;
}

/** The config the scenarios' sites need (automatic failback where the scenario's name says so). */
export function scenarioConfig(): { config: Config; sites: Record<string, string> } {
  const sites = Object.fromEntries(Object.keys(scenarios).map((name) => [name, uniqueSite(name)]));
  const probe = { interval: '20ms', successesNeeded: 1, verifyTimeout: '300ms', primaryCheckTimeout: '1s' };
  // Notifications on (issue 18): today's starters put them in the policy, which an older worker ignores.
  const notifications = { channels: { ops: { type: 'webhook', urlEnv: 'UPGRADE_TEST_WEBHOOK_URL' } } };
  const config = inMemoryConfig(Object.values(sites), { probe }, { notifications });
  Object.assign(
    config.sites,
    inMemoryConfig([sites['auto-failback-retried']!], {
      probe,
      failback: { mode: 'auto', holdDown: '200ms', maxAutoAttempts: 3, retryBackoff: '200ms' },
    }).sites,
  );
  Object.assign(
    config.sites,
    inMemoryConfig([sites['warm-standby']!], {
      probe,
      standby: { url: 'https://standby.example.test/', access: { type: 'in-memory' }, warmup: { minInstances: 2 } },
    }).sites,
  );
  return { config, sites };
}

/** A scenario's runs and their histories; `unfinished` says why a scenario stopped early. */
export interface ScenarioHistories {
  histories: Array<{ workflowId: string; history: Awaited<ReturnType<IncidentHandle['fetchHistory']>> }>;
  unfinished: string[];
}

/**
 * Runs every scenario at once; the histories of their runs, named `<scenario>` (`#<n>` for later
 * runs). A scenario an older version cannot play out (a phase it does not have) still yields the
 * history it made, terminated: it must replay all the same.
 */
export async function runScenarios(
  client: Client,
  world: InMemoryWorld,
  taskQueue: string,
  { config, sites }: ReturnType<typeof scenarioConfig>,
): Promise<ScenarioHistories> {
  const incidents = Incidents.of(client, config, taskQueue);
  const unfinished: string[] = [];
  const named = await Promise.all(
    Object.entries(scenarios).map(async ([name, run]) => {
      const site = sites[name]!;
      const runs = await run({ client, world, incidents, site }).catch(async (err: unknown) => {
        unfinished.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        const h = client.workflow.getHandle(incidentWorkflowId(site));
        await h.terminate('upgrade test: scenario not played out').catch(() => {});
        return [{ workflowId: h.workflowId, runId: undefined }];
      });
      return Promise.all(
        runs.map(async (r, i) => ({
          workflowId: i === 0 ? name : `${name}#${i + 1}`,
          history: await client.workflow.getHandle(r.workflowId, r.runId).fetchHistory(),
        })),
      );
    }),
  );
  return { histories: named.flat(), unfinished };
}

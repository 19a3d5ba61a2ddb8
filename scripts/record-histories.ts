// Records the incident workflow's histories from real runs into test/histories/, for the replay
// test. Run after an intended change to workflow logic: `npm run record-histories`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Runtime } from '@temporalio/worker';
import { ProviderError } from '../activities/errors.ts';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { buildRegistry } from '../clients/providers.ts';
import { createMainWorker } from '../worker/workers.ts';
import { abort, alertOpened, requestFailback, statusQuery } from '../workflows/incident-messages.ts';
import { startLocalTemporal } from './local-temporal.ts';
import type { Client } from '@temporalio/client';
import type { IncidentHandle } from '../clients/incidents.ts';
import { inMemoryConfig, trigger, waitForPhase } from '../test/support/sites.ts';

const OUT = new URL('../test/histories/', import.meta.url);
const TASK_QUEUE = 'record-histories';

type Scenario = (ctx: { client: Client; world: InMemoryWorld; site: string }) => Promise<IncidentHandle>;

const autoSites = new Set(['auto-failback']);
const scenarios: Record<string, Scenario> = {
  failover: async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    await h.terminate('recorded up to on_standby');
    return h;
  },
  'manual-failback': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await h.result();
    return h;
  },
  'auto-failback': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.result();
    return h;
  },
  rollback: async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    world.inject(site, 'traffic', {
      times: Infinity,
      error: new ProviderError('permission', 'zone z: missing Zone.Page Rules:Edit'),
    });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await h.result();
    return h;
  },
  abort: async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false, standbyUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'failing_over');
    await new Promise((r) => setTimeout(r, 300));
    await h.signal(abort, { by: 'recorder' });
    await h.result();
    return h;
  },
  'duplicate-alerts': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site, 'a-1');
    await trigger(client, config, TASK_QUEUE, site, 'a-1');
    await trigger(client, config, TASK_QUEUE, site, 'a-2');
    await waitForPhase(h, 'on_standby');
    await h.signal(alertOpened, { alertId: 'a-1', source: 'test' });
    await h.query(statusQuery);
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await h.result();
    return h;
  },
  'failback-verify-fails': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    world.inject(site, 'probe:public', { times: Infinity });
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await waitForPhase(h, 'failing_back');
    await waitForPhase(h, 'on_standby');
    await h.terminate('recorded after the failed failback');
    return h;
  },
};

const names = Object.keys(scenarios);
const config = inMemoryConfig(
  names.filter((n) => !autoSites.has(n)),
  {
    probe: {
      interval: '20ms',
      successesNeeded: 1,
      standbyReadyTimeout: '1m',
      verifyTimeout: '1s',
      primaryCheckTimeout: '1s',
    },
  },
);
Object.assign(
  config.sites,
  inMemoryConfig([...autoSites], {
    failback: { mode: 'auto', holdDown: '500ms' },
    probe: { interval: '20ms', successesNeeded: 1 },
  }).sites,
);

async function main(): Promise<void> {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run through `npm run record-histories`');
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    shutdownSignals: [],
  });
  const env = await startLocalTemporal();
  const world = new InMemoryWorld({ intervalMs: 20, successesNeeded: 1 });
  const worker = await createMainWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    registry: buildRegistry(config, { world }),
  });
  mkdirSync(OUT, { recursive: true });
  await worker.runUntil(async () => {
    for (const name of names) {
      const handle = await scenarios[name]!({ client: env.client, world, site: name });
      // The CLI's JSON is the format the Temporal UI downloads and the replayer reads.
      const json = execFileSync(
        cli,
        ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', env.address, '--output', 'json'],
        {
          encoding: 'utf8',
        },
      );
      writeFileSync(new URL(`${name}.json`, OUT), json);
      console.log(`recorded ${name} (${JSON.parse(json).events.length} events)`);
    }
  });
  await env.teardown();
}

await main();

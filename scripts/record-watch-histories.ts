// Records the health watcher's histories from real runs into test/histories/ (watch-*.json), so
// the replay test guards the watch workflow too. Run after an intended change to workflows/watch.ts,
// with a suffix so that the histories of earlier versions are kept, not overwritten:
//   sh scripts/run.sh node scripts/record-watch-histories.ts <suffix>    (→ watch-<scenario>-<suffix>.json)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { Incidents } from '../clients/incidents.ts';
import { ensureWatchers } from '../clients/watchers.ts';
import type { WatchTuning } from '../config/policies.ts';
import { inMemoryConfig } from '../harness/sites.ts';
import { createLocationWorker, createMainWorker } from '../worker/workers.ts';
import { buildRegistry } from '../clients/providers.ts';
import type { watch } from '../workflows/watch.ts';
import { stopWatch, watchStatusQuery, watchWorkflowId } from '../workflows/watch-messages.ts';
import type { WatchStatus } from '../workflows/watch-types.ts';
import { startLocalTemporal } from '../harness/temporal.ts';

const OUT = new URL('../test/histories/', import.meta.url);
const SUFFIX = process.argv[2] ? `-${process.argv[2]}` : '';
const TASK_QUEUE = 'record-watch';
const SITES = ['watch-detect-recover', 'watch-continue-as-new'];
const config = inMemoryConfig(
  SITES,
  { probe: { interval: '20ms', successesNeeded: 1 } },
  {
    temporal: { taskQueue: TASK_QUEUE },
    watcher: { interval: '100ms', timeout: '1s', failuresToTrigger: 3, successesToRecover: 2 },
  },
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(client: Client, site: string, ok: (s: WatchStatus) => boolean): Promise<WatchStatus> {
  const h = client.workflow.getHandle(watchWorkflowId(site));
  for (;;) {
    const s = await h.query(watchStatusQuery);
    if (ok(s)) return s;
    await sleep(50);
  }
}

async function start(client: Client, site: string, tuning: WatchTuning = {}): Promise<void> {
  await ensureWatchers(client, { ...config, watcher: { ...config.watcher!, sites: [site] } }, TASK_QUEUE, tuning);
}

async function main(): Promise<void> {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run through scripts/run.sh');
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    shutdownSignals: [],
  });
  const env = await startLocalTemporal();
  const client = env.client;
  const world = new InMemoryWorld({ intervalMs: 20, successesNeeded: 1 });
  for (const s of SITES) world.addSite(s);
  const registry = buildRegistry(config, { world });
  const incidents = Incidents.of(client, config, TASK_QUEUE);
  const worker = await createMainWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    registry,
    incidents,
  });
  const probes = await createLocationWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    location: 'local',
    registry,
  });
  const recorded: Array<{ name: string; runId: string }> = [];
  await Promise.all([
    probes.run(),
    worker
      .runUntil(async () => {
        // Up, down (incident triggered), up again (the incident on standby is told), stopped.
        let site = 'watch-detect-recover';
        await start(client, site);
        await until(client, site, (s) => s.verdict === 'up');
        world.state(site).primaryUp = false;
        await until(client, site, (s) => s.triggers === 1);
        while ((await incidents.lookup(site)).phase !== 'on_standby') await sleep(50);
        world.state(site).primaryUp = true;
        await until(client, site, (s) => s.recoveries === 1);
        const h = client.workflow.getHandle<typeof watch>(watchWorkflowId(site));
        await h.signal(stopWatch, { by: 'recorder' });
        recorded.push({ name: site, runId: (await h.describe()).runId });
        await h.result();

        // A first run that ends in continue-as-new, with the primary down and the incident triggered.
        site = 'watch-continue-as-new';
        world.state(site).primaryUp = false;
        await start(client, site, { maxProbeRunMs: 300, historyLimit: 40 });
        const first = (await client.workflow.getHandle(watchWorkflowId(site)).describe()).runId;
        await until(client, site, (s) => s.runs >= 2);
        recorded.push({ name: site, runId: first });
        await client.workflow.getHandle(watchWorkflowId(site)).terminate('recorded');
      })
      .finally(() => probes.shutdown()),
  ]);
  mkdirSync(OUT, { recursive: true });
  for (const { name, runId } of recorded) {
    const json = execFileSync(
      cli,
      [
        'workflow',
        'show',
        '--workflow-id',
        watchWorkflowId(name),
        '--run-id',
        runId,
        '--address',
        env.address,
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    writeFileSync(new URL(`${name}${SUFFIX}.json`, OUT), json);
    console.log(`recorded ${name}${SUFFIX} (${JSON.parse(json).events.length} events)`);
  }
  await env.teardown();
}

await main();

// Records the health watcher's histories from real runs into test/histories/ (watch-*.json), so
// the replay test guards the watch workflow too. Run after an intended change to workflows/watch.ts,
// with a suffix so that the histories of earlier versions are kept; an existing file is never
// overwritten (its scenario is skipped). Scenarios may be named to record only those:
//   sh scripts/run.sh node scripts/record-watch-histories.ts <suffix> [scenario ...]
//     (→ test/histories/<scenario>-<suffix>.json)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { ProviderError } from '../activities/errors.ts';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import type { ProbeRegistry } from '../activities/providers/types.ts';
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
const SITES = ['watch-detect-recover', 'watch-continue-as-new', 'watch-reconfigure-down', 'watch-silent-no-retrigger'];
const WANTED = process.argv.slice(3);
const fileOf = (site: string) => new URL(`${site}${SUFFIX}.json`, OUT);
/** Scenarios to run: those named (all without names), and never one whose file exists. */
const TO_RECORD = SITES.filter((site) => {
  if (WANTED.length > 0 && !WANTED.includes(site)) return false;
  if (!existsSync(fileOf(site))) return true;
  console.log(`kept ${site}${SUFFIX}.json (exists; histories are never re-recorded)`);
  return false;
});
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

type Watcher = NonNullable<typeof config.watcher>;

async function start(client: Client, site: string, tuning: WatchTuning = {}, watcher: Partial<Watcher> = {}) {
  const w = { ...config.watcher!, ...watcher, sites: [site] };
  await ensureWatchers(client, { ...config, watcher: w }, TASK_QUEUE, tuning);
}

/** The second location's probes, which the silent scenario breaks (no vote: it counts as unknown). */
let fragileBroken = false;

interface Scene {
  client: Client;
  world: InMemoryWorld;
  incidents: Incidents;
}

const handleOf = (client: Client, site: string) => client.workflow.getHandle<typeof watch>(watchWorkflowId(site));

/** Stops the watcher and returns the run to record. */
async function stopped(client: Client, site: string): Promise<string> {
  const h = handleOf(client, site);
  await h.signal(stopWatch, { by: 'recorder' });
  const { runId } = await h.describe();
  await h.result();
  return runId;
}

async function onStandby({ incidents }: Scene, site: string): Promise<void> {
  while ((await incidents.lookup(site)).phase !== 'on_standby') await sleep(50);
}

/** Each scenario returns the run ID of the watcher run to record. */
const SCENARIOS: Record<string, (scene: Scene, site: string) => Promise<string>> = {
  // Up, down (incident triggered), up again (the incident on standby is told), stopped.
  async 'watch-detect-recover'(scene, site) {
    const { client, world } = scene;
    await start(client, site);
    await until(client, site, (s) => s.verdict === 'up');
    world.state(site).primaryUp = false;
    await until(client, site, (s) => s.triggers === 1);
    await onStandby(scene, site);
    world.state(site).primaryUp = true;
    await until(client, site, (s) => s.recoveries === 1);
    return stopped(client, site);
  },
  // A first run that ends in continue-as-new, with the primary down and the incident triggered.
  async 'watch-continue-as-new'({ client, world }, site) {
    world.state(site).primaryUp = false;
    await start(client, site, { maxProbeRunMs: 300, historyLimit: 40 });
    const first = (await handleOf(client, site).describe()).runId;
    await until(client, site, (s) => s.runs >= 2);
    await handleOf(client, site).terminate('recorded');
    return first;
  },
  // Issue 16, path 6 (watch-retrigger-after-reconfigure): a config change during the outage
  // restarts the probes and the re-trigger timer; the incident ended by hand is started again.
  async 'watch-reconfigure-down'(scene, site) {
    const { client, world, incidents } = scene;
    world.state(site).primaryUp = false;
    await start(client, site);
    await until(client, site, (s) => s.triggers === 1);
    await onStandby(scene, site);
    await start(client, site, {}, { interval: 150 });
    await until(client, site, (s) => s.events.some((e) => e.what === 'reconfigured'));
    await incidents.handle(site).terminate('ended by hand (recorder)');
    await until(client, site, (s) => s.triggers === 2);
    const runId = await stopped(client, site);
    await incidents.handle(site).terminate('recorded');
    return runId;
  },
  // Issue 16 (watch-retrigger-needs-quorum): the only location can no longer probe, its vote
  // expires, and the verdict kept (down) does not re-trigger.
  async 'watch-silent-no-retrigger'(scene, site) {
    const { client, world, incidents } = scene;
    world.state(site).primaryUp = false;
    await start(client, site, { maxProbeRunMs: 500 }, { locations: ['fragile'], quorum: 1 });
    await until(client, site, (s) => s.triggers === 1);
    await onStandby(scene, site);
    fragileBroken = true;
    await until(client, site, (s) => s.events.some((e) => /re-trigger skipped/.test(e.what)));
    const runId = await stopped(client, site);
    await incidents.handle(site).terminate('recorded');
    return runId;
  },
};

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
  const fragile: ProbeRegistry = {
    forSite(site) {
      if (fragileBroken) throw new ProviderError('invalid_config', 'probe credentials missing (recorder)');
      return registry.forSite(site);
    },
  };
  const locations = await Promise.all(
    (['local', 'fragile'] as const).map((location) =>
      createLocationWorker({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue: TASK_QUEUE,
        location,
        registry: location === 'local' ? registry : fragile,
      }),
    ),
  );
  const recorded: Array<{ name: string; runId: string }> = [];
  await Promise.all([
    ...locations.map((l) => l.run()),
    worker
      .runUntil(async () => {
        for (const site of TO_RECORD) {
          recorded.push({ name: site, runId: await SCENARIOS[site]!({ client, world, incidents }, site) });
        }
      })
      .finally(() => locations.forEach((l) => l.shutdown())),
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
    writeFileSync(fileOf(name), json);
    console.log(`recorded ${name}${SUFFIX} (${JSON.parse(json).events.length} events)`);
  }
  await env.teardown();
}

await main();

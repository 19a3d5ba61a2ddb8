// Detection time of the health watcher: from the primary going down to the site's incident
// starting, with the watcher probing every 1 s and triggering after 3 consecutive failures.
// Real Temporal dev server, real worker (watch + incident workflows), the probe activity of one
// location; the primary is the in-memory world's. The outage starts at a random point of the
// probe cycle, as a real one does.
//   sh scripts/run.sh node bench/watcher-detection.ts        (TRIALS=10 INTERVAL=1s K=3 by default)
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { startLocalTemporal } from '../harness/temporal.ts';
import { ensureWatchers } from '../clients/watchers.ts';
import { createLocationWorker, createMainWorker } from '../worker/workers.ts';
import { Incidents } from '../clients/incidents.ts';
import { inMemoryConfig } from '../harness/sites.ts';
import { buildRegistry } from '../clients/providers.ts';
import { incidentWorkflowId } from '../workflows/incident-messages.ts';
import { stopWatch, watchStatusQuery, watchWorkflowId } from '../workflows/watch-messages.ts';
import { fmt, summarize } from './stats.ts';

const TRIALS = Number(process.env.TRIALS ?? 10);
const INTERVAL = process.env.INTERVAL ?? '1s';
const K = Number(process.env.K ?? 3);

Runtime.install({
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  shutdownSignals: [],
});
const temporal = await startLocalTemporal();
const client = temporal.client;
const sites = Array.from({ length: TRIALS }, (_, i) => `detect-${i}`);
const world = new InMemoryWorld({ intervalMs: 10, successesNeeded: 1 });
for (const s of sites) world.addSite(s);
const config = inMemoryConfig(
  sites,
  { probe: { interval: '10ms', successesNeeded: 1 } },
  {
    temporal: { taskQueue: 'bench-watch' },
    watcher: { interval: INTERVAL, failuresToTrigger: K, successesToRecover: K },
  },
);
const taskQueue = config.temporal.taskQueue;
const registry = buildRegistry(config, { world });
const main = await createMainWorker({
  connection: temporal.nativeConnection,
  taskQueue,
  registry,
  incidents: Incidents.of(client, config, taskQueue),
});
const probes = await createLocationWorker({
  connection: temporal.nativeConnection,
  namespace: 'default',
  taskQueue,
  location: 'local',
  registry,
});

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

async function incidentStart(c: Client, site: string): Promise<{ started: number; firstTask: number }> {
  for (;;) {
    try {
      const history = await c.workflow.getHandle(incidentWorkflowId(site)).fetchHistory();
      const started = history.events?.find((e) => e.workflowExecutionStartedEventAttributes);
      const task = history.events?.find((e) => e.workflowTaskStartedEventAttributes);
      if (started && task) return { started: ms(started.eventTime), firstTask: ms(task.eventTime) };
    } catch {
      /* not started yet */
    }
    await sleep(20);
  }
}

const started: number[] = [];
const firstTask: number[] = [];
await Promise.all([
  probes.run(),
  main
    .runUntil(async () => {
      for (const site of sites) {
        await ensureWatchers(client, { ...config, watcher: { ...config.watcher!, sites: [site] } }, taskQueue);
        const handle = client.workflow.getHandle(watchWorkflowId(site));
        while ((await handle.query(watchStatusQuery)).verdict !== 'up') await sleep(50);
        await sleep(Math.random() * config.watcher!.interval); // a random point of the probe cycle
        const down = Date.now();
        world.state(site).primaryUp = false;
        const t = await incidentStart(client, site);
        started.push(t.started - down);
        firstTask.push(t.firstTask - down);
        await handle.signal(stopWatch, { by: 'bench' });
        process.stderr.write(`\r${started.length}/${TRIALS}: ${fmt(t.started - down)}   `);
      }
    })
    .finally(() => probes.shutdown()),
]);
process.stderr.write('\n');
await temporal.teardown();

const s = summarize(started);
const f = summarize(firstTask);
console.log(`\nwatcher detection, interval ${INTERVAL}, trigger after ${K} consecutive failures, ${TRIALS} outages\n`);
console.log('| primary down → | median | p95 | min | max |');
console.log('|---|---|---|---|---|');
console.log(
  `| incident started (signal-with-start accepted) | ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.min)} | ${fmt(s.max)} |`,
);
console.log(`| incident's first workflow task | ${fmt(f.median)} | ${fmt(f.p95)} | ${fmt(f.min)} | ${fmt(f.max)} |`);
console.log(`\nExpected from the cadence alone: between ${K - 1} and ${K} intervals after the outage starts.`);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('results/watcher-detection.json', import.meta.url),
  JSON.stringify(
    {
      trials: TRIALS,
      interval: INTERVAL,
      k: K,
      at: new Date().toISOString(),
      started: s,
      firstTask: f,
      samples: { started, firstTask },
    },
    null,
    2,
  ),
);

// Median time from an incident's start to `on_standby`, on a real Temporal dev server and a
// real worker, with in-process providers: the orchestration overhead itself. Side by side in
// one run: zero-latency providers, providers that take 50 ms a call (a realistic API), and
// zero-latency incidents fired back to back (a burst, no idle time between them).
// Completion is watched by long-polling the history, not by queries: a query is answered by a
// workflow task, so polling one every few ms would slow down the very thing being measured.
//   npm run bench            (RUNS=30 by default; results also in bench/results/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { Runtime } from '@temporalio/worker';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { startLocalTemporal } from '../harness/temporal.ts';
import { Incidents } from '../clients/incidents.ts';
import { inMemoryConfig } from '../harness/sites.ts';
import { createMainWorker } from '../worker/workers.ts';
import { buildRegistry } from '../clients/providers.ts';
import { eventsUntilFinalPhase, times } from './history.ts';
import { fmt, summarize, type Summary } from './stats.ts';

const RUNS = Number(process.env.RUNS ?? 30);
const WARMUP = 3;
/** The origin's figures (README.md): 13 min at first, about 3 min after optimising. */
const ORIGIN_MS = { first: 13 * 60_000, optimised: 3 * 60_000 };

Runtime.install({
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  shutdownSignals: [],
});
const env = await startLocalTemporal();

async function measure(
  label: string,
  latencyMs: number,
  gapMs: number,
): Promise<{ label: string; server: Summary; client: Summary; rssMb: number }> {
  const world = new InMemoryWorld({ intervalMs: 10, successesNeeded: 1 }, latencyMs);
  const sites = Array.from({ length: RUNS + WARMUP }, (_, i) => `bench-${latencyMs}-${gapMs}-${i}`);
  const config = inMemoryConfig(sites, { probe: { interval: '10ms', successesNeeded: 1 } });
  const taskQueue = `bench-${latencyMs}-${gapMs}`;
  const worker = await createMainWorker({
    connection: env.nativeConnection,
    taskQueue,
    registry: buildRegistry(config, { world }),
  });
  const incidents = Incidents.of(env.client, config, taskQueue);
  const server: number[] = [];
  const client: number[] = [];
  await worker.runUntil(async () => {
    for (const [i, site] of sites.entries()) {
      world.addSite(site, { primaryUp: false });
      const t0 = performance.now();
      const handle = await incidents.trigger(site, { alertId: 'bench', source: 'test' });
      const { started, phase, onStandby } = times(await eventsUntilFinalPhase(env.client, handle.workflowId));
      const clientMs = performance.now() - t0;
      if (phase !== 'on_standby') throw new Error(`bench incident of ${site} ended ${phase}`);
      await handle.terminate('benchmark done');
      await new Promise((r) => setTimeout(r, gapMs));
      if (i < WARMUP) continue;
      client.push(clientMs);
      server.push(onStandby! - started);
      process.stderr.write(`\r${label}: ${i + 1 - WARMUP}/${RUNS}`);
    }
  });
  process.stderr.write('\n');
  return { label, server: summarize(server), client: summarize(client), rssMb: process.memoryUsage().rss / 2 ** 20 };
}

const results = [
  await measure('0 ms/call, incidents 500 ms apart', 0, 500),
  await measure('50 ms/call, incidents 500 ms apart', 50, 500),
  await measure('0 ms/call, back to back', 0, 0),
];
await env.teardown();

console.log(`\nstart → on_standby over ${RUNS} failovers each (after ${WARMUP} warm-up runs)\n`);
console.log(
  '| providers, arrival | median (server) | p95 (server) | median (client) | p95 (client) | vs. origin 3 min | vs. origin 13 min |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.label} | ${fmt(r.server.median)} | ${fmt(r.server.p95)} | ${fmt(r.client.median)} | ${fmt(r.client.p95)} | ` +
      `${Math.round(ORIGIN_MS.optimised / r.client.median)}× faster | ${Math.round(ORIGIN_MS.first / r.client.median)}× faster |`,
  );
}
console.log(
  `\nserver = workflow start event → the event that set phase on_standby (after the public URL was verified);`,
);
console.log(
  `client = signal-with-start call → that event seen by a history long poll. Bench process RSS ${results.at(-1)!.rssMb.toFixed(0)} MB.`,
);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('results/failover-latency.json', import.meta.url),
  JSON.stringify({ runs: RUNS, at: new Date().toISOString(), results }, null, 2),
);

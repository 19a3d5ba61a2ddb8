// Alert latency through the Pub/Sub bridge: from publishing a Cloud Monitoring notification to
// the real Pub/Sub emulator, to the site's incident running its first workflow task on a real
// Temporal dev server (read from the history's event times; same clock). 200 notifications for
// 200 sites, paced (a steady stream) and as one burst (every site alerting at once).
// Throughput: accepted signal-with-starts per second, first publish → last WorkflowExecutionStarted.
//   npm run bench:bridge   (MODE=throughput: bursts of BURSTS=100,500,1000 messages; throughput and latency)
//   sh scripts/run.sh node bench/pubsub-latency.ts        (MESSAGES=200 RATE=20 by default)
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { startLocalTemporal } from '../harness/temporal.ts';
import { startBridge } from '../starters/bridge/bridge.ts';
import { createTopicAndSubscription, startPubSubEmulator } from '../harness/pubsub-emulator.ts';
import { createMainWorker } from '../worker/workers.ts';
import { Incidents } from '../clients/incidents.ts';
import { inMemoryConfig } from '../harness/sites.ts';
import { buildRegistry } from '../clients/providers.ts';
import { incidentWorkflowId } from '../workflows/incident-messages.ts';
import { fmt, summarize, type Summary } from './stats.ts';
import { notification } from '../harness/notification.ts';

const MESSAGES = Number(process.env.MESSAGES ?? 200);
const RATE = Number(process.env.RATE ?? 20); // messages per second in the paced run
const THROUGHPUT = process.env.MODE === 'throughput';
const BURSTS = (process.env.BURSTS ?? '100,500,1000').split(',').map(Number);

Runtime.install({
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  shutdownSignals: [],
});
const [temporal, emulator] = await Promise.all([startLocalTemporal(), startPubSubEmulator('failover-bench')]);
const pubsub = emulator.client();

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** Event times of the incident's first run: started (signal-with-start accepted) and first workflow task started. */
async function eventTimes(client: Client, site: string): Promise<{ started: number; firstTask: number }> {
  for (;;) {
    // Not started yet (the bridge has not pulled its message): wait, as for a missing first task.
    const history = await client.workflow
      .getHandle(incidentWorkflowId(site))
      .fetchHistory()
      .catch((err: unknown) => {
        if (err instanceof Error && /NOT_FOUND|not found/i.test(err.message)) return { events: [] };
        throw err;
      });
    const started = history.events?.find((e) => e.workflowExecutionStartedEventAttributes);
    const task = history.events?.find((e) => e.workflowTaskStartedEventAttributes);
    if (started && task) return { started: ms(started.eventTime), firstTask: ms(task.eventTime) };
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Result {
  label: string;
  messages: number;
  accepted: Summary;
  firstTask: Summary;
  wallMs: number;
  /** Accepted signal-with-starts per second: messages ÷ (first publish → last WorkflowExecutionStarted). */
  acceptedPerS: number;
}

async function run(label: string, rate: number | 'burst', messages = MESSAGES): Promise<Result> {
  const tag = rate === 'burst' ? `burst${messages}` : `r${rate}`;
  const sites = Array.from({ length: messages }, (_, i) => `bench-${tag}-${i}`);
  const world = new InMemoryWorld({ intervalMs: 10, successesNeeded: 1 });
  for (const s of sites) world.addSite(s, { primaryUp: false });
  const topic = `alerts-${tag}`;
  const subscription = `alerts-${tag}-sub`;
  await createTopicAndSubscription(pubsub, topic, subscription);
  const config = inMemoryConfig(
    sites,
    { probe: { interval: '10ms', successesNeeded: 1 } },
    {
      temporal: { taskQueue: `bench-${tag}` },
      alerts: { projectId: emulator.projectId, subscription },
    },
  );
  const worker = await createMainWorker({
    connection: temporal.nativeConnection,
    taskQueue: config.temporal.taskQueue,
    registry: buildRegistry(config, { world }),
  });
  const incidents = Incidents.of(temporal.client, config, config.temporal.taskQueue);
  const bridge = await startBridge({ config, incidents, pubsub, logger: pino({ level: 'warn' }), http: false });
  const publishedAt = new Map<string, number>();
  const t0 = Date.now();
  const result = await worker.runUntil(async () => {
    const publishes: Promise<string>[] = [];
    for (const [i, site] of sites.entries()) {
      if (rate !== 'burst') {
        const due = t0 + (i * 1000) / rate;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      publishedAt.set(site, Date.now());
      publishes.push(
        pubsub.topic(topic).publishMessage({ json: notification({ incidentId: `inc-${site}`, state: 'open', site }) }),
      );
    }
    await Promise.all(publishes);
    const accepted: number[] = [];
    const firstTask: number[] = [];
    let lastStarted = 0;
    for (const [i, site] of sites.entries()) {
      const t = await eventTimes(temporal.client, site);
      accepted.push(t.started - publishedAt.get(site)!);
      firstTask.push(t.firstTask - publishedAt.get(site)!);
      lastStarted = Math.max(lastStarted, t.started);
      if (i % 50 === 49) process.stderr.write(`\r${label}: read ${i + 1}/${sites.length} histories   `);
    }
    const acceptedPerS = sites.length / ((lastStarted - Math.min(...publishedAt.values())) / 1000);
    return {
      label,
      messages: sites.length,
      accepted: summarize(accepted),
      firstTask: summarize(firstTask),
      wallMs: Date.now() - t0,
      acceptedPerS,
    };
  });
  await bridge.stop();
  process.stderr.write(`\r${label}: done in ${fmt(result.wallMs)}          \n`);
  return result;
}

const results: Result[] = [];
if (THROUGHPUT) for (const n of BURSTS) results.push(await run(`burst of ${n}`, 'burst', n));
else results.push(await run(`paced, ${RATE}/s`, RATE), await run(`burst of ${MESSAGES}`, 'burst'));
await pubsub.close();
await Promise.all([temporal.teardown(), emulator.stop()]);

console.log(`\npublish → incident, one notification per site, real Pub/Sub emulator + Temporal dev server\n`);
console.log(
  '| arrival | accepted/s | accepted: median | accepted: p95 | first workflow task: median | first workflow task: p95 | max |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.acceptedPerS.toFixed(0)} | ${fmt(r.accepted.median)} | ${fmt(r.accepted.p95)} | ${fmt(r.firstTask.median)} | ${fmt(r.firstTask.p95)} | ${fmt(r.firstTask.max)} |`,
  );
}
console.log(
  '\naccepted/s = messages ÷ (first publish → last WorkflowExecutionStarted); for a paced run it is bounded by the pace.',
);
console.log("\naccepted = publish call → WorkflowExecutionStarted (the bridge's signal-with-start accepted);");
console.log("first workflow task = publish call → the incident's first WorkflowTaskStarted event.");
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(THROUGHPUT ? 'results/bridge-throughput.json' : 'results/pubsub-latency.json', import.meta.url),
  JSON.stringify({ messages: MESSAGES, rate: RATE, at: new Date().toISOString(), results }, null, 2),
);

// How close one failover comes to its limit. With provider latencies set (a realistic set and a
// grid of smaller ones), side by side in one run and alternating repeat by repeat:
//   - the incident workflow on a real Temporal dev server and a real worker (start → on_standby,
//     and start → the verify activity's completion);
//   - the lower bound: the critical path of the same provider calls, computed from the settings;
//   - the origin's design: the same calls one after another in a plain script (its Cloud Function
//     did exactly that), with the same probe loops.
// The history's event times and the registry's call log say where the overhead goes.
//   npm run bench:limit            (RUNS=15 by default; ROWS=realistic,50 to pick rows)
import { mkdirSync, writeFileSync } from 'node:fs';
import { Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { probeUntilServing } from '../activities/probe-loop.ts';
import type { Endpoint, ProviderRegistry } from '../activities/providers/types.ts';
import { Incidents } from '../clients/incidents.ts';
import { buildRegistry } from '../clients/providers.ts';
import { startLocalTemporal } from '../harness/temporal.ts';
import { inMemoryConfig } from '../harness/sites.ts';
import { WORKFLOWS_PATH, createMainWorker } from '../worker/workers.ts';
import type { Target } from '../workflows/types.ts';
import { type Breakdown, breakdown, eventsUntilFinalPhase, times } from './history.ts';
import { type Latencies, LatencyRegistry, lowerBound, uniform } from './latency.ts';
import { summarize, type Summary } from './stats.ts';

const RUNS = Number(process.env.RUNS ?? 15);
const WARMUP = 2;
const PROBES = { intervalMs: 100, successesNeeded: 2 };

/** Cloud Run IAM read 300 / write 800 ms, Cloudflare 300, Monitoring 500, an HTTP check of Cloud Run 50 ms. */
const realistic: Latencies = {
  label: 'realistic',
  standbyAccess: { read: 300, write: 800 },
  traffic: { read: 300, write: 300 },
  monitor: { read: 500, write: 500 },
  probe: 50,
  probePolicy: PROBES,
};
const ALL_ROWS: Record<string, Latencies> = {
  '0': uniform(0, PROBES),
  '10': uniform(10, PROBES),
  '50': uniform(50, PROBES),
  '100': uniform(100, PROBES),
  realistic,
  // A monitor slower than the whole critical path: off the critical path in the design.
  'slow-monitor': { ...realistic, label: 'realistic, Monitoring 1.5 s', monitor: { read: 1500, write: 1500 } },
};
const rows = (process.env.ROWS?.split(',') ?? Object.keys(ALL_ROWS)).map((k) => {
  const row = ALL_ROWS[k];
  if (!row) throw new Error(`unknown row ${k}; one of ${Object.keys(ALL_ROWS).join(', ')}`);
  return row;
});

Runtime.install({
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  shutdownSignals: [],
});
const env = await startLocalTemporal();
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The origin's design: each step after the other, in one process; the probe loops are the worker's. */
async function script(registry: ProviderRegistry, site: string): Promise<number> {
  const p = registry.forSite(site);
  const probe = (endpoint: Endpoint, expect: Target) =>
    probeUntilServing(
      () => p.prober.check(endpoint, expect),
      { what: `${endpoint} of ${site}`, ...p.probe, timeoutMs: 60_000 },
      { now: Date.now, sleep, heartbeat() {} },
    );
  const t0 = performance.now();
  await p.standbyAccess.set('open');
  await probe('standby', 'standby');
  await p.traffic.set('standby');
  await p.monitor.set('paused');
  await probe('public', 'standby');
  return performance.now() - t0;
}

interface Row {
  label: string;
  latencies: Latencies;
  bound: { critical: number; monitor: number };
  verified: Summary;
  onStandby: Summary;
  overhead: Summary;
  script: Summary;
  /** Workflow's on_standby time over the script's, per repeat pair. */
  ratio: Summary;
  breakdown: Record<keyof Breakdown, number>;
}

async function measure(key: number, l: Latencies): Promise<Row> {
  const n = WARMUP + RUNS;
  const sites = Array.from({ length: n }, (_, i) => `limit-${key}-wf-${i}`);
  const scriptSites = sites.map((_, i) => `limit-${key}-script-${i}`);
  const world = new InMemoryWorld(PROBES, 0);
  for (const s of [...sites, ...scriptSites]) world.addSite(s, { primaryUp: false });
  const interval = `${l.probePolicy.intervalMs}ms`;
  const config = inMemoryConfig([...sites, ...scriptSites], {
    probe: {
      interval,
      successesNeeded: l.probePolicy.successesNeeded,
      standbyReadyTimeout: '60s',
      verifyTimeout: '60s',
    },
  });
  const registry = new LatencyRegistry(buildRegistry(config, { world }), l);
  const taskQueue = `limit-${key}`;
  const worker = await createMainWorker({
    connection: env.nativeConnection,
    taskQueue,
    registry,
    workflows: { workflowBundle: { code } },
  });
  const incidents = Incidents.of(env.client, config, taskQueue);
  const verified: number[] = [];
  const onStandby: number[] = [];
  const scripted: number[] = [];
  const ratios: number[] = [];
  const parts: Breakdown[] = [];
  await worker.runUntil(async () => {
    for (let i = 0; i < n; i++) {
      const runWorkflow = async () => {
        const handle = await incidents.trigger(sites[i]!, { alertId: 'bench', source: 'test' });
        const events = await eventsUntilFinalPhase(env.client, handle.workflowId);
        await handle.terminate('benchmark done');
        const t = times(events);
        if (t.phase !== 'on_standby') throw new Error(`${sites[i]} ended ${t.phase}`);
        return { t, b: breakdown(events, registry.callsOf(sites[i]!)) };
      };
      // Alternate which goes first, so drifts in the machine's load hit both alike.
      let wf: Awaited<ReturnType<typeof runWorkflow>>;
      let s: number;
      if (i % 2 === 0) {
        wf = await runWorkflow();
        await sleep(100);
        s = await script(registry, scriptSites[i]!);
      } else {
        s = await script(registry, scriptSites[i]!);
        await sleep(100);
        wf = await runWorkflow();
      }
      await sleep(100);
      if (i < WARMUP) continue;
      verified.push(wf.t.verified! - wf.t.started);
      onStandby.push(wf.t.onStandby! - wf.t.started);
      scripted.push(s);
      ratios.push((wf.t.onStandby! - wf.t.started) / s);
      parts.push(wf.b);
      process.stderr.write(`\r${l.label}: ${i + 1 - WARMUP}/${RUNS}   `);
    }
  });
  process.stderr.write('\n');
  const bound = lowerBound(l);
  const median = (k: keyof Breakdown) => summarize(parts.map((p) => p[k])).median;
  return {
    label: l.label,
    latencies: l,
    bound,
    verified: summarize(verified),
    onStandby: summarize(onStandby),
    overhead: summarize(onStandby.map((v) => v - bound.critical)),
    script: summarize(scripted),
    ratio: summarize(ratios),
    breakdown: {
      total: median('total'),
      workflowTasks: median('workflowTasks'),
      localReads: median('localReads'),
      dispatch: median('dispatch'),
      inActivity: median('inActivity'),
      providerCalls: median('providerCalls'),
      between: median('between'),
    },
  };
}

const results: Row[] = [];
for (const [i, l] of rows.entries()) results.push(await measure(i, l));
await env.teardown();

const ms = (v: number) => `${Math.round(v)} ms`;
console.log(
  `\nincident start → on_standby vs. its lower bound and the origin's one-after-another script; ${RUNS} repeats per row (after ${WARMUP} warm-up), medians (p95)\n`,
);
console.log(
  '| providers | lower bound | workflow → verified | workflow → on_standby | overhead (on_standby − bound) | script | workflow ÷ script |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  const both = (s: Summary) => `${ms(s.median)} (${ms(s.p95)})`;
  console.log(
    `| ${r.label} | ${ms(r.bound.critical)} | ${both(r.verified)} | ${both(r.onStandby)} | ${both(r.overhead)} | ${both(r.script)} | ${r.ratio.median.toFixed(2)} (${r.ratio.p95.toFixed(2)}) |`,
  );
}
console.log(
  '\nwhere start → on_standby goes on the critical path (medians of each part; they add up to about the total)\n',
);
console.log(
  '| providers | total | provider calls in activities | local-activity reads | workflow tasks | activity dispatch | inside activities | between events | overhead without the local reads |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const b = r.breakdown;
  console.log(
    `| ${r.label} | ${ms(b.total)} | ${ms(b.providerCalls)} | ${ms(b.localReads)} | ${ms(b.workflowTasks)} | ${ms(b.dispatch)} | ${ms(b.inActivity)} | ${ms(b.between)} | ${ms(b.total - b.localReads - r.bound.critical)} |`,
  );
}
console.log(
  `\nlatencies: ${results.map((r) => `${r.label} = IAM ${r.latencies.standbyAccess.read}/${r.latencies.standbyAccess.write}, Cloudflare ${r.latencies.traffic.read}/${r.latencies.traffic.write}, Monitoring ${r.latencies.monitor.read}/${r.latencies.monitor.write} ms read/write, probe ${r.latencies.probe} ms`).join('; ')}; probes every ${PROBES.intervalMs} ms, ${PROBES.successesNeeded} successes.`,
);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('results/limit.json', import.meta.url),
  JSON.stringify({ runs: RUNS, at: new Date().toISOString(), results }, null, 2),
);

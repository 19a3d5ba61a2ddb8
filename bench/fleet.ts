// How many sites can fail over at once. N sites alert together on one dev server; the workers
// run as child processes (bench/fleet-worker.ts) so that their RSS and CPU, read from /proc, are
// theirs alone and not the benchmark client's. Providers: in-memory, 300 ms per write and per
// probe (reads answer at once, as in activities/providers/in-memory/world.ts), probes every
// 100 ms, two successes needed. A fresh dev server for every measurement.
//   npm run bench:fleet                        (SIZES=1,10,100,500 CONFIGS=before,tuned,tuned-2w REPEATS=3)
//   SIZES=2000 REPEATS=1 npm run bench:fleet   (2,000 sites: once, it takes minutes)
//   CHART_ONLY=1 npm run bench:fleet           (table and chart again from bench/results/fleet.json)
// Results merge into bench/results/fleet.json (keyed by size and configuration) and the chart
// bench/results/fleet.svg is drawn from everything there.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Runtime, type WorkerOptions, bundleWorkflowCode } from '@temporalio/worker';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { Incidents } from '../clients/incidents.ts';
import { startLocalTemporal } from '../harness/temporal.ts';
import { WORKFLOWS_PATH } from '../worker/workers.ts';
import { incidentWorkflowId } from '../workflows/incident-messages.ts';
import { renderSvg } from './chart.ts';
import { fleetConfig, fleetSites } from './fleet-sites.ts';
import type { FleetWorkerSettings } from './fleet-worker.ts';
import { type Waits, failoverTimes } from './history.ts';
import { Sampler, childrenOf } from './proc.ts';
import { serveWorld } from './shared-world.ts';
import { fmt, quantile, summarize } from './stats.ts';

const SIZES = (process.env.SIZES ?? '1,10,100,500').split(',').map(Number);
const REPEATS = Number(process.env.REPEATS ?? 3);
const LATENCY_MS = 300;
const PROBE = { intervalMs: 100, successesNeeded: 2 };
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS ?? 8 * 60_000);

/** The worker options the SDK picks when none are given (@temporalio/worker 1.24): the "before". */
const SDK_DEFAULTS: Partial<WorkerOptions> = {
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentLocalActivityExecutions: 100,
  maxCachedWorkflows: undefined,
  workflowTaskPollerBehavior: undefined,
  activityTaskPollerBehavior: undefined,
};

interface Configuration {
  name: string;
  label: string;
  workers: number;
  /** Each worker's own world, or one shared world served by this process (needed for two workers). */
  world: 'local' | 'shared';
  /** Bundle the workflows ahead of time (once) instead of at every worker's start. */
  prebuilt: boolean;
  tuning?: Partial<WorkerOptions>;
}
const CONFIGURATIONS: Record<string, Configuration> = {
  before: {
    name: 'before',
    label: 'SDK defaults, bundled at start',
    workers: 1,
    world: 'local',
    prebuilt: false,
    tuning: SDK_DEFAULTS,
  },
  tuned: {
    name: 'tuned',
    label: 'createMainWorker defaults, prebuilt bundle',
    workers: 1,
    world: 'local',
    prebuilt: true,
  },
  'tuned-shared': {
    name: 'tuned-shared',
    label: 'tuned, shared world over HTTP',
    workers: 1,
    world: 'shared',
    prebuilt: true,
  },
  'tuned-2w': {
    name: 'tuned-2w',
    label: 'tuned, two workers, shared world',
    workers: 2,
    world: 'shared',
    prebuilt: true,
  },
};
const configs: Configuration[] = (process.env.CONFIGS ?? 'before,tuned,tuned-2w').split(',').map((k) => {
  let c = CONFIGURATIONS[k];
  if (!c) throw new Error(`unknown configuration ${k}; one of ${Object.keys(CONFIGURATIONS).join(', ')}`);
  // TUNING='{"maxConcurrentActivityTaskExecutions":200}' to explore around the defaults.
  if (process.env.NO_SOURCE_MAP) c = { ...c, name: `${c.name}-nosourcemap`, label: `${c.label}, no source map` };
  const nodeArgs = process.env.FLEET_WORKER_NODE_ARGS;
  if (nodeArgs && !nodeArgs.includes('--cpu-prof'))
    c = { ...c, name: `${c.name} ${nodeArgs}`, label: `${c.label}, node ${nodeArgs}` };
  const extra = process.env.TUNING;
  return extra
    ? {
        ...c,
        name: `${c.name}+${extra}`,
        label: `${c.label} + ${extra}`,
        tuning: { ...c.tuning, ...JSON.parse(extra) },
      }
    : c;
});

Runtime.install({
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  shutdownSignals: [],
});
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
const bundlePath = fileURLToPath(new URL('results/workflow-bundle.js', import.meta.url));
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
});
// NO_SOURCE_MAP=1: with an empty source map instead of the real one (the SDK maps the stack of every
// workflow promise through it, and refuses a bundle without one).
const EMPTY_MAP = Buffer.from(
  JSON.stringify({ version: 3, file: 'workflow-bundle.js', sources: [], names: [], mappings: '' }),
).toString('base64');
writeFileSync(
  bundlePath,
  process.env.NO_SOURCE_MAP
    ? code.replace(
        /\n\/\/# sourceMappingURL=.*$/s,
        `\n//# sourceMappingURL=data:application/json;base64,${EMPTY_MAP}\n`,
      )
    : code,
);

interface MainThreadPeak {
  rssMb: number;
  heapTotalMb: number;
  heapUsedMb: number;
  externalMb: number;
}

export interface Measurement {
  sites: number;
  config: string;
  label: string;
  workers: number;
  repeat: number;
  /** From the first trigger sent to the last / first / median site's on_standby event. */
  allMs: number;
  firstMs: number;
  medianMs: number;
  /** Time to send every signal-with-start. */
  triggeredMs: number;
  /** Each site's own start event → on_standby: median and p95. */
  perSite: { median: number; p95: number };
  waits: Waits;
  worker: { peakRssMb: number; hwmMb: number; cpuS: number; avgCores: number; peakCores: number };
  server: { peakRssMb: number; cpuS: number; avgCores: number; peakCores: number };
  /** The first worker's main thread at its largest (the workflow thread's heap is apart). */
  mainThread: MainThreadPeak;
  /** This process: the client that triggers and, for a shared world, the simulated clouds. */
  benchCpuS: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function pool<T>(items: T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await each(items[next++]!);
    }),
  );
}

function startWorker(settings: FleetWorkerSettings): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('fleet-worker.ts', import.meta.url)), {
    env: { ...process.env, FLEET_WORKER: JSON.stringify(settings) },
    // e.g. FLEET_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=bench/results/prof' to profile the worker
    execArgv: [...process.execArgv, ...(process.env.FLEET_WORKER_NODE_ARGS?.split(' ') ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`fleet worker exited with ${code} before it was ready`)));
  });
}

async function measure(n: number, c: Configuration, repeat: number): Promise<Measurement> {
  const tag = `${c.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)}-${n}-${repeat}`;
  const what = `${n} sites, ${c.name}, run ${repeat + 1}/${REPEATS}`;
  const sites = fleetSites(n, tag);
  const env = await startLocalTemporal();
  const serverPid = childrenOf(process.pid, 'start-dev')[0];
  if (!serverPid) throw new Error('dev server process not found');
  const taskQueue = `fleet-${tag}`;
  let world: Awaited<ReturnType<typeof serveWorld>> | undefined;
  if (c.world === 'shared') {
    const w = new InMemoryWorld(PROBE, LATENCY_MS);
    for (const s of sites) w.addSite(s, { primaryUp: false });
    world = await serveWorld(w);
  }
  const workers = await Promise.all(
    Array.from({ length: c.workers }, () =>
      startWorker({
        address: env.address,
        taskQueue,
        sites,
        world: world?.url ?? 'local',
        latencyMs: LATENCY_MS,
        probe: PROBE,
        ...(c.prebuilt && { bundlePath }),
        ...(c.tuning && { tuning: c.tuning }),
      }),
    ),
  );
  const workerPids = workers.map((w) => w.pid!);
  const sampler = new Sampler([...workerPids, serverPid]);
  const incidents = Incidents.of(env.client, fleetConfig(sites, PROBE), taskQueue);
  await sleep(500); // let the pollers settle
  sampler.start();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await pool(sites, 100, async (site) => {
    await incidents.trigger(site, { alertId: 'fleet', source: 'test' });
  });
  const triggeredMs = Date.now() - t0;
  let shown = 0;
  for (;;) {
    const [{ count: done }, { count: failed }] = await Promise.all([
      env.client.workflow.count(`TaskQueue="${taskQueue}" AND FailoverPhase="on_standby"`),
      env.client.workflow.count(`TaskQueue="${taskQueue}" AND FailoverPhase="rolled_back"`),
    ]);
    if (Date.now() - shown >= 1000) {
      shown = Date.now();
      process.stderr.write(`\r${what}: ${done}/${n} on standby, ${fmt(Date.now() - t0)}        `);
    }
    if (failed > 0) throw new Error(`${failed} incidents rolled back`);
    if (done >= n) break;
    if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`${what}: only ${done} on standby after ${fmt(TIMEOUT_MS)}`);
    await sleep(n <= 10 ? 100 : 250);
  }
  sampler.stop();
  const benchCpu = process.cpuUsage(cpu0);
  process.stderr.write(`\r${what}: all on standby; reading ${n} histories        `);
  const ends: number[] = [];
  const perSite: number[] = [];
  const queued: Waits[] = [];
  await pool(sites, 16, async (site) => {
    const t = await failoverTimes(env.client, incidentWorkflowId(site));
    if (t.onStandby === undefined) throw new Error(`${site}: no on_standby in its history`);
    ends.push(t.onStandby - t0);
    perSite.push(t.onStandby - t.started);
    queued.push(t.waits);
  });
  const heaps = await Promise.all(
    workers.map(
      (w) =>
        new Promise<MainThreadPeak>((resolve) => {
          w.once('message', (m) => resolve((m as { peak: MainThreadPeak }).peak));
          w.send('stop');
        }),
    ),
  );
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
  world?.server.close();
  await env.teardown();
  process.stderr.write('\n');
  ends.sort((a, b) => a - b);
  const ws = workerPids.map((p) => sampler.result(p));
  const server = sampler.result(serverPid);
  const ps = summarize(perSite);
  return {
    sites: n,
    config: c.name,
    label: c.label,
    workers: c.workers,
    repeat,
    allMs: ends.at(-1)!,
    firstMs: ends[0]!,
    medianMs: quantile(ends, 0.5),
    triggeredMs,
    perSite: { median: ps.median, p95: ps.p95 },
    // Per site, medians: where its start → on_standby waited.
    waits: {
      workflowTaskQueued: summarize(queued.map((q) => q.workflowTaskQueued)).median,
      workflowTaskRun: summarize(queued.map((q) => q.workflowTaskRun)).median,
      activityQueued: summarize(queued.map((q) => q.activityQueued)).median,
    },
    // Two workers: the larger peak RSS (each process's own), CPU summed.
    worker: {
      peakRssMb: Math.max(...ws.map((w) => w.peakRssMb)),
      hwmMb: Math.max(...ws.map((w) => w.hwmMb)),
      cpuS: ws.reduce((a, w) => a + w.cpuS, 0),
      avgCores: ws.reduce((a, w) => a + w.avgCores, 0),
      peakCores: ws.reduce((a, w) => a + w.peakCores, 0),
    },
    server: { peakRssMb: server.peakRssMb, cpuS: server.cpuS, avgCores: server.avgCores, peakCores: server.peakCores },
    mainThread: heaps[0]!,
    benchCpuS: (benchCpu.user + benchCpu.system) / 1e6,
  };
}

const resultsPath = new URL('results/fleet.json', import.meta.url);
const previous: Measurement[] = existsSync(resultsPath)
  ? JSON.parse(readFileSync(resultsPath, 'utf8')).measurements
  : [];
const fresh: Measurement[] = [];
// CHART_ONLY=1: no measurement, only the table and chart from bench/results/fleet.json.
for (const n of process.env.CHART_ONLY ? [] : SIZES) {
  for (const c of configs) {
    for (let r = 0; r < REPEATS; r++) fresh.push(await measure(n, c, r));
  }
}
const replaced = new Set(fresh.map((m) => `${m.sites}/${m.config}`));
const measurements = [...previous.filter((m) => !replaced.has(`${m.sites}/${m.config}`)), ...fresh];
writeFileSync(resultsPath, JSON.stringify({ at: new Date().toISOString(), measurements }, null, 2));

/** Medians over the repeats of one size and configuration. */
function rollUp(ms: Measurement[]) {
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) groups.set(`${m.sites}/${m.config}`, [...(groups.get(`${m.sites}/${m.config}`) ?? []), m]);
  return [...groups.values()]
    .map((g) => {
      const med = (f: (m: Measurement) => number) => summarize(g.map(f)).median;
      return {
        sites: g[0]!.sites,
        config: g[0]!.config,
        label: g[0]!.label,
        repeats: g.length,
        allMs: med((m) => m.allMs),
        firstMs: med((m) => m.firstMs),
        medianMs: med((m) => m.medianMs),
        triggeredMs: med((m) => m.triggeredMs),
        perSiteP95: med((m) => m.perSite.p95),
        workerRssMb: med((m) => m.worker.peakRssMb),
        workerHwmMb: med((m) => m.worker.hwmMb),
        workerCpuS: med((m) => m.worker.cpuS),
        workerPeakCores: med((m) => m.worker.peakCores),
        serverCpuS: med((m) => m.server.cpuS),
        serverPeakCores: med((m) => m.server.peakCores),
        serverRssMb: med((m) => m.server.peakRssMb),
        benchCpuS: med((m) => m.benchCpuS),
        heapTotalMb: med((m) => m.mainThread?.heapTotalMb ?? Number.NaN),
        perSiteMs: med((m) => m.perSite.median),
        wftQueued: med((m) => m.waits?.workflowTaskQueued ?? Number.NaN),
        wftRun: med((m) => m.waits?.workflowTaskRun ?? Number.NaN),
        actQueued: med((m) => m.waits?.activityQueued ?? Number.NaN),
      };
    })
    .sort((a, b) => a.config.localeCompare(b.config) || a.sites - b.sites);
}
const rows = rollUp(measurements);
const single = new Map(rows.filter((r) => r.sites === 1).map((r) => [r.config, r.allMs]));
console.log(
  `\nN sites failing over at once (in-memory providers, ${LATENCY_MS} ms a write or probe, probes every ${PROBE.intervalMs} ms, ${PROBE.successesNeeded} successes); medians over repeats\n`,
);
console.log(
  '| sites | configuration | runs | all on standby | ÷ one site | first | median site | worker peak RSS (VmHWM; main heap) | worker CPU (peak cores) | server CPU (peak cores) | CPU per failover: worker + server | bench process CPU |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const one = single.get(r.config);
  console.log(
    `| ${r.sites} | ${r.label} | ${r.repeats} | ${fmt(r.allMs)} | ${one ? `${(r.allMs / one).toFixed(1)}×` : '–'} | ${fmt(r.firstMs)} | ${fmt(r.medianMs)} | ` +
      `${r.workerRssMb.toFixed(0)} MB (${r.workerHwmMb.toFixed(0)}; heap ${r.heapTotalMb.toFixed(0)}) | ${r.workerCpuS.toFixed(1)} s (${r.workerPeakCores.toFixed(2)}) | ` +
      `${r.serverCpuS.toFixed(1)} s (${r.serverPeakCores.toFixed(2)}) | ` +
      `${((r.workerCpuS * 1000) / r.sites).toFixed(0)} + ${((r.serverCpuS * 1000) / r.sites).toFixed(0)} ms | ${r.benchCpuS.toFixed(1)} s |`,
  );
}
console.log(
  '\nwhere a site waited (medians over sites, then over repeats): its start → on_standby, and within it the time its tasks sat in the task queue or ran\n',
);
console.log(
  '| sites | configuration | start → on_standby | workflow tasks queued | workflow tasks running | activities queued |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.sites} | ${r.label} | ${fmt(r.perSiteMs)} | ${fmt(r.wftQueued)} | ${fmt(r.wftRun)} | ${fmt(r.actQueued)} |`,
  );
}
console.log(
  "\nall/first/median: first trigger sent → that site's on_standby event; worker RSS: peak sampled every 200 ms during the run (VmHWM: since the process started, bundling included); CPU: seconds used during the run.",
);

// One line per configuration measured at several sizes (a single-size variant would be a lone dot).
const sizesOf = (config: string) => rows.filter((r) => r.config === config).length;
const chartData = rows
  .filter((r) => sizesOf(r.config) > 1)
  .flatMap((r) => [
    { sites: r.sites, configuration: r.label, measure: 'all sites on standby', seconds: r.allMs / 1000 },
    { sites: r.sites, configuration: r.label, measure: 'median site', seconds: r.medianMs / 1000 },
  ]);
const svg = await renderSvg({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: {
    text: 'Time to verified on standby vs. sites failing over at once',
    subtitle: `in-memory providers ${LATENCY_MS} ms/call, one dev server; medians over repeats`,
  },
  width: 560,
  height: 320,
  data: { values: chartData },
  mark: { type: 'line', point: true },
  encoding: {
    x: {
      field: 'sites',
      type: 'quantitative',
      scale: { type: 'log', nice: false },
      axis: { values: [1, 10, 100, 500, 2000] },
      title: 'sites failing over at once',
    },
    y: {
      field: 'seconds',
      type: 'quantitative',
      scale: { type: 'log' },
      title: 'seconds from the first trigger (log)',
    },
    color: { field: 'configuration', type: 'nominal', legend: { orient: 'bottom', columns: 1, labelLimit: 0 } },
    strokeDash: {
      field: 'measure',
      type: 'nominal',
      title: null,
      legend: { orient: 'top-left', symbolType: 'stroke', symbolStrokeColor: 'black', labelLimit: 0 },
    },
  },
});
writeFileSync(new URL('results/fleet.svg', import.meta.url), svg);
console.log('\nchart: bench/results/fleet.svg; data: bench/results/fleet.json');

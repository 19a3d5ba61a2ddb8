// The fleet benchmark's worker process (bench/fleet.ts forks it, so its RSS and CPU are its own):
// createMainWorker over in-memory providers, either a world of its own (FLEET_WORLD=local) or the
// benchmark's shared one over HTTP (a URL). Settings come as JSON in FLEET_WORKER.
//   { address, taskQueue, sites, world: 'local' | url, latencyMs, probe: {intervalMs, successesNeeded},
//     bundlePath?, tuning? }
import { readFileSync } from 'node:fs';
import { NativeConnection, Runtime, type WorkerOptions } from '@temporalio/worker';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import type { ProbePolicy, ProviderRegistry } from '../activities/providers/types.ts';
import { buildRegistry } from '../clients/providers.ts';
import { fleetConfig } from './fleet-sites.ts';
import { RemoteWorld } from './shared-world.ts';
import { createMainWorker } from '../worker/workers.ts';

export interface FleetWorkerSettings {
  address: string;
  taskQueue: string;
  sites: string[];
  world: 'local' | string;
  latencyMs: number;
  probe: ProbePolicy;
  /** A workflow bundle built ahead of time; without it the worker bundles at start. */
  bundlePath?: string;
  tuning?: Partial<WorkerOptions>;
}

const s = JSON.parse(process.env.FLEET_WORKER ?? '') as FleetWorkerSettings;
Runtime.install({
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  shutdownSignals: [],
});
let registry: ProviderRegistry;
if (s.world === 'local') {
  const world = new InMemoryWorld(s.probe, s.latencyMs);
  for (const site of s.sites) world.addSite(site, { primaryUp: false });
  registry = buildRegistry(fleetConfig(s.sites, s.probe), { world });
} else {
  registry = new RemoteWorld(s.world, s.probe);
}
const connection = await NativeConnection.connect({ address: s.address });
const worker = await createMainWorker({
  connection,
  taskQueue: s.taskQueue,
  registry,
  ...(s.bundlePath && { workflows: { workflowBundle: { code: readFileSync(s.bundlePath, 'utf8') } } }),
  tuning: { shutdownGraceTime: '1s', ...s.tuning },
});
// The main thread's heap at its largest (the workflow thread's isolate is not in it), for the report.
const peak = { rssMb: 0, heapTotalMb: 0, heapUsedMb: 0, externalMb: 0 };
const mb = (b: number) => b / 2 ** 20;
const memory = setInterval(() => {
  const m = process.memoryUsage();
  peak.rssMb = Math.max(peak.rssMb, mb(m.rss));
  peak.heapTotalMb = Math.max(peak.heapTotalMb, mb(m.heapTotal));
  peak.heapUsedMb = Math.max(peak.heapUsedMb, mb(m.heapUsed));
  peak.externalMb = Math.max(peak.externalMb, mb(m.external));
}, 200);
process.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(memory);
  process.send!({ peak });
  worker.shutdown();
});
const running = worker.run();
process.send!('ready');
await running;
await connection.close();
process.exit(0);

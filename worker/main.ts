// The worker process: validates the config, connects to Temporal, runs workflows and
// activities until SIGINT/SIGTERM, then shuts down gracefully (in-flight activities get
// `shutdownGraceTime` to finish; anything still running is handed back and retried elsewhere).
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { createWatchTriggerActivities } from '../activities/watch.ts';
import { createLocationWorker, ensureWatchers } from '../starters/watcher.ts';
import { registerSecret } from '../activities/errors.ts';
import { InMemoryWorld } from '../activities/providers/in-memory.ts';
import { ConfigError, loadConfig } from './config.ts';
import { logger, temporalLogger } from './logger.ts';
import { buildRegistry } from './providers.ts';
import type { ProviderRegistry } from '../activities/providers/types.ts';
import { connectWorker, resolveTemporal } from './temporal-connection.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function runWorker(configPath: string): Promise<void> {
  const config = loadConfig(configPath);
  for (const name of ['CLOUDFLARE_API_TOKEN', 'TEMPORAL_API_KEY']) registerSecret(process.env[name]);
  const temporal = resolveTemporal(config.temporal);
  const metricsAddress = process.env.FAILOVER_WORKER_METRICS; // e.g. 0.0.0.0:9464
  Runtime.install({
    logger: temporalLogger(),
    ...(metricsAddress && { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } }),
  });
  const registry = buildRegistry(config, { world: new InMemoryWorld() });
  // Build every site's adapters now: a missing token or a bad type fails the start, not an incident.
  const problems = Object.keys(config.sites).flatMap((site) => {
    try {
      registry.forSite(site);
      return [];
    } catch (err) {
      return [err instanceof Error ? err.message : String(err)];
    }
  });
  if (problems.length > 0) throw new ConfigError(configPath, problems);
  void checkProviders(registry, Object.keys(config.sites));
  const connection = await connectWorker(temporal);
  const client = new Client({ connection, namespace: temporal.namespace });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: { ...createActivities(registry), ...createWatchTriggerActivities({ client, config, taskQueue: temporal.taskQueue }) },
    shutdownGraceTime: '30s',
  });
  // Health watcher (docs/triggers.md): this process probes from its own location, and makes sure
  // every watched site has its watch workflow, with the current policy.
  const location = config.watcher && (process.env.FAILOVER_WATCH_LOCATION ?? config.watcher.locations[0]);
  const probes = location ? await createLocationWorker({ connection, namespace: temporal.namespace, taskQueue: temporal.taskQueue, location, registry }) : undefined;
  if (config.watcher) await ensureWatchers(client, config, temporal.taskQueue);
  logger.info(
    { address: temporal.address, namespace: temporal.namespace, taskQueue: temporal.taskQueue, sites: Object.keys(config.sites) },
    'worker started',
  );
  try {
    await Promise.all([worker.run(), probes?.run()]); // return after a shutdown signal once in-flight work is settled
  } finally {
    await connection.close();
    logger.info('worker stopped');
  }
}

/**
 * Reads every lever once, in the background: warms the SDK clients (the first Google call loads
 * its protos, ~0.7 s that would otherwise land on an incident's critical path) and logs missing
 * permissions at start rather than mid-incident. Never fatal: a provider may be briefly down.
 */
async function checkProviders(registry: ProviderRegistry, sites: string[]): Promise<void> {
  for (const site of sites) {
    const p = registry.forSite(site);
    const results = await Promise.allSettled([p.standbyAccess.read(), p.traffic.read(), p.monitor.read()]);
    for (const r of results) if (r.status === 'rejected') logger.warn({ site, err: String(r.reason) }, 'provider check failed');
  }
}

if (import.meta.main) {
  const configPath = process.argv[2] ?? process.env.FAILOVER_CONFIG ?? 'config/example.yaml';
  runWorker(configPath).catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}

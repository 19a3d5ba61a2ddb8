// The health watcher, seen from outside: which sites are watched, with which policy, and the
// workers that probe from each location. The worker process (worker/main.ts) starts the watchers
// and probes from its own location; more locations run this file:
//
//   node starters/watcher.ts [config.yaml] --location eu-west      (probes only, from eu-west)
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createWatchProbeActivities } from '../activities/watch.ts';
import { registerSecret } from '../activities/errors.ts';
import type { ProviderRegistry } from '../activities/providers/types.ts';
import { type Config, ConfigError, loadConfig, siteConfig } from '../worker/config.ts';
import { logger } from '../worker/logger.ts';
import { buildRegistry } from '../worker/providers.ts';
import { connectWorker, resolveTemporal } from '../worker/temporal-connection.ts';
import type { watch } from '../workflows/watch.ts';
import { type WatchPolicy, reconfigureWatch, watchWorkflowId } from '../workflows/watch-messages.ts';

/** Each location's probes run on workers polling this task queue. */
export function watchTaskQueue(taskQueue: string, location: string): string {
  return `${taskQueue}-watch-${location}`;
}

export function watchedSites(config: Config): string[] {
  if (!config.watcher) return [];
  return config.watcher.sites ?? Object.keys(config.sites);
}

export interface PolicyTuning {
  /** A probe activity returns at least this often (default 10 min). */
  maxProbeRunMs?: number;
  /** Continue-as-new past this many events (default 2000). */
  historyLimit?: number;
}

export function watchPolicy(config: Config, site: string, taskQueue: string, tuning: PolicyTuning = {}): WatchPolicy {
  const w = config.watcher;
  if (!w) throw new ConfigError('watcher', ['the config has no "watcher" section']);
  const probeTimeout = siteConfig(config, site).probe.timeout;
  return {
    intervalMs: w.interval,
    timeoutMs: w.timeout ?? Math.max(100, Math.min(w.interval, probeTimeout)),
    failuresToTrigger: w.failuresToTrigger,
    successesToRecover: w.successesToRecover,
    locations: w.locations.map((name) => ({ name, taskQueue: watchTaskQueue(taskQueue, name) })),
    quorum: w.quorum,
    taskQueue,
    maxProbeRunMs: tuning.maxProbeRunMs ?? 10 * 60_000,
    historyLimit: tuning.historyLimit ?? 2000,
  };
}

/**
 * Starts the watcher of every watched site, or hands a running one the current policy
 * (signal-with-start: idempotent, and a config change reaches running watchers).
 */
export async function ensureWatchers(client: Client, config: Config, taskQueue: string, tuning: PolicyTuning = {}): Promise<string[]> {
  const sites = watchedSites(config);
  await Promise.all(
    sites.map((site) => {
      const policy = watchPolicy(config, site, taskQueue, tuning);
      return client.workflow.signalWithStart<typeof watch, [WatchPolicy]>('watch', {
        workflowId: watchWorkflowId(site),
        taskQueue,
        args: [{ site, policy }],
        signal: reconfigureWatch,
        signalArgs: [policy],
      });
    }),
  );
  return sites;
}

export interface LocationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The main task queue; the location's is derived from it. */
  taskQueue: string;
  location: string;
  registry: ProviderRegistry;
}

/** A worker that only probes, from one location. */
export async function createLocationWorker(o: LocationWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: watchTaskQueue(o.taskQueue, o.location),
    activities: createWatchProbeActivities(o.registry),
    // Probes never finish on their own and their progress is in their heartbeats: on shutdown
    // they stop at once and are retried on another worker of the location.
    shutdownGraceTime: '0s',
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { location: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log('usage: node starters/watcher.ts [config.yaml] --location <name>\n\nRuns the health watcher probes of one location (see docs/triggers.md).');
    return;
  }
  const config = loadConfig(positionals[0] ?? process.env.FAILOVER_CONFIG ?? 'config/example.yaml');
  if (!config.watcher) throw new ConfigError('watcher', ['the config has no "watcher" section']);
  const location = values.location ?? process.env.FAILOVER_WATCH_LOCATION ?? config.watcher.locations[0]!;
  if (!config.watcher.locations.includes(location)) {
    throw new ConfigError('watcher.locations', [`location "${location}" is not one of ${config.watcher.locations.join(', ')}`]);
  }
  registerSecret(process.env.TEMPORAL_API_KEY);
  const temporal = resolveTemporal(config.temporal);
  const connection = await connectWorker(temporal);
  const worker = await createLocationWorker({ connection, namespace: temporal.namespace, taskQueue: temporal.taskQueue, location, registry: buildRegistry(config) });
  logger.info({ location, taskQueue: watchTaskQueue(temporal.taskQueue, location), sites: watchedSites(config) }, 'watcher location started');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    logger.fatal({ err }, 'watcher failed');
    process.exit(1);
  });
}

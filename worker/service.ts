// What the worker process does, apart from its entry: validates the config, connects to Temporal,
// runs workflows and activities (and the watcher's probes from its own location) until shutdown.
// On SIGINT/SIGTERM in-flight activities get `shutdownGraceTime` to finish; anything still running
// is handed back and retried elsewhere.
import { Client } from '@temporalio/client';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import type { ProviderRegistry } from '../activities/providers/types.ts';
import { registerSecret } from '../activities/secrets.ts';
import { checkCredentialsFile } from '../clients/google-credentials.ts';
import { Incidents } from '../clients/incidents.ts';
import { logger } from '../clients/logger.ts';
import { buildNotifiers } from '../clients/notifiers.ts';
import { buildRegistry } from '../clients/providers.ts';
import { resolveTemporal } from '../clients/temporal.ts';
import { ensureWatchers } from '../clients/watchers.ts';
import { ConfigError, configWarnings, loadConfig } from '../config/load.ts';
import { readinessHistory, readinessTarget } from '../clients/readiness.ts';
import { ensureReadinessSchedules } from './readiness-schedules.ts';
import { installRuntime } from './runtime.ts';
import { ensureSearchAttributes, isDevServer } from './search-attributes.ts';
import { connectWorker, createLocationWorker, createMainWorker } from './workers.ts';
import { errorMessage } from '../workflows/error-text.ts';

export async function runWorker(configPath: string): Promise<void> {
  const config = loadConfig(configPath);
  for (const warning of configWarnings(config)) logger.warn({ config: configPath }, warning);
  for (const name of ['CLOUDFLARE_API_TOKEN', 'TEMPORAL_API_KEY']) registerSecret(process.env[name]);
  checkCredentialsFile();
  const temporal = resolveTemporal(config.temporal);
  installRuntime();
  const registry = buildRegistry(config, { world: new InMemoryWorld() });
  // Build every site's adapters now: a missing token or a bad type fails the start, not an incident.
  const problems = Object.keys(config.sites).flatMap((site) => {
    try {
      registry.forSite(site);
      return [];
    } catch (err) {
      return [errorMessage(err)];
    }
  });
  if (problems.length > 0) throw new ConfigError(configPath, problems);
  const notifiers = buildNotifiers(config); // a missing webhook URL fails the start, not a notification
  void checkProviders(registry, Object.keys(config.sites));
  const connection = await connectWorker(temporal);
  const { namespace, taskQueue } = temporal;
  // The incident's search attributes must exist before the first incident, not be found missing by it.
  try {
    const sa = await ensureSearchAttributes(connection, namespace, { register: await isDevServer(connection) });
    if (sa === 'registered')
      logger.info({ namespace }, 'registered the search attributes FailoverSite, FailoverPhase and FailoverReady');
  } catch (err) {
    await connection.close();
    throw err;
  }
  const client = new Client({ connection, namespace });
  const incidents = Incidents.of(client, config, taskQueue);
  const readiness = {
    registry,
    target: (site: string) => readinessTarget(config, site),
    history: readinessHistory(client),
  };
  const worker = await createMainWorker({
    connection,
    namespace,
    taskQueue,
    registry,
    incidents,
    notifiers,
    readiness,
  });
  // Health watcher (docs/triggers.md): this process probes from its own location, and makes sure
  // every watched site has its watch workflow, with the current policy.
  const location = config.watcher && (process.env.FAILOVER_WATCH_LOCATION ?? config.watcher.locations[0]);
  const probes = location
    ? await createLocationWorker({ connection, namespace, taskQueue, location, registry })
    : undefined;
  if (config.watcher) await ensureWatchers(client, config, taskQueue);
  logger.info(await ensureReadinessSchedules(client, config, taskQueue), 'readiness schedules');
  logger.info({ address: temporal.address, namespace, taskQueue, sites: Object.keys(config.sites) }, 'worker started');
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
    for (const r of results)
      if (r.status === 'rejected') logger.warn({ site, err: String(r.reason) }, 'provider check failed');
  }
}

// A watcher location's process: probes the primaries from here, nothing else (docs/triggers.md).
//
//   node worker/location.ts [config.yaml] --location eu-west
import { parseArgs } from 'node:util';
import { registerSecret } from '../activities/secrets.ts';
import { logger } from '../clients/logger.ts';
import { configPathOf, runMain } from '../clients/process.ts';
import { buildProbeRegistry } from '../clients/providers.ts';
import { resolveTemporal } from '../clients/temporal.ts';
import { ConfigError, configWarnings, loadConfig } from '../config/load.ts';
import { watchTaskQueue, watchedSites } from '../config/policies.ts';
import { connectWorker, createLocationWorker } from './workers.ts';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { location: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(
      'usage: node worker/location.ts [config.yaml] --location <name>\n\nRuns the health watcher probes of one location (see docs/triggers.md).',
    );
    return;
  }
  const configPath = configPathOf(positionals[0]);
  const config = loadConfig(configPath);
  for (const warning of configWarnings(config)) logger.warn(warning);
  if (!config.watcher) throw new ConfigError(configPath, ['the config has no "watcher" section']);
  const location = locationOf(values.location, config.watcher.locations, configPath);
  registerSecret(process.env.TEMPORAL_API_KEY);
  const temporal = resolveTemporal(config.temporal);
  const connection = await connectWorker(temporal);
  const { namespace, taskQueue } = temporal;
  // Probing needs only the probers: no Cloudflare token, no Google credentials at a probe-only location.
  const registry = buildProbeRegistry(config);
  const worker = await createLocationWorker({ connection, namespace, taskQueue, location, registry });
  logger.info(
    { location, taskQueue: watchTaskQueue(taskQueue, location), sites: watchedSites(config) },
    'watcher location started',
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

/** --location, else FAILOVER_WATCH_LOCATION, else the first; one of the config's, or an error saying where it came from. */
function locationOf(flag: string | undefined, locations: string[], configPath: string): string {
  const env = process.env.FAILOVER_WATCH_LOCATION || undefined;
  const [location, from] = flag ? [flag, '--location'] : env ? [env, 'FAILOVER_WATCH_LOCATION'] : [locations[0]!, ''];
  if (locations.includes(location)) return location;
  throw new ConfigError(configPath, [
    `watcher.locations: location "${location}" (from ${from}) is not one of ${locations.join(', ')}`,
  ]);
}

runMain('watcher location', main);

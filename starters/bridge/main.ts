// The Pub/Sub bridge process (see bridge.ts):
//
//   node starters/bridge/main.ts [config.yaml]      (or FAILOVER_CONFIG; PUBSUB_EMULATOR_HOST honoured)
import { Registry, collectDefaultMetrics } from 'prom-client';
import { registerSecret } from '../../activities/secrets.ts';
import { checkCredentialsFile } from '../../clients/google-credentials.ts';
import { Incidents } from '../../clients/incidents.ts';
import { logger } from '../../clients/logger.ts';
import { configPathOf, runMain } from '../../clients/process.ts';
import { lazyClient, resolveTemporal } from '../../clients/temporal.ts';
import { configWarnings, loadConfig } from '../../config/load.ts';
import { startBridge } from './bridge.ts';

async function main(): Promise<void> {
  const config = loadConfig(configPathOf(process.argv[2]));
  for (const warning of configWarnings(config)) logger.warn(warning);
  registerSecret(process.env.TEMPORAL_API_KEY);
  checkCredentialsFile();
  const temporal = resolveTemporal(config.temporal);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'failover_bridge_' });
  const incidents = Incidents.of(lazyClient(temporal), config, temporal.taskQueue);
  const bridge = await startBridge({ config, incidents, registry });
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) process.exit(1); // a second ^C: do not wait
    logger.info({ signal }, 'shutting down');
    void bridge.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await bridge.done;
  process.exit(0);
}

runMain('bridge', main);

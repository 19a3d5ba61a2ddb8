// The Temporal runtime of a worker process: the SDK's and core's logs forwarded into the process's
// logger (structured, no raw lines on the terminal), and Prometheus metrics when
// FAILOVER_WORKER_METRICS names an address.
import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import { logger } from '../clients/logger.ts';

/** Expected in normal operation, and no action for anyone: not logged. */
const BENIGN = [
  // A location worker hosts probe activities only.
  /^No workflows registered/,
  // A probe that finished just as the watcher cancelled it.
  /^Activity not found on completion/,
];

const METHOD = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

export function installRuntime(env: NodeJS.ProcessEnv = process.env): void {
  const level = (env.TEMPORAL_LOG_LEVEL ?? 'WARN') as LogLevel;
  const metricsAddress = env.FAILOVER_WORKER_METRICS; // e.g. 127.0.0.1:9464
  Runtime.install({
    logger: new DefaultLogger(level, ({ level, message, meta }) => {
      if (BENIGN.some((re) => re.test(message))) return;
      logger[METHOD[level]]({ ...meta, component: 'temporal' }, message);
    }),
    telemetryOptions: {
      logging: { filter: { core: level, other: 'ERROR' }, forward: {} },
      ...(metricsAddress && { metrics: { prometheus: { bindAddress: metricsAddress } } }),
    },
  });
}

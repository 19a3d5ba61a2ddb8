// The Temporal runtime of a worker process: its logs forwarded into the process's logger, and its
// Prometheus metrics when FAILOVER_WORKER_METRICS names an address.
import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import { logger } from '../clients/logger.ts';

export function installRuntime(env: NodeJS.ProcessEnv = process.env): void {
  const metricsAddress = env.FAILOVER_WORKER_METRICS; // e.g. 127.0.0.1:9464
  Runtime.install({
    logger: temporalLogger(),
    ...(metricsAddress && { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } }),
  });
}

function temporalLogger(): DefaultLogger {
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? 'WARN') as LogLevel;
  return new DefaultLogger(level, ({ level, message, meta }) => {
    const method =
      level === 'TRACE'
        ? 'trace'
        : level === 'DEBUG'
          ? 'debug'
          : level === 'INFO'
            ? 'info'
            : level === 'WARN'
              ? 'warn'
              : 'error';
    logger[method]({ ...meta, component: 'temporal' }, message);
  });
}

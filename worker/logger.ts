// One structured logger for every process; Temporal's own logs are forwarded into it.
import { pino } from 'pino';
import { DefaultLogger, type LogLevel } from '@temporalio/worker';

export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  // Defence in depth: even if a credential reached a log call, these keys are masked.
  redact: ['*.apiKey', '*.token', '*.authorization', '*.password', 'apiKey', 'token', 'authorization'],
});

export function temporalLogger(): DefaultLogger {
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? 'WARN') as LogLevel;
  return new DefaultLogger(level, ({ level, message, meta }) => {
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    logger[method]({ ...meta, component: 'temporal' }, message);
  });
}

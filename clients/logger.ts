// One structured logger for every process (the worker forwards Temporal's own logs into it).
import { pino } from 'pino';

export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  // Defence in depth: even if a credential reached a log call, these keys are masked.
  redact: ['*.apiKey', '*.token', '*.authorization', '*.password', 'apiKey', 'token', 'authorization'],
});

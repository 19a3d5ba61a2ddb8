// Helpers for the Pub/Sub bridge suites: config, publishing, metrics, captured logs.
import type { PubSub } from '@google-cloud/pubsub';
import { pino, type Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { Config } from '../../config/schema.ts';
import { inMemoryConfig } from '../../harness/sites.ts';
import { notification } from '../../harness/notification.ts';

export function bridgeConfig(
  sites: string[],
  alerts: Record<string, unknown>,
  temporal: Record<string, unknown> = {},
): Config {
  return inMemoryConfig(
    sites,
    {},
    { temporal, alerts: { projectId: 'failover-test', http: { host: '127.0.0.1', port: 0 }, ...alerts } },
  );
}

export function open(site: string, incidentId: string): Record<string, unknown> {
  return notification({ incidentId, state: 'open', site });
}

export function closed(site: string, incidentId: string): Record<string, unknown> {
  return notification({ incidentId, state: 'closed', site });
}

export async function publish(
  pubsub: PubSub,
  topic: string,
  data: unknown,
  attributes: Record<string, string> = {},
): Promise<string> {
  const buffer =
    data instanceof Uint8Array
      ? Buffer.from(data)
      : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  return pubsub.topic(topic).publishMessage({ data: buffer, attributes });
}

export async function count(metric: Counter, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export async function observations(metric: Histogram, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter(
      (v) => v.metricName?.endsWith('_count') && Object.entries(labels).every(([k, want]) => v.labels[k] === want),
    )
    .reduce((sum, v) => sum + v.value, 0);
}

/** A pino logger whose JSON lines are kept for assertions. */
export function capturedLogger(): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(chunk: string) {
        raw.push(chunk);
        lines.push(JSON.parse(chunk) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines, raw };
}

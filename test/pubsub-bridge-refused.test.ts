// The bridge against the real Pub/Sub emulator and the real dev server, when Temporal refuses for
// good (issue 8, item 10): an unknown namespace is not retried for ever. The message is
// dead-lettered with the reason, counted, the health turns degraded; the health server binds
// loopback by default.
import { randomUUID } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { Incidents } from '../clients/incidents.ts';
import { configSchema } from '../config/schema.ts';
import { type Bridge, startBridge } from '../starters/bridge/bridge.ts';
import { temporalRefusal } from '../starters/bridge/temporal-refusal.ts';
import { bridgeConfig, capturedLogger, count, open, publish } from './support/bridge.ts';
import { type PubSubEmulator, createTopicAndSubscription, startPubSubEmulator } from '../harness/pubsub-emulator.ts';
import { inMemoryConfig, uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';

let emulator: PubSubEmulator;
let pubsub: PubSub;
let connection: Connection;
const bridges: Bridge[] = [];

beforeAll(async () => {
  emulator = await startPubSubEmulator('failover-test');
  pubsub = emulator.client();
  connection = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await Promise.allSettled(bridges.map((b) => b.stop()));
  await pubsub?.close();
  await connection?.close();
  await emulator?.stop();
});

describe('Temporal refuses for good', () => {
  test('unknown namespace: dead-lettered with the reason at once, counted, health degraded, not redelivered', async () => {
    const site = uniqueSite('ps-refused');
    const id = randomUUID().slice(0, 8);
    const [topic, subscription, dlqTopic] = [`alerts-${id}`, `alerts-sub-${id}`, `dlq-${id}`];
    await createTopicAndSubscription(pubsub, topic, subscription, 10);
    await createTopicAndSubscription(pubsub, dlqTopic, `${dlqTopic}-sub`);
    const config = bridgeConfig([site], { subscription, deadLetterTopic: dlqTopic, retryFor: '20s' });
    const client = new Client({ connection, namespace: `no-such-namespace-${id}` });
    const logs = capturedLogger();
    const bridge = await startBridge({
      config,
      incidents: Incidents.of(client, config, 'unused'),
      pubsub,
      logger: logs.logger,
    });
    bridges.push(bridge);
    expect(bridge.healthy()).toBe(true);

    const dead: { reason?: string; detail?: string }[] = [];
    const dlq = pubsub.subscription(`${dlqTopic}-sub`);
    dlq.on('message', (m) => {
      dead.push({ reason: m.attributes.failover_reject_reason, detail: m.attributes.failover_reject_detail });
      m.ack();
    });
    const t0 = Date.now();
    await publish(pubsub, topic, open(site, 'inc-refused'));
    await waitFor('the dead letter', () => dead.length >= 1 || undefined, 15_000);
    expect(Date.now() - t0).toBeLessThan(10_000); // not after retryFor (20 s) of retries
    expect(dead[0]!.reason).toBe('temporal_namespace_not_found');
    expect(dead[0]!.detail).toMatch(/no-such-namespace/);
    expect(await count(bridge.metrics.refused, { reason: 'temporal_namespace_not_found' })).toBe(1);
    expect(await count(bridge.metrics.nacked)).toBe(0);

    // Health says so, with the reason.
    expect(bridge.healthy()).toBe(false);
    const res = await fetch(`http://${bridge.address!.host}:${bridge.address!.port}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'degraded',
      degraded: { reason: 'temporal_namespace_not_found' },
    });

    // Acknowledged: not delivered again.
    await new Promise((r) => setTimeout(r, 12_000)); // past the ack deadline
    expect(await count(bridge.metrics.received)).toBe(1);
    await dlq.close();
    await bridge.stop();
  }, 60_000);

  test('refusals are told apart from outages', () => {
    const grpc = (code: number, message = 'x') =>
      Object.assign(new Error(message), { code, details: message, metadata: {} });
    expect(temporalRefusal(grpc(3, 'search attribute FailoverSite is not defined'))).toBe('temporal_invalid_argument');
    expect(temporalRefusal(new Error('wrapped', { cause: grpc(7) }))).toBe('temporal_permission_denied');
    expect(temporalRefusal(grpc(16))).toBe('temporal_unauthenticated');
    expect(temporalRefusal(grpc(5, 'Namespace x is not found.'))).toBe('temporal_namespace_not_found');
    expect(temporalRefusal(grpc(14, 'unavailable'))).toBeUndefined();
    expect(temporalRefusal(grpc(4, 'deadline exceeded'))).toBeUndefined();
    expect(temporalRefusal(new Error('ECONNREFUSED'))).toBeUndefined();
  });

  test('/healthz and /metrics bind loopback unless told otherwise', () => {
    const config = configSchema.parse({ ...inMemoryConfig(['a']), alerts: { projectId: 'p', subscription: 's' } });
    expect(config.alerts!.http.host).toBe('127.0.0.1');
  });
});

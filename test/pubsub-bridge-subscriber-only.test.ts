// The bridge with the rights docs/production.md grants it and no more (issue 17, break 1):
// roles/pubsub.subscriber on the subscription has pubsub.subscriptions.consume but not
// pubsub.subscriptions.get, so the metadata read (`subscription.exists()`) is refused with a 403
// on a real project. The emulator enforces no IAM: a proxy in front of it refuses the calls a
// missing permission refuses, with Pub/Sub's own PERMISSION_DENIED (test/support/pubsub-iam-proxy.ts).
import { randomUUID } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { Incidents } from '../clients/incidents.ts';
import { type Bridge, startBridge } from '../starters/bridge/bridge.ts';
import { bridgeConfig, capturedLogger, count, open, publish } from './support/bridge.ts';
import { type IamProxy, startIamProxy } from './support/pubsub-iam-proxy.ts';
import {
  type PubSubEmulator,
  createTopicAndSubscription,
  emulatorClient,
  startPubSubEmulator,
} from '../harness/pubsub-emulator.ts';
import { lookupIncident, uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';

let emulator: PubSubEmulator;
let admin: PubSub; // the project owner's view: creates topics and publishes
let proxy: IamProxy;
let orchestrator: PubSub; // the orchestrator's identity: through the proxy
let connection: Connection;
let client: Client;
const bridges: Bridge[] = [];

beforeAll(async () => {
  emulator = await startPubSubEmulator('failover-test');
  admin = emulator.client();
  proxy = await startIamProxy(emulator.host);
  orchestrator = emulatorClient(proxy.host, emulator.projectId);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await Promise.allSettled(bridges.map((b) => b.stop()));
  await orchestrator?.close();
  await admin?.close();
  await proxy?.stop();
  await connection?.close();
  await emulator?.stop();
});

async function subscription(): Promise<{ topic: string; subscription: string }> {
  const id = randomUUID().slice(0, 8);
  const [topic, sub] = [`alerts-${id}`, `alerts-sub-${id}`];
  await createTopicAndSubscription(admin, topic, sub, 10);
  return { topic, subscription: sub };
}

test('subscriber rights only (no pubsub.subscriptions.get): the refused metadata read is logged, the bridge starts and delivers', async () => {
  proxy.refuse(['GetSubscription']); // what roles/pubsub.subscriber lacks among the bridge's calls
  const site = uniqueSite('ps-subscriber');
  const { topic, subscription: sub } = await subscription();
  const config = bridgeConfig([site], { subscription: sub });
  const logs = capturedLogger();
  const bridge = await startBridge({
    config,
    incidents: Incidents.of(client, config, 'no-worker-here'),
    pubsub: orchestrator,
    logger: logs.logger,
  });
  bridges.push(bridge);
  expect(proxy.refused).toContain('GetSubscription');
  const warning = logs.lines.find((l) => l.msg === 'cannot read the subscription (starting anyway)');
  expect(warning).toMatchObject({ level: 40, permission: 'pubsub.subscriptions.get' });
  expect(String(warning?.err)).toMatch(/PERMISSION_DENIED|User not authorized/);
  expect(bridge.healthy()).toBe(true);

  await publish(admin, topic, open(site, `inc-${randomUUID().slice(0, 8)}`));
  await waitFor(`the incident of ${site}`, async () => (await lookupIncident(client, site)).state !== 'none');
  // The counter moves once the start has answered the bridge, a moment after the incident exists.
  await waitFor('the started counter', async () => (await count(bridge.metrics.started, { site })) === 1);
  await bridge.stop();
  await bridge.done;
});

test('no rights at all: streaming pull reports the real error, and the bridge fails with it', async () => {
  proxy.refuse(['GetSubscription', 'StreamingPull', 'Pull', 'Acknowledge', 'ModifyAckDeadline']);
  const { subscription: sub } = await subscription();
  const config = bridgeConfig([uniqueSite('ps-no-rights')], { subscription: sub });
  const logs = capturedLogger();
  const bridge = await startBridge({
    config,
    incidents: Incidents.of(client, config, 'no-worker-here'),
    pubsub: orchestrator,
    logger: logs.logger,
  });
  bridges.push(bridge);
  const err = await bridge.done.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err?.message).toMatch(
    new RegExp(
      `streaming pull from projects/failover-test/subscriptions/${sub} refused \\(PERMISSION_DENIED\\): User not authorized`,
    ),
  );
  expect(err?.message).toContain('roles/pubsub.subscriber');
  expect(bridge.healthy()).toBe(false);
  expect(logs.lines.find((l) => l.msg === 'subscription failed')).toMatchObject({ level: 50 });
});

test('a subscription that does not exist still fails the start, naming it', async () => {
  proxy.refuse([]);
  const config = bridgeConfig([uniqueSite('ps-missing')], { subscription: 'no-such-subscription' });
  await expect(
    startBridge({ config, incidents: Incidents.of(client, config, 'unused'), pubsub: orchestrator, http: false }),
  ).rejects.toThrow(/subscription projects\/failover-test\/subscriptions\/no-such-subscription does not exist/);
});

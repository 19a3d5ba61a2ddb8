// The bridge while Temporal is unreachable: nothing is acknowledged, messages come back, and once
// the server is back every alert reaches its incident exactly once. Uses a Temporal dev server of
// its own (fixed port, on-disk database) that the test stops and starts again.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Bridge, startBridge } from '../starters/bridge/bridge.ts';
import { Incidents } from '../clients/incidents.ts';
import { incidentWorkflowId } from '../workflows/incident-messages.ts';
import { phaseAttribute, siteAttribute } from '../workflows/search-attributes.ts';
import { bridgeConfig, capturedLogger, closed, count, open, publish } from './support/bridge.ts';
import { type PubSubEmulator, createTopicAndSubscription, startPubSubEmulator } from '../harness/pubsub-emulator.ts';
import { lookupIncident, uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';
import { freePort } from '../harness/ports.ts';

const dir = mkdtempSync(join(tmpdir(), 'temporal-outage-'));
let port: number;
let server: TestWorkflowEnvironment | undefined;
let emulator: PubSubEmulator;
let pubsub: PubSub;
let bridge: Bridge | undefined;
let client: Client;

/** The same server (port and database) every time, as after a restart. */
async function startTemporal(): Promise<TestWorkflowEnvironment> {
  const cli = process.env.TEMPORAL_CLI;
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      ip: '127.0.0.1',
      port,
      dbFilename: join(dir, 'temporal.db'),
      searchAttributes: [siteAttribute, phaseAttribute],
      extraArgs: ['--log-level', 'error'],
    },
  });
}

beforeAll(async () => {
  port = await freePort();
  [emulator, server] = await Promise.all([startPubSubEmulator('failover-test'), startTemporal()]);
  pubsub = emulator.client();
  // Made lazily and re-made by gRPC after the outage, as the bridge process does.
  client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${port}` }) });
});

afterAll(async () => {
  await bridge?.stop();
  await client?.connection.close();
  await pubsub?.close();
  await server?.teardown();
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The alertOpened / alertClosed signals an incident received (no worker runs: history only). */
async function signals(site: string): Promise<string[]> {
  const history = await client.workflow.getHandle(incidentWorkflowId(site)).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName)
    .map(
      (a) => `${a!.signalName}:${JSON.parse(Buffer.from(a!.input!.payloads![0]!.data!).toString()).alertId as string}`,
    );
}

async function runs(site: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${incidentWorkflowId(site)}'` })) n++;
  return n;
}

test('Temporal unreachable for a while: messages are handed back, redelivered, and processed once it is back', async () => {
  const [a, b, c] = [uniqueSite('out-a'), uniqueSite('out-b'), uniqueSite('out-c')];
  const id = randomUUID().slice(0, 8);
  const topic = `alerts-outage-${id}`;
  const subscription = `alerts-outage-sub-${id}`;
  await createTopicAndSubscription(pubsub, topic, subscription);
  const config = bridgeConfig([a, b, c], { subscription, retryFor: '300ms', temporalTimeout: '1s' });
  bridge = await startBridge({
    config,
    incidents: Incidents.of(client, config, 'no-worker-here'),
    pubsub,
    logger: capturedLogger().logger,
  });

  await publish(pubsub, topic, open(a, 'inc-a'));
  await waitFor('incident a', async () => (await lookupIncident(client, a)).state === 'running');

  await server!.teardown();
  server = undefined;
  await publish(pubsub, topic, open(b, 'inc-b'));
  await publish(pubsub, topic, open(c, 'inc-c'));
  await publish(pubsub, topic, closed(a, 'inc-a'));
  // Each of the three is tried, handed back, and delivered again, while the server is down.
  await waitFor(
    'redeliveries during the outage',
    async () => (await count(bridge!.metrics.nacked)) >= 6 || undefined,
    60_000,
    100,
  );
  expect(await count(bridge.metrics.received)).toBeGreaterThanOrEqual(1 + 6);
  expect(await count(bridge.metrics.started)).toBe(1);
  expect(bridge.healthy()).toBe(true);

  server = await startTemporal();
  await waitFor(
    'incidents b and c after the outage',
    async () =>
      (await lookupIncident(client, b)).state === 'running' && (await lookupIncident(client, c)).state === 'running',
    60_000,
    200,
  );
  await waitFor('a closed', async () => (await signals(a)).includes('alertClosed:inc-a'), 30_000, 200);
  await waitFor('everything handled', async () => (await bridge!.metrics.inFlight.get()).values[0]?.value === 0);

  expect(await signals(a)).toEqual(['alertOpened:inc-a', 'alertClosed:inc-a']);
  expect(await signals(b)).toEqual(['alertOpened:inc-b']);
  expect(await signals(c)).toEqual(['alertOpened:inc-c']);
  for (const site of [a, b, c]) expect(await runs(site)).toBe(1);
  expect(await count(bridge.metrics.started)).toBe(3);
  expect(await count(bridge.metrics.signalled, { signal: 'alertClosed' })).toBe(1);
  expect(await count(bridge.metrics.temporalErrors)).toBeGreaterThan(0);
});

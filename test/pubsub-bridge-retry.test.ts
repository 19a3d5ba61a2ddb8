// The bridge retrying a delivery after a Temporal error, against the real Pub/Sub emulator and the
// real dev server: each attempt looks the incident up again, because the incident seen before the
// error may have ended, or a new one started and ended, meanwhile. The error is injected into the
// trigger (after what it stands for happened), the only fault in an otherwise real path.
import { randomUUID } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { Incidents, type IncidentLookup } from '../clients/incidents.ts';
import { siteConfig } from '../config/load.ts';
import { incidentPolicy } from '../config/policies.ts';
import type { Config } from '../config/schema.ts';
import { type Bridge, startBridge } from '../starters/bridge/bridge.ts';
import type { AlertOpened } from '../workflows/types.ts';
import { incidentWorkflowId } from '../workflows/incident-messages.ts';
import { bridgeConfig, capturedLogger, count, open, publish } from './support/bridge.ts';
import { type PubSubEmulator, createTopicAndSubscription, startPubSubEmulator } from '../harness/pubsub-emulator.ts';
import { inMemoryConfig, uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';

let emulator: PubSubEmulator;
let pubsub: PubSub;
let client: Client;
const bridges: Bridge[] = [];

beforeAll(async () => {
  emulator = await startPubSubEmulator('failover-test');
  pubsub = emulator.client();
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
});
afterAll(async () => {
  await Promise.allSettled(bridges.map((b) => b.stop()));
  await pubsub?.close();
  await client?.connection.close();
  await emulator?.stop();
});

const TASK_QUEUE = 'no-worker-here'; // runs wait for a worker: their history is all the test reads
const unavailable = () => Object.assign(new Error('14 UNAVAILABLE: injected by the test'), { code: 14 });

/** Incidents whose first trigger does `meanwhile` (with the real incidents), then fails as Temporal would. */
class FailsOnce extends Incidents {
  private failed = false;
  private readonly meanwhile: (real: Incidents, alert: AlertOpened) => Promise<void>;
  constructor(config: Config, meanwhile: (real: Incidents, alert: AlertOpened) => Promise<void>) {
    super(client, TASK_QUEUE, (site) => incidentPolicy(siteConfig(config, site)));
    this.meanwhile = meanwhile;
  }
  override async trigger(site: string, alert: AlertOpened, lookup?: IncidentLookup) {
    if (!this.failed) {
      this.failed = true;
      await this.meanwhile(this, alert);
      throw unavailable();
    }
    return super.trigger(site, alert, lookup);
  }
}

async function runs(site: string) {
  const all = [];
  for await (const r of client.workflow.list({ query: `WorkflowId = '${incidentWorkflowId(site)}'` })) all.push(r);
  return all.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

async function bridgeFor(site: string, meanwhile: (real: Incidents, alert: AlertOpened) => Promise<void>) {
  const id = randomUUID().slice(0, 8);
  const [topic, subscription] = [`alerts-retry-${id}`, `alerts-retry-sub-${id}`];
  await createTopicAndSubscription(pubsub, topic, subscription);
  const config = bridgeConfig([site], { subscription, retryFor: '20s' });
  const bridge = await startBridge({
    config,
    incidents: new FailsOnce(config, meanwhile),
    pubsub,
    logger: capturedLogger().logger,
  });
  bridges.push(bridge);
  return { bridge, topic };
}

/** The site's previous incident, ended (terminated), so that an alert starts a new run. */
async function endedIncident(real: Incidents, site: string, alertId: string): Promise<void> {
  await real.trigger(site, { alertId, source: 'cli' });
  await real.handle(site).terminate('ended in the test');
}

test('the reply lost, the run it started ended: the retry finds the alert seen there and starts nothing', async () => {
  const site = uniqueSite('ps-retry-seen');
  await endedIncident(Incidents.of(client, inMemoryConfig([site]), TASK_QUEUE), site, 'before');
  const { bridge, topic } = await bridgeFor(site, async (real, alert) => {
    // The signal-with-start landed (a new run got the alert), the reply was lost, and that run ended.
    await Incidents.prototype.trigger.call(real, site, alert);
    await real.handle(site).terminate('ended while the bridge waited to retry');
  });
  await publish(pubsub, topic, open(site, 'inc-seen'));
  await waitFor(
    'the alert handled',
    async () => (await count(bridge.metrics.ignored)) + (await count(bridge.metrics.started)) > 0 || undefined,
    30_000,
  );
  expect(await count(bridge.metrics.ignored, { reason: 'duplicate_of_ended_incident' })).toBe(1);
  expect(await count(bridge.metrics.started)).toBe(0);
  expect(await runs(site)).toHaveLength(2); // the one before, and the one the lost reply started
}, 60_000);

test('a new incident started and ended meanwhile: the retry starts the next one after it, not after the old one', async () => {
  const site = uniqueSite('ps-retry-new');
  await endedIncident(Incidents.of(client, inMemoryConfig([site]), TASK_QUEUE), site, 'before');
  const { bridge, topic } = await bridgeFor(site, async (real) => {
    // Another trigger (the watcher) starts an incident, which ends before the bridge retries.
    await endedIncident(real, site, 'from-the-watcher');
  });
  await publish(pubsub, topic, open(site, 'inc-new'));
  await waitFor('the alert delivered', async () => (await count(bridge.metrics.started)) > 0 || undefined, 30_000);
  const [, meanwhile, started] = await runs(site);
  expect(started).toBeDefined();
  const history = await client.workflow.getHandle(incidentWorkflowId(site), started!.runId).fetchHistory();
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  const args = JSON.parse(Buffer.from(input.data!).toString()) as { previousEndedAt?: number };
  // The new run judges the alert against the incident that ended last.
  expect(args.previousEndedAt).toBe(meanwhile!.closeTime!.getTime());
}, 60_000);

// Issue 11 §3: an alert storm through the real Pub/Sub emulator: 1,000 messages over 50 sites, with
// duplicates, reordering (shuffled by the printed seed) and 10 % malformed, while the bridge is
// restarted once. Exactly one incident per affected site, no message lost (the subscription drains),
// none acted on twice (one accepted alert and one failover per site), the bridge healthy after.
import { randomUUID } from 'node:crypto';
import { type PubSub, v1 } from '@google-cloud/pubsub';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildRegistry } from '../../clients/providers.ts';
import { Incidents } from '../../clients/incidents.ts';
import { type Bridge, startBridge } from '../../starters/bridge/bridge.ts';
import { incidentWorkflowId, statusQuery } from '../../workflows/incident-messages.ts';
import { bridgeConfig, capturedLogger, closed, count, open, publish } from '../support/bridge.ts';
import { createTopicAndSubscription, type PubSubEmulator, startPubSubEmulator } from '../../harness/pubsub-emulator.ts';
import { testWorld, uniqueSite } from '../../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from '../support/temporal.ts';
import { chaosSeed } from './support.ts';
import { waitFor } from '../../harness/wait.ts';

const { seed, rng } = chaosSeed('alert-storm');
const MESSAGES = 1000;
const sites = Array.from({ length: 50 }, () => uniqueSite('storm'));
/** Sites with an open alert; the others only see alerts closed (and must get no incident). */
const affected = sites.slice(0, 30);
const world = testWorld();

let emulator: PubSubEmulator;
let pubsub: PubSub;
let worker: RunningWorker;
let client: Client;
const bridges: Bridge[] = [];

beforeAll(async () => {
  [emulator, worker, client] = await Promise.all([
    startPubSubEmulator('failover-test'),
    startWorker(buildRegistry(bridgeConfig(sites, { subscription: 'unused' }), { world })),
    testClient(),
  ]);
  pubsub = emulator.client();
  for (const site of sites) world.addSite(site, { primaryUp: false });
});
afterAll(async () => {
  await Promise.allSettled(bridges.map((b) => b.stop()));
  await pubsub?.close();
  await worker?.shutdown();
  await emulator?.stop();
});

function malformed(i: number): unknown {
  const site = rng.pick(sites);
  return rng.pick([
    () => Buffer.from([0xff, 0xfe, 0x00, i % 256]), // not UTF-8 JSON
    () => '{"version":"1.2","incident":', // truncated
    () => ({ version: '1.2' }), // no incident
    () => ({ ...open(site, `bad-${i}`), version: '9.9' }), // unknown version
    () => open(`unknown-${i}`, `bad-${i}`), // a site not in the config
    () => ({ version: '1.2', incident: { incident_id: 42, state: 'maybe' } }), // wrong types
  ])();
}

async function pending(subscription: string): Promise<number> {
  const sub = new v1.SubscriberClient(
    (await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0],
  );
  try {
    const [res] = await sub.pull(
      {
        subscription: `projects/${emulator.projectId}/subscriptions/${subscription}`,
        maxMessages: 100,
        returnImmediately: true,
      },
      { timeout: 5000 },
    );
    return res.receivedMessages?.length ?? 0;
  } finally {
    await sub.close();
  }
}

test(
  `${MESSAGES} messages over ${sites.length} sites, duplicated, reordered, 10 % malformed, bridge restarted (seed ${seed})`,
  { timeout: 4 * 60_000 },
  async () => {
    const id = randomUUID().slice(0, 8);
    const topic = `storm-${id}`;
    const subscription = `storm-sub-${id}`;
    await createTopicAndSubscription(pubsub, topic, subscription);
    const config = bridgeConfig(sites, { subscription, maxOutstanding: 50 });
    const incidents = Incidents.of(client, config, worker.taskQueue);
    const startBridgeNow = async () => {
      const b = await startBridge({ config, incidents, pubsub, logger: capturedLogger().logger });
      bridges.push(b);
      return b;
    };

    // The storm: every affected site's alert many times, closes for the others, 10 % garbage; shuffled.
    const messages: unknown[] = [];
    const bad = MESSAGES / 10;
    for (let i = 0; i < bad; i++) messages.push(malformed(i));
    const others = sites.filter((site) => !affected.includes(site));
    for (let i = 0; messages.length < MESSAGES; i++) {
      // Four in five: an open of an affected site (each many times over); else a close of another site.
      if (i % 5 < 4) {
        const site = affected[Math.floor((i * 4) / 5) % affected.length]!;
        messages.push(open(site, `storm-${site}`));
      } else {
        const site = others[Math.floor(i / 5) % others.length]!;
        messages.push(closed(site, `storm-${site}`));
      }
    }
    for (let i = messages.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [messages[i], messages[j]] = [messages[j], messages[i]];
    }

    const first = await startBridgeNow();
    const restartAfter = rng.int(150, 500);
    const publishing = (async () => {
      for (let i = 0; i < messages.length; i += 50)
        await Promise.all(messages.slice(i, i + 50).map((m) => publish(pubsub, topic, m)));
    })();
    await waitFor(
      'the first bridge to take some',
      async () => (await count(first.metrics.received)) >= restartAfter,
      60_000,
      20,
    );
    await first.stop();
    const second = await startBridgeNow();
    await publishing;

    // Every message handled: the subscription drains, nothing is in flight.
    await waitFor(
      'every message handled',
      async () =>
        (await count(first.metrics.received)) + (await count(second.metrics.received)) >= MESSAGES &&
        (await second.metrics.inFlight.get()).values[0]?.value === 0 &&
        (await pending(subscription)) === 0,
      120_000,
      250,
    );
    expect(second.healthy()).toBe(true);
    const rejected = (await count(first.metrics.rejected)) + (await count(second.metrics.rejected));
    expect(rejected, 'every malformed message rejected').toBeGreaterThanOrEqual(bad);
    const started = (await count(first.metrics.started)) + (await count(second.metrics.started));
    // The proof is the executions below, not the bridge's `started` counter: that one is decided from
    // a lookup made before the signal-with-start, so two concurrent duplicates could both count.

    for (const site of sites) {
      const { executions } = await client.workflowService.listWorkflowExecutions({
        namespace: 'default',
        query: `WorkflowId = '${incidentWorkflowId(site)}'`,
      });
      if (!affected.includes(site)) {
        expect(executions, `${site}: only closed alerts, no incident`).toHaveLength(0);
        continue;
      }
      expect(executions, `${site}: exactly one incident (seed ${seed})`).toHaveLength(1);
      const status = await waitFor(
        `${site} on standby`,
        async () => {
          const s = await client.workflow.getHandle(incidentWorkflowId(site)).query(statusQuery);
          return s.phase === 'on_standby' ? s : undefined;
        },
        60_000,
      );
      const accepted = status.triggers.filter((t) => t.kind === 'alert_opened' && !t.ignored);
      expect(accepted, `${site}: the alert acted on once (seed ${seed})`).toHaveLength(1);
      expect(world.mutations.filter((m) => m.site === site && m.op === 'traffic')).toHaveLength(1);
    }
    console.log(
      `[chaos] alert-storm seed ${seed}: ${MESSAGES} messages, bridge restarted after ${restartAfter}; ` +
        `${rejected} rejected, ${started} incidents started`,
    );
    await second.stop();
  },
);

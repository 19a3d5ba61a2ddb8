// Notifications (docs/notifications.md) on the real dev server: an incident through failover and
// failback with a webhook that fails twice first, a Slack webhook and a Pub/Sub topic (the real
// emulator); a dead endpoint. Each event arrives once by ID, the saga does not wait for them, and
// a URL (a secret) is in no history.
import type { Client } from '@temporalio/client';
import type { Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildNotifiers } from '../clients/notifiers.ts';
import { buildRegistry } from '../clients/providers.ts';
import { Incidents } from '../clients/incidents.ts';
import { incidentPolicy } from '../config/policies.ts';
import type { Config } from '../config/schema.ts';
import { type NotificationReceiver, eventIdOf, startNotificationReceiver } from '../harness/notification-receiver.ts';
import { freePort } from '../harness/ports.ts';
import { type PubSubEmulator, createTopicAndSubscription, startPubSubEmulator } from '../harness/pubsub-emulator.ts';
import { inMemoryConfig, testWorld, trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';
import { requestFailback } from '../workflows/incident-messages.ts';
import type { NotificationOutcome } from '../workflows/notification-types.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const UI = 'http://127.0.0.1:8233';
const WEBHOOK_SECRET = 'hook-s3cret-0a1b2c';
const SLACK_SECRET = 'T000/B000/sl4ck-s3cret';
const PHASES = ['failing_over', 'on_standby', 'failing_back', 'resolved'];

let client: Client;
let receiver: NotificationReceiver;
let emulator: PubSubEmulator;
beforeAll(async () => {
  [client, receiver, emulator] = await Promise.all([
    testClient(),
    startNotificationReceiver(),
    startPubSubEmulator('failover-notify'),
  ]);
}, 90_000);
afterAll(async () => {
  await Promise.all([receiver?.close(), emulator?.stop()]);
});

function notifyingConfig(sites: string[], extra: Record<string, unknown> = {}): Config {
  return inMemoryConfig(
    sites,
    {},
    {
      notifications: {
        channels: {
          ops: { type: 'webhook', urlEnv: 'OPS_WEBHOOK_URL' },
          chat: { type: 'slack', urlEnv: 'CHAT_SLACK_URL' },
          bus: { type: 'pubsub', projectId: 'failover-notify', topic: 'failover-events' },
        },
        temporalUiUrl: UI,
        ...extra,
      },
    },
  );
}

/** A history as text, the notification workflows' too: no URL may be in it. */
async function historyText(workflowId: string): Promise<string> {
  return JSON.stringify((await client.workflow.getHandle(workflowId).fetchHistory()).events);
}

describe('an incident through failover and failback, the webhook failing twice first', () => {
  const sites = [uniqueSite('notify'), uniqueSite('quiet')] as const;
  const world = testWorld();
  const config = notifyingConfig([...sites]);
  const messages: Message[] = [];
  let worker: RunningWorker;

  beforeAll(async () => {
    const pubsub = emulator.client();
    await createTopicAndSubscription(pubsub, 'failover-events', 'failover-events-test');
    pubsub.subscription('failover-events-test').on('message', (m: Message) => {
      messages.push(m);
      m.ack();
    });
    const env = {
      OPS_WEBHOOK_URL: `${receiver.url}/webhook/${WEBHOOK_SECRET}`,
      CHAT_SLACK_URL: `${receiver.url}/slack/${SLACK_SECRET}`,
    };
    const notifiers = buildNotifiers(config, { env, pubsub: () => emulator.client() });
    worker = await startWorker(buildRegistry(config, { world }), { notifiers });
  });
  afterAll(async () => worker?.shutdown());

  /** Fails over and back; the failover's time (trigger to on_standby, as the status says). */
  async function failoverAndBack(site: string, incidents: Incidents) {
    world.addSite(site, { primaryUp: false });
    const handle = await incidents.trigger(site, { alertId: 'a1', source: 'test' });
    const onStandby = await waitForPhase(handle, 'on_standby');
    world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'alice' }] });
    const end = await handle.result();
    expect(end.phase).toBe('resolved');
    return { handle, failoverMs: onStandby.onStandbyAt! - onStandby.startedAt, end };
  }

  test('each phase change arrives once per channel, with the same ID on every channel', async () => {
    const [site, quiet] = sites;
    // A baseline without notifications, on the same worker: the saga's own time.
    const baseline = await failoverAndBack(
      quiet,
      new Incidents(client, worker.taskQueue, (s) => incidentPolicy(config.sites[s]!)),
    );
    receiver.failNext(2, { path: '/webhook' });
    const { handle, failoverMs, end } = await failoverAndBack(site, Incidents.of(client, config, worker.taskQueue));

    const webhook = () => receiver.delivered('/webhook').filter((r) => r.body.site === site);
    await waitFor(
      'every event on the webhook and Pub/Sub',
      () =>
        webhook().length === PHASES.length &&
        messages.filter((m) => m.attributes.site === site).length >= PHASES.length,
      30_000,
    );
    const requests = receiver.requests().filter((r) => r.path.startsWith('/webhook') && r.body.site === site);
    // Two failed attempts, then each event delivered once (never twice with success).
    expect(requests.filter((r) => r.status !== 200)).toHaveLength(2);
    expect(requests.filter((r) => r.status === 200)).toHaveLength(PHASES.length);
    const events = webhook();
    expect(events.map((e) => e.body.state)).toEqual(expect.arrayContaining(PHASES));
    const { runId } = await handle.describe();
    for (const e of events) {
      expect(e.key).toBe(e.body.id);
      expect(e.body).toMatchObject({
        kind: 'phase',
        site,
        link: `${UI}/namespaces/default/workflows/incident-${site}/${runId}/history`,
        workflow: { namespace: 'default', workflowId: `incident-${site}`, runId },
      });
    }
    const byState = Object.fromEntries(events.map((e) => [e.body.state, e.body]));
    const iso = (ms: number | undefined) => new Date(ms!).toISOString();
    expect(byState.failing_over).toMatchObject({ cause: 'test alert a1', timings: { startedAt: iso(end.startedAt) } });
    expect(byState.on_standby).toMatchObject({ previous: 'failing_over', timings: { failoverMs } });
    expect(byState.resolved).toMatchObject({ previous: 'failing_back', timings: { endedAt: iso(end.endedAt) } });

    // Slack: Block Kit, the same IDs, once each.
    const slack = receiver.delivered('/slack').filter((r) => JSON.stringify(r.body).includes(site));
    expect(slack.map(eventIdOf).sort()).toEqual(events.map((e) => e.body.id).sort());
    expect(slack.every((r) => Array.isArray(r.body.blocks))).toBe(true);
    expect(JSON.stringify(slack[0]!.body)).toContain('Open in Temporal');
    expect(receiver.requests().filter((r) => r.path.startsWith('/slack'))).toHaveLength(slack.length);

    // Pub/Sub: one message per event, the ID as an attribute.
    const mine = messages.filter((m) => m.attributes.site === site);
    expect(mine.map((m) => m.attributes.eventId).sort()).toEqual(events.map((e) => e.body.id).sort());
    expect(JSON.parse(mine[0]!.data.toString('utf8'))).toMatchObject({ site, kind: 'phase' });

    // The saga did not wait: on standby before the failover's notification got through its retries.
    const firstDelivered = events.find((e) => e.body.state === 'failing_over')!.at; // when it arrived
    expect(end.onStandbyAt!).toBeLessThan(firstDelivered);
    expect(failoverMs).toBeLessThan(baseline.failoverMs + 1000);
    console.log(`failover ${failoverMs} ms with notifications, ${baseline.failoverMs} ms without`);

    // No URL in any history: the incident's, or the notifications' (whose failed attempts are in them).
    const texts = await Promise.all([
      historyText(`incident-${site}`),
      ...events.map((e) => historyText(`notify/${String(e.body.id)}`)),
    ]);
    for (const text of texts) {
      expect(text).not.toContain(WEBHOOK_SECRET);
      expect(text).not.toContain(SLACK_SECRET);
    }
    expect(texts.join('')).toContain('webhook \\"ops\\": answered HTTP 503');
  }, 90_000);
});

describe('a dead endpoint', () => {
  const site = uniqueSite('dead');
  const world = testWorld();
  const config = inMemoryConfig(
    [site],
    {},
    { notifications: { channels: { ops: { type: 'webhook', urlEnv: 'DEAD_URL' } }, deliverFor: '3s' } },
  );
  let worker: RunningWorker;
  let deadPort: number;
  beforeAll(async () => {
    deadPort = await freePort();
    const notifiers = buildNotifiers(config, {
      env: { DEAD_URL: `http://127.0.0.1:${deadPort}/hook/${WEBHOOK_SECRET}` },
    });
    worker = await startWorker(buildRegistry(config, { world }), { notifiers });
  });
  afterAll(async () => worker?.shutdown());

  test('does not fail the incident; each notification gives up after deliverFor, saying why without the URL', async () => {
    world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, config, worker.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    world.state(site).primaryUp = true;
    await handle.executeUpdate(requestFailback, { args: [{ by: 'alice' }] });
    expect((await handle.result()).phase).toBe('resolved');

    const { runId } = await handle.describe();
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(
        (seq) =>
          client.workflow.getHandle(`notify/incident-${site}/${runId}/${seq}`).result() as Promise<NotificationOutcome>,
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.delivered).toEqual([]);
      expect(outcome.failed).toEqual([
        { channel: 'ops', error: 'Unavailable: webhook "ops": the request failed (ECONNREFUSED)' },
      ]);
      expect(outcome.failed[0]!.error).not.toContain(String(deadPort));
    }
    expect(await historyText(`notify/incident-${site}/${runId}/1`)).not.toContain(WEBHOOK_SECRET);
  }, 60_000);
});

describe('a worker restart while notifications are being retried', () => {
  const site = uniqueSite('restart');
  const world = testWorld();
  const config = inMemoryConfig(
    [site],
    {},
    { notifications: { channels: { ops: { type: 'webhook', urlEnv: 'RESTART_URL' } } } },
  );
  const notifiers = () => buildNotifiers(config, { env: { RESTART_URL: `${receiver.url}/restart/${WEBHOOK_SECRET}` } });

  test('the deliveries resume on the next worker; each event arrives once, with its ID', async () => {
    const first = await startWorker(buildRegistry(config, { world }), {
      notifiers: notifiers()!,
      shutdownGraceTime: '0s',
    });
    receiver.failNext(1000, { path: '/restart' });
    world.addSite(site, { primaryUp: false });
    const handle = await trigger(client, config, first.taskQueue, site);
    await waitForPhase(handle, 'on_standby');
    await waitFor('both notifications refused once', () =>
      receiver.requests().filter((r) => r.path.startsWith('/restart')).length >= 2 ? true : undefined,
    );
    await first.shutdown();
    receiver.failNext(0);
    const second = await startWorker(buildRegistry(config, { world }), {
      taskQueue: first.taskQueue,
      notifiers: notifiers()!,
    });
    try {
      world.state(site).primaryUp = true;
      await handle.executeUpdate(requestFailback, { args: [{ by: 'alice' }] });
      expect((await handle.result()).phase).toBe('resolved');
      const { runId } = await handle.describe();
      const ids = [1, 2, 3, 4].map((seq) => `incident-${site}/${runId}/${seq}`);
      const outcomes = await Promise.all(
        ids.map((id) => client.workflow.getHandle(`notify/${id}`).result() as Promise<NotificationOutcome>),
      );
      expect(outcomes.every((o) => o.delivered.length === 1 && o.failed.length === 0)).toBe(true);
      const delivered = receiver.requests().filter((r) => r.path.startsWith('/restart') && r.status === 200);
      expect(delivered.map((r) => r.key).sort()).toEqual([...ids].sort());
      expect(delivered.map((r) => r.body.state).sort()).toEqual([
        'failing_back',
        'failing_over',
        'on_standby',
        'resolved',
      ]);
    } finally {
      await second.shutdown();
    }
  }, 60_000);
});

// The Pub/Sub bridge against the real Pub/Sub emulator and a real Temporal dev server.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PubSub, v1 } from '@google-cloud/pubsub';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { stringify } from 'yaml';
import { type Bridge, startBridge } from '../starters/bridge/bridge.ts';
import { Incidents } from '../clients/incidents.ts';
import { buildRegistry } from '../clients/providers.ts';
import { incidentWorkflowId, requestFailback, statusQuery } from '../workflows/incident-messages.ts';
import type { IncidentStatus, Phase, TriggerRecord } from '../workflows/incident-types.ts';
import { bridgeConfig, capturedLogger, closed, count, observations, open, publish } from './support/bridge.ts';
import { type PubSubEmulator, createTopicAndSubscription, startPubSubEmulator } from '../harness/pubsub-emulator.ts';
import { lookupIncident, testWorld, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';
import { notification } from '../harness/notification.ts';
import { waitFor } from '../harness/wait.ts';
import { freePort } from '../harness/ports.ts';

// Every site any test uses, so one worker and one config serve the whole file.
const S = {
  open: uniqueSite('ps-open'),
  dup: uniqueSite('ps-dup'),
  late: uniqueSite('ps-late'),
  closedFirst: uniqueSite('ps-cfirst'),
  closedAfter: uniqueSite('ps-cafter'),
  bad: uniqueSite('ps-bad'),
  restart: Array.from({ length: 16 }, () => uniqueSite('ps-rs')),
  crash: Array.from({ length: 12 }, () => uniqueSite('ps-crash')),
};
const ALL_SITES = Object.values(S).flat();
const world = testWorld();
const secret = 'sk-live-SECRET-never-logged';

let emulator: PubSubEmulator;
let pubsub: PubSub;
let worker: RunningWorker;
let client: Client;
const bridges: Bridge[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  [emulator, worker, client] = await Promise.all([
    startPubSubEmulator('failover-test'),
    startWorker(buildRegistry(bridgeConfig(ALL_SITES, { subscription: 'unused' }), { world })),
    testClient(),
  ]);
  pubsub = emulator.client();
  for (const site of ALL_SITES) world.addSite(site, { primaryUp: false });
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.allSettled(bridges.map((b) => b.stop()));
  await pubsub?.close();
  await worker?.shutdown();
  await emulator?.stop();
});

/** A fresh topic + subscription and a bridge on it. */
async function setup(sites: string[], alerts: Record<string, unknown> = {}, logger = capturedLogger()) {
  const id = randomUUID().slice(0, 8);
  const topic = `alerts-${id}`;
  const subscription = `alerts-sub-${id}`;
  await createTopicAndSubscription(pubsub, topic, subscription);
  const config = bridgeConfig(sites, { subscription, ...alerts });
  const bridge = await startBridge({
    config,
    incidents: Incidents.of(client, config, worker.taskQueue),
    pubsub,
    logger: logger.logger,
  });
  bridges.push(bridge);
  return { topic, subscription, config, bridge, logs: logger };
}

const handle = (site: string) => client.workflow.getHandle(incidentWorkflowId(site));

/** Triggers received, counting the identical repeats the workflow coalesces into one record. */
function received(triggers: TriggerRecord[]): number {
  return triggers.reduce((n, t) => n + 1 + (t.repeats ?? 0), 0);
}

/** Waits for the bridge to have started the site's incident, then for a phase. */
async function phase(site: string, wanted: Phase, timeoutMs = 30_000): Promise<IncidentStatus> {
  await waitFor(
    `an incident for ${site}`,
    async () => (await lookupIncident(client, site)).state !== 'none',
    timeoutMs,
  );
  return waitForPhase(handle(site), wanted, timeoutMs);
}
const status = (site: string): Promise<IncidentStatus> => handle(site).query(statusQuery);

async function settled(bridge: Bridge, n: number): Promise<void> {
  // Every received message has been acked or nacked once none is in flight.
  await waitFor(
    `${n} messages handled`,
    async () =>
      (await count(bridge.metrics.received)) >= n && (await bridge.metrics.inFlight.get()).values[0]?.value === 0,
  );
}

/** Messages still waiting on the subscription (synchronous pull; the emulator answers at once). */
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

describe('open alerts', () => {
  test('an open alert starts the site incident, which fails over', async () => {
    const { topic, bridge } = await setup([S.open]);
    const before = Date.now();
    await publish(pubsub, topic, open(S.open, 'inc-open-1'));
    const s = await phase(S.open, 'on_standby');
    expect(s.triggers).toEqual([expect.objectContaining({ kind: 'alert_opened', id: 'inc-open-1', source: 'pubsub' })]);
    expect(await count(bridge.metrics.started, { site: S.open })).toBe(1);
    expect(await observations(bridge.metrics.publishToSignal, { signal: 'alertOpened' })).toBe(1);
    expect(world.snapshot(S.open)).toEqual({ standbyAccess: 'open', traffic: 'standby', monitor: 'paused' });

    // The publish time travelled with the alert (for latency measurement).
    const alert = JSON.parse(Buffer.from((await lookupAlertPayload(S.open))!).toString()) as {
      publishedAt: string;
      startedAt: string;
    };
    expect(Date.parse(alert.publishedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(alert.publishedAt)).toBeLessThanOrEqual(Date.now());
    expect(alert.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    // Health and metrics over HTTP.
    const base = `http://${bridge.address!.host}:${bridge.address!.port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/failover_bridge_messages_received_total 1\b/);
    expect(metrics).toMatch(new RegExp(`failover_bridge_incidents_started_total\\{site="${S.open}"\\} 1\\b`));
    expect(metrics).toContain('failover_bridge_publish_to_signal_seconds_bucket');
    await bridge.stop();
    expect((await fetch(`${base}/healthz`).catch(() => undefined))?.status).not.toBe(200);
  });

  test('duplicates of one alert (same incident id, redelivered or re-sent) make one incident', async () => {
    const { topic, subscription, bridge } = await setup([S.dup]);
    await Promise.all([1, 2, 3].map(() => publish(pubsub, topic, open(S.dup, 'inc-dup'))));
    await settled(bridge, 3);
    const first = await phase(S.dup, 'on_standby');
    const { runId } = await handle(S.dup).describe();
    await publish(pubsub, topic, open(S.dup, 'inc-dup'));
    await settled(bridge, 4);
    expect((await handle(S.dup).describe()).runId).toBe(runId);
    // Accepted signals reach the workflow's state with its next workflow task.
    const s = await waitFor('4 alerts on the incident', async () => {
      const x = await status(S.dup);
      return received(x.triggers) >= 4 ? x : undefined;
    });
    const opened = s.triggers.filter((t) => t.kind === 'alert_opened');
    expect(received(opened)).toBe(4);
    expect(received(opened.filter((t) => !t.ignored))).toBe(1);
    expect(received(opened.filter((t) => t.ignored === 'duplicate'))).toBe(3);
    expect(s.steps.filter((x) => x.name === 'enable_standby_access')).toHaveLength(1);
    expect(first.steps.length).toBe(s.steps.length);
    expect(await count(bridge.metrics.started)).toBe(1);
    expect(await count(bridge.metrics.signalled, { signal: 'alertOpened' })).toBe(3);
    expect(await count(bridge.metrics.nacked)).toBe(0);
    await bridge.stop();
    expect(await pending(subscription)).toBe(0);
  });

  test('a late duplicate of an alert whose incident already ended starts nothing; a new alert does', async () => {
    const { topic, bridge } = await setup([S.late]);
    await publish(pubsub, topic, open(S.late, 'inc-late'));
    await phase(S.late, 'on_standby');
    world.state(S.late).primaryUp = true;
    await handle(S.late).executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    const ended = await handle(S.late).result();
    expect(ended.phase).toBe('resolved');
    const { runId } = await handle(S.late).describe();

    await publish(pubsub, topic, open(S.late, 'inc-late'));
    await waitFor(
      'the late duplicate to be ignored',
      async () => (await count(bridge.metrics.ignored, { reason: 'duplicate_of_ended_incident' })) === 1,
    );
    const after = await handle(S.late).describe();
    expect(after.runId).toBe(runId);
    expect(after.status.name).toBe('COMPLETED');

    world.state(S.late).primaryUp = false;
    await publish(pubsub, topic, open(S.late, 'inc-late-2'));
    await waitFor('a new incident', async () => (await handle(S.late).describe()).runId !== runId && true);
    const s = await phase(S.late, 'on_standby');
    expect(s.triggers.map((t) => t.id)).toEqual(['inc-late-2']);
    expect(await count(bridge.metrics.started)).toBe(2);
  });
});

describe('closed alerts', () => {
  test('closed before open: nothing starts, not even when the open arrives late', async () => {
    const { topic, bridge } = await setup([S.closedFirst]);
    await publish(pubsub, topic, closed(S.closedFirst, 'inc-cf'));
    await settled(bridge, 1);
    expect(await count(bridge.metrics.ignored, { reason: 'closed_without_incident' })).toBe(1);
    await publish(pubsub, topic, open(S.closedFirst, 'inc-cf'));
    await settled(bridge, 2);
    expect(await count(bridge.metrics.ignored, { reason: 'closed_before_open' })).toBe(1);
    expect((await lookupIncident(client, S.closedFirst)).state).toBe('none');
    expect(await count(bridge.metrics.started)).toBe(0);
  });

  test('closed after failover is recorded on the incident, which stays on standby', async () => {
    const { topic, bridge } = await setup([S.closedAfter]);
    await publish(pubsub, topic, open(S.closedAfter, 'inc-ca'));
    await phase(S.closedAfter, 'on_standby');
    await publish(pubsub, topic, closed(S.closedAfter, 'inc-ca'));
    await publish(pubsub, topic, closed(S.closedAfter, 'inc-ca'));
    await settled(bridge, 3);
    const s = await waitFor('both closes on the incident', async () => {
      const x = await status(S.closedAfter);
      return x.triggers.filter((t) => t.kind === 'alert_closed').length >= 2 ? x : undefined;
    });
    expect(s.phase).toBe('on_standby');
    const closes = s.triggers.filter((t) => t.kind === 'alert_closed');
    expect(closes).toEqual([
      expect.objectContaining({ id: 'inc-ca', source: 'pubsub' }),
      expect.objectContaining({ id: 'inc-ca', ignored: 'duplicate' }),
    ]);
    expect(closes[0]!.ignored).toBeUndefined();
    expect(await count(bridge.metrics.signalled, { signal: 'alertClosed' })).toBe(2);
    expect(await observations(bridge.metrics.publishToSignal, { signal: 'alertClosed' })).toBe(2);
  });
});

test('malformed, truncated, huge, non-UTF-8, unknown schema and unknown site: acknowledged, logged, counted, dead-lettered', async () => {
  const dlqTopic = `dlq-${randomUUID().slice(0, 8)}`;
  const dlqSub = `${dlqTopic}-sub`;
  await createTopicAndSubscription(pubsub, dlqTopic, dlqSub);
  const { topic, subscription, bridge, logs } = await setup([S.bad], {
    deadLetterTopic: dlqTopic,
    maxMessageBytes: 64 * 1024,
  });
  const good = JSON.stringify(open(S.bad, 'inc-bad-good'));
  const bad: [string, string | Uint8Array][] = [
    ['malformed_json', `password=${secret}`],
    ['malformed_json', good.slice(0, good.length / 2)],
    ['too_large', JSON.stringify({ ...open(S.bad, 'inc-huge'), padding: `${secret}${'x'.repeat(1024 * 1024)}` })],
    ['not_utf8', new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d])],
    ['unknown_schema', JSON.stringify({ version: '9.9', incident: { secret } })],
    ['invalid_incident', JSON.stringify({ version: '1.2', incident: { state: 'open', summary: secret } })],
    [
      'unknown_site',
      JSON.stringify(notification({ incidentId: 'inc-x', state: 'open', site: 'not-configured', summary: secret })),
    ],
    [
      'test_notification',
      JSON.stringify(notification({ incidentId: '12345', state: 'open', site: S.bad, version: 'test' })),
    ],
    ['empty', ''],
  ];
  const ids = await Promise.all(bad.map(([, data]) => publish(pubsub, topic, data, { origin: 'test' })));
  await publish(pubsub, topic, good);
  await settled(bridge, bad.length + 1);
  await phase(S.bad, 'on_standby');
  expect(bridge.healthy()).toBe(true);

  // Counted by reason; acked (never nacked, never redelivered).
  const expected: Record<string, number> = {};
  for (const [reason] of bad) expected[reason] = (expected[reason] ?? 0) + 1;
  for (const [reason, n] of Object.entries(expected)) expect(await count(bridge.metrics.rejected, { reason })).toBe(n);
  expect(await count(bridge.metrics.received)).toBe(bad.length + 1);
  expect(await count(bridge.metrics.nacked)).toBe(0);
  expect(await count(bridge.metrics.started)).toBe(1);

  // Logged with message id and reason; the payload never reaches the logs.
  const rejections = logs.lines.filter((l) => l.msg === 'message rejected');
  expect(rejections.map((l) => l.messageId).sort()).toEqual([...ids].sort());
  for (const l of rejections) expect(typeof l.reason).toBe('string');
  expect(logs.raw.join('')).not.toContain('SECRET');

  // Forwarded to the dead-letter topic with the reason.
  const dead: { reason?: string; source?: string; bytes: number }[] = [];
  const dlq = pubsub.subscription(dlqSub);
  dlq.on('message', (m) => {
    dead.push({
      reason: m.attributes.failover_reject_reason,
      source: m.attributes.failover_source_message_id,
      bytes: m.data.length,
    });
    m.ack();
  });
  await waitFor('dead letters', () => dead.length >= bad.length || undefined);
  await dlq.close();
  expect(dead.map((d) => d.reason).sort()).toEqual(bad.map(([r]) => r).sort());
  expect(dead.map((d) => d.source).sort()).toEqual([...ids].sort());
  expect(await count(bridge.metrics.deadLettered, { result: 'ok' })).toBe(bad.length);

  await bridge.stop();
  expect(await pending(subscription)).toBe(0);
});

test('bridge restarted mid-stream (graceful stop, then a new bridge): nothing is lost, nothing doubles', async () => {
  const first = await setup(S.restart, { maxOutstanding: 2 });
  await Promise.all(S.restart.map((site, i) => publish(pubsub, first.topic, open(site, `inc-rs-${i}`))));
  await waitFor('a few handled', async () => (await count(first.bridge.metrics.started)) >= 3, 30_000, 10);
  await first.bridge.stop();
  const handledByFirst = await count(first.bridge.metrics.started);
  expect(handledByFirst).toBeLessThan(S.restart.length);

  const second = await startBridge({
    config: first.config,
    incidents: Incidents.of(client, first.config, worker.taskQueue),
    pubsub,
    logger: capturedLogger().logger,
  });
  bridges.push(second);
  for (const [i, site] of S.restart.entries()) {
    await waitFor(`incident of ${site}`, async () => (await lookupIncident(client, site)).state !== 'none');
    const s = await waitForPhase(handle(site), 'on_standby');
    expect(s.triggers.filter((t) => !t.ignored).map((t) => t.id)).toEqual([`inc-rs-${i}`]);
  }
  expect(handledByFirst + (await count(second.metrics.started))).toBe(S.restart.length);
  await second.stop();
  expect(await pending(first.subscription)).toBe(0);
});

test('bridge process killed mid-stream (SIGKILL): unacknowledged messages are redelivered to the next bridge', async () => {
  const id = randomUUID().slice(0, 8);
  const topic = `alerts-crash-${id}`;
  const subscription = `alerts-crash-sub-${id}`;
  await createTopicAndSubscription(pubsub, topic, subscription, 10);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bridge-crash-'));
  const configPath = join(dir, 'config.yaml');
  const config = bridgeConfig(
    S.crash,
    { subscription, maxOutstanding: 2, http: { host: '127.0.0.1', port } },
    { address: inject('temporalAddress'), taskQueue: worker.taskQueue },
  );
  writeFileSync(configPath, stringify(config));

  const child = spawn(process.execPath, ['starters/bridge/main.ts', configPath], {
    env: { ...process.env, PUBSUB_EMULATOR_HOST: emulator.host, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => void (stderr += b.toString()));
  await waitFor(
    'the bridge process to be healthy',
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined,
    30_000,
    200,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${stderr}`);
  });

  await Promise.all(S.crash.map((site, i) => publish(pubsub, topic, open(site, `inc-crash-${i}`))));
  const started = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return [...text.matchAll(/^failover_bridge_incidents_started_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  };
  await waitFor(
    'the first incidents started by the process',
    async () => (await started()) > 0 || undefined,
    30_000,
    20,
  );
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  const crashConfig = bridgeConfig(S.crash, { subscription });
  const next = await startBridge({
    config: crashConfig,
    incidents: Incidents.of(client, crashConfig, worker.taskQueue),
    pubsub,
    logger: capturedLogger().logger,
  });
  bridges.push(next);
  for (const [i, site] of S.crash.entries()) {
    await waitFor(`incident of ${site}`, async () => (await lookupIncident(client, site)).state !== 'none', 60_000);
    const s = await waitForPhase(handle(site), 'on_standby', 30_000);
    expect(s.triggers.filter((t) => !t.ignored).map((t) => t.id)).toEqual([`inc-crash-${i}`]);
    expect(s.steps.filter((x) => x.name === 'enable_standby_access')).toHaveLength(1);
  }
  // The kill was mid-stream: the next bridge got what the killed one held or had not received.
  expect(await count(next.metrics.received)).toBeGreaterThan(0);
  await next.stop();
  expect(await pending(subscription)).toBe(0);
});

/** The first alertOpened signal's payload data of a site's incident. */
async function lookupAlertPayload(site: string): Promise<Uint8Array | undefined> {
  const history = await handle(site).fetchHistory();
  for (const e of history.events ?? []) {
    const a = e.workflowExecutionSignaledEventAttributes;
    if (a?.signalName === 'alertOpened') return a.input?.payloads?.[0]?.data ?? undefined;
  }
  return undefined;
}

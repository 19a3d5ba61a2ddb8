// A site that turns not ready, and ready again, is notified once each (docs/readiness.md,
// docs/notifications.md): the webhook fails twice first; a run that finds no change sends nothing.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildNotifiers } from '../clients/notifiers.ts';
import { buildRegistry } from '../clients/providers.ts';
import { readinessHistory, readinessTarget } from '../clients/readiness.ts';
import { readinessInput } from '../config/policies.ts';
import { type Config, configSchema } from '../config/schema.ts';
import { type NotificationReceiver, startNotificationReceiver } from '../harness/notification-receiver.ts';
import { uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';
import { type SandboxWorld, startSandboxWorld } from '../sandbox/world.ts';
import type { readiness } from '../workflows/readiness.ts';
import { readinessWorkflowId } from '../workflows/readiness-types.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const site = uniqueSite('rdn');
const SECRET = 'readiness-hook-9f2c';
let world: SandboxWorld;
let config: Config;
let client: Client;
let worker: RunningWorker;
let receiver: NotificationReceiver;

beforeAll(async () => {
  [world, receiver, client] = await Promise.all([
    startSandboxWorld({ sites: [{ name: site, traffic: 'page-rule' }] }),
    startNotificationReceiver(),
    testClient(),
  ]);
  process.env.GCE_METADATA_HOST = world.env.GCE_METADATA_HOST;
  config = configSchema.parse({
    ...(world.rawConfig as object),
    notifications: { channels: { ops: { type: 'webhook', urlEnv: 'OPS_WEBHOOK_URL' } } },
  });
  const registry = buildRegistry(config, { env: world.env });
  const notifiers = buildNotifiers(config, { env: { OPS_WEBHOOK_URL: `${receiver.url}/webhook/${SECRET}` } });
  worker = await startWorker(registry, {
    ...(notifiers && { notifiers }),
    readiness: { registry, target: (s) => readinessTarget(config, s), history: readinessHistory(client) },
  });
});

afterAll(async () => {
  await worker?.shutdown();
  await Promise.all([world?.stop(), receiver?.close()]);
});

/** One readiness run of the site, as the schedule starts it (the same input). */
async function run(): Promise<boolean> {
  const result = await client.workflow.execute<typeof readiness>('readiness', {
    workflowId: `${readinessWorkflowId(site)}-${randomUUID().slice(0, 8)}`,
    taskQueue: worker.taskQueue,
    args: [readinessInput(config, site)],
  });
  return result.ready;
}

const delivered = () => receiver.delivered('/webhook').filter((r) => r.body.site === site);

test('not ready, then ready again: one notification each, the endpoint failing twice first; none without a change', async () => {
  expect(await run()).toBe(true); // the first run: ready, nothing to say
  await world.control.changeIam({ revokePermissions: ['run.services.setIamPolicy'] });
  receiver.failNext(2, { path: '/webhook' });
  try {
    expect(await run()).toBe(false);
    await waitFor('the not-ready notification', () => delivered().length === 1, 30_000);
    expect(await run()).toBe(false); // no change: nothing more
  } finally {
    await world.control.changeIam({ reset: true });
  }
  expect(await run()).toBe(true);
  await waitFor('the ready-again notification', () => delivered().length === 2, 30_000);

  const [down, up] = delivered();
  expect(down!.body).toMatchObject({ kind: 'readiness', state: 'not_ready', previous: 'ready' });
  expect(String(down!.body.cause)).toContain('run.services.setIamPolicy');
  expect(up!.body).toMatchObject({ kind: 'readiness', state: 'ready', previous: 'not_ready' });
  const requests = receiver.requests().filter((r) => r.path.startsWith('/webhook') && r.body.site === site);
  expect(requests.filter((r) => r.status !== 200)).toHaveLength(2);
  expect(requests.filter((r) => r.status === 200)).toHaveLength(2);
  // The run that found no change sent nothing, even later.
  await new Promise((r) => setTimeout(r, 1000));
  expect(delivered()).toHaveLength(2);
});

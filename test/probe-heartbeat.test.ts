// Probes keep their activity alive however long they wait: a probe interval above the heartbeat
// timeout, and a standby whose IAM change takes a while to reach it (real Cloud Run: 2–7 min),
// must not kill `await_standby_ready` and roll the failover back (issue 8, item 3).
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildRegistry } from '../clients/providers.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const site = uniqueSite('slow-iam');
const PROPAGATION_MS = 15_000;

let world: SandboxWorld;
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 3,
    sites: [{ name: site, traffic: 'page-rule' }],
    propagationDelayMs: PROPAGATION_MS,
    // 6 s between checks: above the probes' 5 s heartbeat timeout.
    probe: { interval: '6s', timeout: '2s', successesNeeded: 1, standbyReadyTimeout: '2m', verifyTimeout: '1m' },
  });
  worker = await startWorker(buildRegistry(world.config, { env: world.env }));
  client = await testClient();
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.stop();
});

describe('probe heartbeats', () => {
  test('a standby that serves only after a long propagation delay is awaited with a 6 s probe interval', async () => {
    await world.control.killPrimary(site);
    const started = Date.now();
    const h = await trigger(client, world.config, worker.taskQueue, site);
    const status = await waitForPhase(h, ['on_standby', 'rolled_back'], 90_000);
    expect(status.cause).toBeUndefined();
    expect(status.phase).toBe('on_standby');
    const ready = status.steps.find((s) => s.name === 'await_standby_ready')!;
    expect(ready).toMatchObject({ outcome: 'ok', attempts: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(PROPAGATION_MS);
    // The standby stayed closed for the first checks, and only the probe's patience got it through.
    expect(ready.summary).toMatch(/served as standby after [2-9] checks/);
  }, 120_000);
});

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Client } from '@temporalio/client';
import { buildRegistry } from '../worker/providers.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';
import { inMemoryConfig, testWorld, trigger, uniqueSite, waitForPhase } from './support/sites.ts';

const site = uniqueSite();
const world = testWorld();
const config = inMemoryConfig([site]);
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  worker = await startWorker(buildRegistry(config, { world }));
  client = await testClient();
});
afterAll(async () => {
  await worker?.shutdown();
});

test('smoke', async () => {
  world.addSite(site, { primaryUp: false });
  const t0 = Date.now();
  const h = await trigger(client, config, worker.taskQueue, site);
  const s = await waitForPhase(h, 'on_standby');
  console.log(Date.now() - t0, JSON.stringify(s, null, 1));
  expect(world.snapshot(site)).toEqual({ standbyAccess: 'open', traffic: 'standby', monitor: 'paused' });
});

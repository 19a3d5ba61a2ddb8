// The warmed standby across a worker crash (issue 18): the worker process SIGKILLed while Cloud
// Run's UpdateService of the warm-up is in flight (applied, its answer held by the simulator) and
// again during the cool-down; new workers take over. The minimum is applied once each way and the
// world ends exactly as it began.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { DOCUMENTED_GRANTS } from '../sandbox/cloud-api/iam.ts';
import { diff, startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { requestFailback } from '../workflows/incident-messages.ts';
import { effectiveMutations } from './support/sandbox.ts';
import { testClient } from './support/temporal.ts';
import { killAllWorkerProcesses, startWorkerProcess, type WorkerProcess } from './support/worker-process.ts';

const name = uniqueSite('warmkill');
let world: SandboxWorld;
let client: Client;
let dir: string;
let configPath: string;
const taskQueue = `warmkill-${randomUUID()}`;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 18,
    sites: [{ name, traffic: 'redirect-rule' }],
    propagationDelayMs: 300,
    probe: {
      interval: '100ms',
      successesNeeded: 1,
      standbyReadyTimeout: '2m',
      verifyTimeout: '2m',
      primaryCheckTimeout: '2m',
    },
  });
  const sites = world.rawConfig.sites as Record<string, { standby: Record<string, unknown> }>;
  sites[name]!.standby.warmup = { minInstances: 2 };
  // The warm-up needs run.services.update and run.operations.get beyond the documented grants.
  await world.control.changeIam({ grants: [...DOCUMENTED_GRANTS, { role: 'roles/run.developer' }] });
  dir = mkdtempSync(join(tmpdir(), 'failover-warmkill-'));
  configPath = join(dir, 'sites.yaml');
  world.writeConfig(configPath);
  client = await testClient();
});
afterAll(async () => {
  await killAllWorkerProcesses();
  await world?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const newWorker = (): WorkerProcess =>
  startWorkerProcess(configPath, {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...world.env,
  });

test(
  'SIGKILL during the warm-up and the cool-down: applied once each way, restored exactly',
  { timeout: 300_000 },
  async () => {
    const c = world.control;
    const service = world.sites[name]!.serviceName;
    const start = world.snapshot();
    const seq = await c.seq();
    const minimum = () => world.api.state.service(service)!.minInstanceCount;

    await c.addFault({ api: 'run', op: 'updateService', resource: service, hold: 'after', times: 1 });
    await c.killPrimary(name);
    let worker = newWorker();
    const handle = await trigger(client, loadConfig(configPath), taskQueue, name); // the config with the warm-up
    await c.waitForHeld({ op: 'updateService', resource: service, stage: 'after' }, 90_000);
    expect(minimum()).toBe(2); // applied; its answer is held
    await worker.kill();
    await c.release();
    worker = newWorker();
    const onStandby = await waitForPhase(handle, 'on_standby', 120_000);
    expect(onStandby.warnings, worker.output()).toEqual([]);
    expect(minimum()).toBe(2);

    await c.addFault({ api: 'run', op: 'updateService', resource: service, hold: 'after', times: 1 });
    await c.revivePrimary(name);
    await handle.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await c.waitForHeld({ op: 'updateService', resource: service, stage: 'after' }, 90_000);
    await worker.kill();
    await c.release();
    worker = newWorker();
    const end = await waitForPhase(handle, 'resolved', 120_000);
    expect(end.warnings, worker.output()).toEqual([]);
    await worker.kill();

    expect(minimum()).toBe(0);
    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await c.audit(seq));
    // On, then off: the retries after each crash found the work done.
    const warm = applied[service]!.filter((change) => change.includes('minInstanceCount'));
    expect(warm).toEqual(['minInstanceCount: undefined → 2', 'minInstanceCount: 2 → undefined']);
    expect(applied[service]).toHaveLength(4); // and the standby opened and closed once
  },
);

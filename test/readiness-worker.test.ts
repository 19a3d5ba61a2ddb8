// The worker process as deployed (node worker/main.ts): at start it creates the sites' readiness
// schedules from the config, runs the readiness workflow they start, and exports its verdict as
// Prometheus metrics on FAILOVER_WORKER_METRICS (the workflow's gauges, through the Temporal
// runtime's exporter).
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { freePort } from '../harness/ports.ts';
import { uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';
import { type SandboxWorld, startSandboxWorld } from '../sandbox/world.ts';
import { readinessScheduleId } from '../worker/readiness-schedules.ts';
import { killAllWorkerProcesses, startWorkerProcess } from './support/worker-process.ts';
import { testClient } from './support/temporal.ts';

const site = uniqueSite('rwk');
let world: SandboxWorld;
let client: Client;

beforeAll(async () => {
  world = await startSandboxWorld({ sites: [site] });
  client = await testClient();
});
afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.schedule
    .getHandle(readinessScheduleId(site))
    .delete()
    .catch(() => {});
  await world?.stop();
});

describe('the worker process', () => {
  test('creates the schedule at start; a scheduled run sets the readiness metrics', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'readiness-worker-')), 'config.yaml');
    world.writeConfig(path, {
      temporal: { address: inject('temporalAddress'), taskQueue: `tq-${randomUUID()}` },
      readiness: { intervalMinutes: 3 },
    });
    const metrics = `127.0.0.1:${await freePort()}`;
    const worker = startWorkerProcess(path, { ...world.env, FAILOVER_WORKER_METRICS: metrics });
    await worker.started;
    const schedule = client.schedule.getHandle(readinessScheduleId(site));
    expect((await schedule.describe()).spec.intervals?.[0]?.every).toBe(3 * 60_000);
    await schedule.trigger();
    const line = (name: string) => new RegExp(`^${name}\\{[^}]*site="${site}"[^}]*\\} (\\d+)$`, 'm');
    const text = await waitFor(
      'the readiness gauge',
      async () => {
        const body = await (await fetch(`http://${metrics}/metrics`)).text();
        return line('failover_readiness_ready').test(body) && body;
      },
      30_000,
      250,
    );
    expect(line('failover_readiness_ready').exec(text)?.[1], worker.output()).toBe('1');
    expect(text).toMatch(
      new RegExp(`failover_readiness_check\\{[^}]*check="permissions"[^}]*site="${site}"[^}]*\\} 0`),
    );
    await worker.kill();
  }, 90_000);
});

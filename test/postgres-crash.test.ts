// A self-hosted Temporal on PostgreSQL (scripts/temporal-postgres.ts: the real server binary on a
// real database, as in production) is SIGKILLed in the middle of a failover and of a failback, and
// restarted on the same database. The worker process lives on. Every incident completes, the
// world ends as it began, the simulator's audit shows each change applied once, and the worker's
// output and the histories never contain the Cloudflare token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTemporalPostgres, type TemporalPostgres } from '../scripts/temporal-postgres.ts';
import { diff, startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { requestFailback } from '../workflows/incident-messages.ts';
import { effectiveMutations } from './support/sandbox.ts';
import { findSecrets } from './support/secrets.ts';
import { trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { killAllWorkerProcesses, startWorkerProcess, type WorkerProcess } from './support/worker-process.ts';

const A = uniqueSite('pg-a'); // redirect rule
const B = uniqueSite('pg-b'); // DNS record
let temporal: TemporalPostgres;
let world: SandboxWorld;
let client: Client;
let dir: string;
let worker: WorkerProcess;
const taskQueue = `pg-crash-${randomUUID()}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'failover-pg-'));
  // First run: builds the server with Go (~80 s) and may apt-get install postgresql-15.
  temporal = await startTemporalPostgres({ dir: join(dir, 'temporal') });
  world = await startSandboxWorld({
    seed: 7,
    sites: [
      { name: A, traffic: 'redirect-rule' },
      { name: B, traffic: 'dns' },
    ],
    probe: {
      interval: '100ms',
      successesNeeded: 1,
      standbyReadyTimeout: '2m',
      verifyTimeout: '2m',
      primaryCheckTimeout: '2m',
    },
  });
  const configPath = join(dir, 'sites.yaml');
  world.writeConfig(configPath);
  client = new Client({
    connection: await Connection.connect({ address: temporal.address }),
    namespace: temporal.namespace,
  });
  worker = startWorkerProcess(configPath, {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...world.env,
  });
  await worker.started;
}, 900_000);

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await world?.stop();
  await temporal?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** SIGKILL the server while requests are held in the simulator, let them go on, restart it. */
async function crashServerWhileHeld(): Promise<void> {
  const pid = temporal.serverPid();
  expect(pid).toBeDefined();
  await temporal.killServer();
  expect(temporal.serverPid()).toBeUndefined();
  await world.control.release(); // their answers reach a worker whose server is gone
  await new Promise((r) => setTimeout(r, 2000));
  await temporal.startServer();
  expect(temporal.serverPid()).not.toBe(pid);
}

test(
  'Temporal on PostgreSQL SIGKILLed mid-failover and mid-failback: the incidents complete, nothing applied twice',
  { timeout: 600_000 },
  async () => {
    const start = world.snapshot();
    const seq = await world.control.seq();
    const c = world.control;
    const a = world.sites[A]!;
    const b = world.sites[B]!;

    // --- failover: A's IAM change is written but its answer held; B's DNS change held before it lands ---
    await c.addFault({ api: 'run', op: 'setIamPolicy', resource: a.serviceName, hold: 'after', times: 1 });
    await c.addFault({ api: 'cloudflare', op: 'dns_records.edit', resource: b.zoneId, hold: 'before', times: 1 });
    await c.killPrimary(A);
    await c.killPrimary(B);
    const ha = await trigger(client, world.config, taskQueue, A);
    const hb = await trigger(client, world.config, taskQueue, B);
    await Promise.all([
      c.waitForHeld({ op: 'setIamPolicy', resource: a.serviceName, stage: 'after' }, 90_000),
      c.waitForHeld({ op: 'dns_records.edit', resource: b.zoneId, stage: 'before' }, 90_000),
    ]);
    await crashServerWhileHeld();
    for (const h of [ha, hb]) {
      const s = await waitForPhase(h, 'on_standby', 180_000).catch((err: unknown) => {
        throw new Error(
          `${String(err)}\nserver log:\n${temporal.serverLog()}\nworker:\n${worker.output().slice(-4000)}`,
        );
      });
      expect(s.warnings).toEqual([]);
    }

    // --- failback: A's traffic change held after it applied, B's standby closing held ---
    await c.addFault({ api: 'cloudflare', op: 'rules.edit', resource: a.zoneId, hold: 'after', times: 1 });
    await c.addFault({ api: 'run', op: 'setIamPolicy', resource: b.serviceName, hold: 'after', times: 1 });
    await c.revivePrimary(A);
    await c.revivePrimary(B);
    await Promise.all([ha, hb].map((h) => h.executeUpdate(requestFailback, { args: [{ by: 'test' }] })));
    await Promise.all([
      c.waitForHeld({ op: 'rules.edit', resource: a.zoneId, stage: 'after' }, 90_000),
      c.waitForHeld({ op: 'setIamPolicy', resource: b.serviceName, stage: 'after' }, 90_000),
    ]);
    await crashServerWhileHeld();
    for (const h of [ha, hb]) expect((await waitForPhase(h, 'resolved', 180_000)).warnings).toEqual([]);

    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await c.audit(seq));
    for (const [s, traffic] of [
      [a, a.ruleId!],
      [b, b.recordId!],
    ] as const) {
      const resources = [s.serviceName, Object.keys(applied).find((r) => r.endsWith(traffic))!, s.alertPolicy!];
      for (const r of resources) expect(applied[r], `${s.name} ${r}`).toHaveLength(2); // on, then off: once each
    }

    // Secrets: the token was used (traffic switched) yet is in no output and no history.
    const token = world.env.CLOUDFLARE_API_TOKEN;
    expect(worker.output()).toContain('worker started');
    expect(findSecrets(worker.output(), [token])).toEqual([]);
    for (const h of [ha, hb]) {
      const history = JSON.stringify(await h.fetchHistory(), (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
      );
      expect(findSecrets(history, [token])).toEqual([]);
    }
  },
);

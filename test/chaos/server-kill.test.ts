// Issue 11 §3: the Temporal dev server SIGKILLed in the middle of failovers (and again of
// failbacks), restarted on its database file after a pause drawn from the printed seed. The worker
// (a child process) rides it out (and is restarted if it gives up). Every incident completes,
// the world ends as it began, and the simulator's audit shows each change applied once each way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { Incidents } from '../../clients/incidents.ts';
import { incidentWorkflowId, requestFailback, statusQuery } from '../../workflows/incident-messages.ts';
import { diff, startSandboxWorld, type SandboxWorld, type TrafficMode } from '../../sandbox/world.ts';
import { effectiveMutations } from '../support/sandbox.ts';
import { uniqueSite } from '../../harness/sites.ts';
import {
  awaitPhase,
  chaosSeed,
  type ChildWorker,
  DevServer,
  killAllChildren,
  retrying,
  startChildWorker,
  writeBundle,
} from './support.ts';

const { seed, rng } = chaosSeed('server-kill');
const MODES: TrafficMode[] = ['redirect-rule', 'page-rule', 'dns', 'redirect-rule', 'page-rule', 'dns'];
const names = MODES.map((_, i) => uniqueSite(`sk${i}`));
const taskQueue = `chaos-sk-${randomUUID()}`;

let world: SandboxWorld;
let server: DevServer;
let client: Client;
let dir: string;
let configPath: string;
let bundlePath: string;
let worker: ChildWorker;
let stopping = false;
let workerStarts = 0;
const log: string[] = [];
const note = (line: string) => {
  log.push(line);
  console.log(`[chaos] server-kill: ${line}`);
};

/** Keeps one worker running: one that exits (e.g. gave up on a dead server) is replaced. */
function superviseWorker(): void {
  worker = startChildWorker(configPath, bundlePath, {
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...world.env,
  });
  workerStarts++;
  worker.child.once('exit', (code, signal) => {
    if (stopping) return;
    note(`worker exited (${signal ?? code}); starting another`);
    setTimeout(superviseWorker, 500);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'failover-chaos-sk-'));
  world = await startSandboxWorld({
    seed,
    sites: names.map((name, i) => ({ name, traffic: MODES[i]! })),
    // The standby serves only some time after access is granted: failovers are mid-flight for a while.
    propagationDelayMs: 1500,
    probe: {
      interval: '100ms',
      successesNeeded: 1,
      standbyReadyTimeout: '3m',
      verifyTimeout: '3m',
      primaryCheckTimeout: '3m',
    },
  });
  configPath = join(dir, 'sites.yaml');
  world.writeConfig(configPath);
  bundlePath = writeBundle(dir, inject('workflowBundle'));
  server = await DevServer.start(join(dir, 'temporal.db'));
  client = await server.client();
  superviseWorker();
  await worker.started;
});
afterAll(async () => {
  stopping = true;
  killAllChildren();
  await client?.connection.close().catch(() => {});
  await world?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function killServer(what: string): Promise<void> {
  const after = rng.int(200, 2500);
  const down = rng.int(500, 3000);
  await new Promise((r) => setTimeout(r, after));
  const phases = await Promise.all(
    names.map((name) =>
      client.workflow
        .getHandle(incidentWorkflowId(name))
        .query(statusQuery)
        .then((s) => s.phase as string)
        .catch(() => '?'),
    ),
  );
  await server.kill();
  note(`server SIGKILLed ${after} ms into the ${what} (phases then: ${phases.join(', ')}), down for ${down} ms`);
  await new Promise((r) => setTimeout(r, down));
  await server.restart();
  note('server restarted on its database file');
}

test(
  `Temporal server SIGKILLed mid-failover and mid-failback (seed ${seed}): every incident completes, nothing applied twice`,
  { timeout: 5 * 60_000 },
  async () => {
    const start = world.snapshot();
    const seq = await world.control.seq();
    const incidents = Incidents.of(client, world.config, taskQueue);
    try {
      for (const name of names) await world.control.killPrimary(name);
      for (const name of names)
        await incidents.trigger(name, { alertId: 'a1', source: 'test', startedAt: new Date().toISOString() });
      await killServer('failovers');
      for (const name of names) await awaitPhase(client, incidentWorkflowId(name), ['on_standby'], 120_000);

      for (const name of names) await world.control.revivePrimary(name);
      for (const name of names)
        await retrying(`failback of ${name}`, () =>
          client.workflow
            .getHandle(incidentWorkflowId(name))
            .executeUpdate(requestFailback, { args: [{ by: 'chaos' }] }),
        );
      await killServer('failbacks');
      for (const name of names) {
        const s = await awaitPhase(client, incidentWorkflowId(name), ['resolved', 'rolled_back'], 120_000);
        expect(s.phase, `${name} (seed ${seed}): ${s.cause}`).toBe('resolved');
        expect(s.warnings, `${name} (seed ${seed})`).toEqual([]);
      }
    } finally {
      console.log(`[chaos] server-kill seed ${seed}: ${workerStarts} worker starts; ${log.join('; ')}`);
    }

    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await world.control.audit(seq));
    for (const name of names) {
      const s = world.sites[name]!;
      const traffic = s.pageRuleId ?? s.ruleId ?? s.recordId!;
      const resources = [s.serviceName, Object.keys(applied).find((r) => r.endsWith(traffic))!, s.alertPolicy!];
      for (const r of resources) expect(applied[r], `${name} ${r} (seed ${seed})`).toHaveLength(2);
    }
  },
);

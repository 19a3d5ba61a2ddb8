// The worker process is killed with SIGKILL in the middle of every step, failover and failback;
// a new worker takes over. Every incident completes, the world ends exactly as it began, and the
// simulator's audit shows each change applied once: no mutation twice with effect.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { IncidentHandle } from '../clients/incidents.ts';
import { requestFailback, statusQuery } from '../workflows/incident-messages.ts';
import type { StepName } from '../workflows/incident-types.ts';
import { diff, startSandboxWorld, type SandboxWorld, type TrafficMode } from '../sandbox/world.ts';
import { effectiveMutations } from './support/sandbox.ts';
import { trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { testClient } from './support/temporal.ts';
import { killAllWorkerProcesses, startWorkerProcess, type WorkerProcess } from './support/worker-process.ts';

// One site per step to interrupt; each is caught in a different step when the worker dies.
const SITES: Record<string, TrafficMode> = {
  a: 'redirect-rule',
  b: 'page-rule',
  c: 'redirect-rule',
  d: 'dns',
  e: 'page-rule',
};
const name: Record<string, string> = Object.fromEntries(Object.keys(SITES).map((k) => [k, uniqueSite(`crash-${k}`)]));

let world: SandboxWorld;
let client: Client;
let dir: string;
let configPath: string;
const taskQueue = `crash-${randomUUID()}`;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 99,
    sites: Object.entries(SITES).map(([k, traffic]) => ({ name: name[k]!, traffic })),
    // Bounds long enough to outlast a dead worker (a lost activity is retried after its timeout).
    probe: {
      interval: '100ms',
      successesNeeded: 1,
      standbyReadyTimeout: '2m',
      verifyTimeout: '2m',
      primaryCheckTimeout: '2m',
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'failover-crash-'));
  configPath = join(dir, 'sites.yaml');
  world.writeConfig(configPath);
  client = await testClient();
});
afterAll(async () => {
  await killAllWorkerProcesses();
  await world?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function newWorker(): WorkerProcess {
  const w = startWorkerProcess(configPath, {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...world.env,
  });
  workers.push(w);
  return w;
}

const site = (k: string) => world.sites[name[k]!]!;

/** Resolves when the site's incident is running `step` (for probes: and has probed at least once). */
async function inStep(h: IncidentHandle, step: StepName, probed?: () => number): Promise<void> {
  const before = probed?.();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await h.query(statusQuery);
    const running = s.steps.findLast((x) => x.name === step)?.outcome === 'running';
    if (running && (before === undefined || probed!() > before)) return;
    if (Date.now() > deadline) throw new Error(`${s.site} never ran ${step}: ${JSON.stringify(s.steps)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(
  'SIGKILL in the middle of each step: every incident completes, nothing applied twice, the world as it began',
  { timeout: 300_000 },
  async () => {
    const start = world.snapshot();
    const seq = await world.control.seq();
    const c = world.control;

    // --- failover: hold each site in a different step ---
    await c.addFault({ api: 'run', op: 'setIamPolicy', resource: site('a').serviceName, hold: 'after', times: 1 }); // written, answer lost
    await c.setOverride(name.b!, 'standby', 503); // await_standby_ready keeps probing
    await c.addFault({ api: 'cloudflare', op: 'rules.edit', resource: site('c').zoneId, hold: 'before', times: 1 }); // arrives, applied after the crash
    await c.setOverride(name.d!, 'edge', 502); // verify_public_url_on_standby keeps probing
    await c.addFault({
      api: 'monitoring',
      op: 'updateAlertPolicy',
      resource: site('e').alertPolicy!,
      hold: 'after',
      times: 1,
    }); // pause_monitor
    for (const k of Object.keys(SITES)) await c.killPrimary(name[k]!);

    let worker = newWorker();
    const handles = Object.fromEntries(
      await Promise.all(
        Object.keys(SITES).map(async (k) => [k, await trigger(client, world.config, taskQueue, name[k]!)] as const),
      ),
    );
    await Promise.all([
      c.waitForHeld({ op: 'setIamPolicy', resource: site('a').serviceName, stage: 'after' }, 90_000),
      inStep(handles.b!, 'await_standby_ready', () => site('b').standby.requests),
      c.waitForHeld({ op: 'rules.edit', resource: site('c').zoneId, stage: 'before' }, 90_000),
      inStep(handles.d!, 'verify_public_url_on_standby', () => site('d').edge.requests),
      c.waitForHeld({ op: 'updateAlertPolicy', resource: site('e').alertPolicy!, stage: 'after' }, 90_000),
    ]);
    await worker.kill();
    await c.release(); // the held requests go on; their answers go nowhere
    await c.setOverride(name.b!, 'standby', null);
    await c.setOverride(name.d!, 'edge', null);

    worker = newWorker();
    for (const k of Object.keys(SITES)) {
      const s = await waitForPhase(handles[k]!, 'on_standby', 120_000);
      expect(s.warnings, `${k}: ${worker.output()}`).toEqual([]);
    }

    // --- failback: again one site per step ---
    await c.addFault({ api: 'cloudflare', op: 'rules.edit', resource: site('a').zoneId, hold: 'after', times: 1 }); // route_traffic_to_primary
    await c.setOverride(name.b!, 'edge', 502); // verify_public_url_on_primary
    await c.addFault({ api: 'run', op: 'setIamPolicy', resource: site('c').serviceName, hold: 'after', times: 1 }); // close_standby_access
    await c.addFault({
      api: 'monitoring',
      op: 'updateAlertPolicy',
      resource: site('d').alertPolicy!,
      hold: 'after',
      times: 1,
    }); // resume_monitor
    for (const k of ['a', 'b', 'c', 'd']) await c.revivePrimary(name[k]!); // e's primary stays down: await_primary_healthy
    await Promise.all(Object.values(handles).map((h) => h.executeUpdate(requestFailback, { args: [{ by: 'test' }] })));
    await Promise.all([
      c.waitForHeld({ op: 'rules.edit', resource: site('a').zoneId, stage: 'after' }, 90_000),
      inStep(handles.b!, 'verify_public_url_on_primary', () => site('b').edge.requests),
      c.waitForHeld({ op: 'setIamPolicy', resource: site('c').serviceName, stage: 'after' }, 90_000),
      c.waitForHeld({ op: 'updateAlertPolicy', resource: site('d').alertPolicy!, stage: 'after' }, 90_000),
      inStep(handles.e!, 'await_primary_healthy'),
    ]);
    await worker.kill();
    await c.release();
    await c.setOverride(name.b!, 'edge', null);
    await c.revivePrimary(name.e!);

    worker = newWorker();
    for (const k of Object.keys(SITES)) {
      const s = await waitForPhase(handles[k]!, 'resolved', 120_000);
      expect(s.warnings, `${k}: ${worker.output()}`).toEqual([]);
    }
    await worker.kill();

    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await c.audit(seq));
    for (const k of Object.keys(SITES)) {
      const s = site(k);
      const traffic = s.pageRuleId ? s.pageRuleId : s.ruleId ? s.ruleId : s.recordId!;
      const resources = [s.serviceName, Object.keys(applied).find((r) => r.endsWith(traffic))!, s.alertPolicy!];
      // Exactly one change each way (on, then off): the retries after the crash found the work done.
      for (const r of resources) expect(applied[r], `${k} ${r}`).toHaveLength(2);
    }
  },
);

// Issue 11 §3: the worker SIGKILLed at 20 points drawn from a printed seed, about half of them
// inside a provider call whose request reached the cloud API simulator (held there before or after
// it was applied, released once the worker is dead). Every incident completes, the world ends as it
// began, and the simulator's audit shows each change applied once each way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { Incidents } from '../../clients/incidents.ts';
import { incidentWorkflowId, requestFailback } from '../../workflows/incident-messages.ts';
import type { Phase } from '../../workflows/incident-types.ts';
import { diff, startSandboxWorld, type SandboxWorld, type TrafficMode } from '../../sandbox/world.ts';
import { effectiveMutations } from '../support/sandbox.ts';
import { uniqueSite } from '../../harness/sites.ts';
import { testClient } from '../support/temporal.ts';
import {
  awaitPhase,
  chaosSeed,
  type ChildWorker,
  killAllChildren,
  retrying,
  startChildWorker,
  writeBundle,
} from './support.ts';

const { seed, rng } = chaosSeed('worker-kills');
const KILLS = 20;
const MODES: TrafficMode[] = ['redirect-rule', 'page-rule', 'dns', 'redirect-rule', 'page-rule', 'dns'];
const names = MODES.map((_, i) => uniqueSite(`wk${i}`));
/** Mutating operations a kill can land inside, with the stage the request is held at. */
const OPS = ['setIamPolicy', 'updateAlertPolicy', 'rules.edit', 'pagerules.edit', 'dns_records.edit'];

type Kill = { at: 'time'; afterMs: number } | { at: 'call'; op: string; stage: 'before' | 'after' };
const plan: Kill[] = Array.from({ length: KILLS }, () =>
  rng.chance(0.5)
    ? { at: 'call', op: rng.pick(OPS), stage: rng.pick(['before', 'after'] as const) }
    : { at: 'time', afterMs: rng.int(200, 1500) },
);

let world: SandboxWorld;
let client: Client;
let dir: string;
let configPath: string;
let bundlePath: string;
const taskQueue = `chaos-wk-${randomUUID()}`;
let worker: ChildWorker;
const log: string[] = [];
const note = (line: string) => {
  log.push(line);
  console.log(`[chaos] worker-kills: ${line}`);
};

beforeAll(async () => {
  world = await startSandboxWorld({
    seed,
    sites: names.map((name, i) => ({ name, traffic: MODES[i]! })),
    probe: {
      interval: '100ms',
      successesNeeded: 1,
      standbyReadyTimeout: '3m',
      verifyTimeout: '3m',
      primaryCheckTimeout: '3m',
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'failover-chaos-wk-'));
  configPath = join(dir, 'sites.yaml');
  world.writeConfig(configPath);
  bundlePath = writeBundle(dir, inject('workflowBundle'));
  client = await testClient();
});
afterAll(async () => {
  killAllChildren();
  await world?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newWorker(): Promise<void> {
  worker = startChildWorker(configPath, bundlePath, {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...world.env,
  });
  await Promise.race([
    worker.started,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`worker did not start in 60 s:\n${worker.output()}`)), 60_000),
    ),
  ]);
}

async function kill(k: Kill): Promise<void> {
  const c = world.control;
  if (k.at === 'time') {
    await new Promise((r) => setTimeout(r, k.afterMs));
    await worker.kill();
    note(`killed after ${k.afterMs} ms`);
  } else {
    // Hold the next mutating request of any kind (the planned one first), whichever comes first.
    const ids = await Promise.all(
      [k.op, ...OPS.filter((op) => op !== k.op)].map((op) => c.addFault({ op, hold: k.stage, times: 1 })),
    );
    const held = await c.waitForHeld({ stage: k.stage }, 6000).catch(() => undefined);
    await worker.kill();
    for (const id of ids) await c.removeFault(id).catch(() => {});
    await c.release(); // the held request goes on; its answer goes nowhere
    note(
      held
        ? `killed inside ${held.op} of ${held.resource} (held ${k.stage} it was applied)`
        : `killed (no mutating request within 6 s)`,
    );
  }
  await newWorker();
}

/** Runs kills from the plan while `busy()` holds. */
async function killWhile(busy: () => Promise<boolean>): Promise<void> {
  while (plan.length > 0 && (await busy())) await kill(plan.shift()!);
}

const phaseOf = async (site: string): Promise<Phase | undefined> =>
  awaitPhase(
    client,
    incidentWorkflowId(site),
    ['awaiting_trigger', 'failing_over', 'on_standby', 'failing_back', 'resolved', 'rolled_back', 'dismissed'],
    30_000,
  )
    .then((s) => s.phase)
    .catch(() => undefined);
const notAll = (phase: Phase) => async () => (await Promise.all(names.map(phaseOf))).some((p) => p !== phase);

test(
  `worker SIGKILLed at ${KILLS} seeded points (seed ${seed}): every incident completes, nothing applied twice`,
  { timeout: 9 * 60_000 },
  async () => {
    const start = world.snapshot();
    const seq = await world.control.seq();
    const incidents = Incidents.of(client, world.config, taskQueue);
    await newWorker();
    let rounds = 0;
    try {
      while (plan.length > 0 && rounds < 8) {
        rounds++;
        for (const name of names) await world.control.killPrimary(name);
        for (const name of names)
          await incidents.trigger(name, { alertId: `r${rounds}`, source: 'test', startedAt: new Date().toISOString() });
        await killWhile(notAll('on_standby'));
        for (const name of names) await awaitPhase(client, incidentWorkflowId(name), ['on_standby'], 180_000);

        for (const name of names) await world.control.revivePrimary(name);
        await Promise.all(
          names.map((name) =>
            retrying(`failback of ${name}`, () =>
              client.workflow
                .getHandle(incidentWorkflowId(name))
                .executeUpdate(requestFailback, { args: [{ by: 'chaos' }] }),
            ),
          ),
        );
        await killWhile(notAll('resolved'));
        for (const name of names) {
          const s = await awaitPhase(client, incidentWorkflowId(name), ['resolved'], 180_000);
          expect(s.warnings, `${name} (seed ${seed}): ${log.join('; ')}`).toEqual([]);
        }
      }
    } finally {
      console.log(`[chaos] worker-kills seed ${seed}: ${rounds} rounds; ${log.join('; ')}`);
      await worker.kill();
    }

    expect(plan, 'every planned kill was made').toEqual([]);
    expect(log.filter((l) => l.startsWith('killed inside')).length, 'kills inside a provider call').toBeGreaterThan(0);
    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await world.control.audit(seq));
    for (const name of names) {
      const s = world.sites[name]!;
      const traffic = s.pageRuleId ?? s.ruleId ?? s.recordId!;
      const resources = [s.serviceName, Object.keys(applied).find((r) => r.endsWith(traffic))!, s.alertPolicy!];
      // Each round changes each resource once each way: a retry after a kill found the work done.
      for (const r of resources) expect(applied[r], `${name} ${r} (seed ${seed})`).toHaveLength(2 * rounds);
    }
  },
);

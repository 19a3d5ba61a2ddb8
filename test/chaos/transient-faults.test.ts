// Issue 11 §3: 30 % of the requests to every cloud API (Cloud Run IAM, Cloud Monitoring, Cloudflare)
// fail with a retryable error, drawn from the simulator's seeded generator, over 100 failovers (and
// their failbacks) through the real SDK clients. All complete; the world ends as it began; each
// change is applied once each way.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildRegistry } from '../../clients/providers.ts';
import { Incidents } from '../../clients/incidents.ts';
import { incidentWorkflowId, requestFailback } from '../../workflows/incident-messages.ts';
import { diff, startSandboxWorld, type SandboxWorld, type TrafficMode } from '../../sandbox/world.ts';
import { effectiveMutations } from '../support/sandbox.ts';
import { uniqueSite } from '../../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from '../support/temporal.ts';
import { awaitPhase, chaosSeed } from './support.ts';

const { seed } = chaosSeed('transient-faults');
const SITES = 50;
const ROUNDS = 2; // 50 sites × 2 rounds = 100 failovers
const MODES: TrafficMode[] = ['redirect-rule', 'page-rule', 'dns'];
const names = Array.from({ length: SITES }, (_, i) => uniqueSite(`tf${i}`));

let world: SandboxWorld;
let client: Client;
let worker: RunningWorker;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed,
    sites: names.map((name, i) => ({ name, traffic: MODES[i % MODES.length]! })),
    probe: {
      interval: '100ms',
      successesNeeded: 1,
      standbyReadyTimeout: '2m',
      verifyTimeout: '2m',
      primaryCheckTimeout: '1m',
    },
  });
  client = await testClient();
  worker = await startWorker(buildRegistry(world.config, { env: world.env }));
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.stop();
});

test(
  `30 % transient faults on every API over ${SITES * ROUNDS} failovers (seed ${seed}): all complete`,
  { timeout: 12 * 60_000 },
  async () => {
    const start = world.snapshot();
    const seq = await world.control.seq();
    await world.control.addFault({ rate: 0.3, status: 503 });
    const incidents = Incidents.of(client, world.config, worker.taskQueue);
    const started = Date.now();
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all(names.map((name) => world.control.killPrimary(name)));
      await Promise.all(
        names.map((name) =>
          incidents.trigger(name, { alertId: `r${round}`, source: 'test', startedAt: new Date().toISOString() }),
        ),
      );
      await Promise.all(names.map((name) => awaitPhase(client, incidentWorkflowId(name), ['on_standby'], 300_000)));
      await Promise.all(names.map((name) => world.control.revivePrimary(name)));
      await Promise.all(
        names.map((name) =>
          client.workflow
            .getHandle(incidentWorkflowId(name))
            .executeUpdate(requestFailback, { args: [{ by: 'chaos' }] }),
        ),
      );
      const statuses = await Promise.all(
        names.map((name) => awaitPhase(client, incidentWorkflowId(name), ['resolved', 'rolled_back'], 300_000)),
      );
      console.log(`[chaos] transient-faults: round ${round} done at ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const s of statuses) {
        expect(s.phase, `${s.site} round ${round} (seed ${seed}): ${s.cause}`).toBe('resolved');
        expect(s.warnings, `${s.site} round ${round} (seed ${seed})`).toEqual([]);
      }
    }
    await world.control.clearFaults();
    const calls = await world.control.calls(seq);
    const hit = calls.filter((c) => c.fault).length;
    console.log(
      `[chaos] transient-faults seed ${seed}: ${SITES * ROUNDS} failovers and failbacks in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `${hit} of ${calls.length} API requests failed`,
    );
    expect(hit / calls.length).toBeGreaterThan(0.2);

    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await world.control.audit(seq));
    for (const name of names) {
      const s = world.sites[name]!;
      const traffic = s.pageRuleId ?? s.ruleId ?? s.recordId!;
      const resources = [s.serviceName, Object.keys(applied).find((r) => r.endsWith(traffic))!, s.alertPolicy!];
      for (const r of resources) expect(applied[r], `${name} ${r} (seed ${seed})`).toHaveLength(2 * ROUNDS);
    }
  },
);

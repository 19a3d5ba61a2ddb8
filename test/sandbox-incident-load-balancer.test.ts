// Whole incidents on sites whose traffic is a Google Cloud load balancer (traffic mode
// load-balancer), through the workflow, a real worker and the real @google-cloud/compute clients
// against the sandbox: failover and failback with operations that take time and a change that
// propagates, a fingerprint conflict retried inside the step, and an operation that ends in
// error, compensated. After each, the simulator's state is as it began.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildRegistry } from '../clients/providers.ts';
import type { IncidentHandle } from '../clients/incidents.ts';
import { computeOf, type ComputeState } from '../sandbox/cloud-api/compute-state.ts';
import { MARKER } from '../sandbox/sites.ts';
import { diff, startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { acknowledge, requestFailback } from '../workflows/incident-messages.ts';
import type { IncidentStatus } from '../workflows/incident-types.ts';
import { effectiveMutations } from './support/sandbox.ts';
import { trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const name = { lb: uniqueSite('lb'), conflict: uniqueSite('lb-conflict'), failed: uniqueSite('lb-failed') };
let world: SandboxWorld;
let compute: ComputeState;
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 43,
    sites: Object.values(name).map((n) => ({ name: n, traffic: 'load-balancer' as const })),
    probe: {
      interval: '100ms',
      successesNeeded: 2,
      standbyReadyTimeout: '8s',
      verifyTimeout: '15s',
      primaryCheckTimeout: '5s',
    },
  });
  compute = computeOf(world.api.state);
  worker = await startWorker(buildRegistry(world.config, { env: world.env }));
  client = await testClient();
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.stop();
});

const site = (k: keyof typeof name) => world.sites[name[k]]!;
const stepsOf = (s: IncidentStatus) => s.steps.map((st) => `${st.name}:${st.outcome}`);
const routeStep = (s: IncidentStatus) => s.steps.find((st) => st.name === 'route_traffic_to_standby')!;
const mapOf = (k: keyof typeof name) => compute.snapshot()[site(k).urlMap!]!;

async function publicServedBy(k: keyof typeof name): Promise<string> {
  const res = await fetch(world.urls.sites[name[k]]!.public);
  const body = await res.text();
  return body.includes(MARKER.standby) ? 'standby' : body.includes(MARKER.primary) ? 'primary' : `${res.status}`;
}

async function failBack(k: keyof typeof name, h: IncidentHandle): Promise<IncidentStatus> {
  await world.control.revivePrimary(name[k]);
  await h.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
  return waitForPhase(h, 'resolved', 60_000);
}

describe('incidents on a load-balanced site, through the real Compute clients', () => {
  test('failover and failback: operations awaited, the change propagated, the world ends as it began', async () => {
    const s = site('lb');
    // Each operation takes 2.5 s (the lever polls it), and the front ends serve the change 1 s after DONE.
    compute.operationDelayMs = 2_500;
    compute.propagationDelayMs = 1_000;
    const start = world.snapshot();
    const startMaps = compute.snapshot();
    const seq = await world.control.seq();
    await world.control.killPrimary(s.name);
    const h = await trigger(client, world.config, worker.taskQueue, s.name);
    const onStandby = await waitForPhase(h, 'on_standby', 60_000);
    expect(stepsOf(onStandby)).toEqual(
      expect.arrayContaining([
        'enable_standby_access:ok',
        'route_traffic_to_standby:ok',
        'verify_public_url_on_standby:ok',
      ]),
    );
    expect(routeStep(onStandby).summary).toMatch(/backendServices\/\S+-standby \(operation \S+ DONE\)/);
    expect(mapOf('lb').defaultService).toMatch(/\/global\/backendServices\/.*-standby$/);
    expect(await publicServedBy('lb')).toBe('standby');

    const resolved = await failBack('lb', h);
    expect(resolved.warnings).toEqual([]);
    expect(stepsOf(resolved).slice(-5)).toEqual([
      'await_primary_healthy:ok',
      'route_traffic_to_primary:ok',
      'verify_public_url_on_primary:ok',
      'close_standby_access:ok',
      'resume_monitor:ok',
    ]);
    expect(await publicServedBy('lb')).toBe('primary');
    expect(diff(start, world.snapshot())).toEqual([]);
    expect(compute.snapshot()).toEqual(startMaps);
    const since = await world.control.calls(seq);
    // Polled until DONE, at least once per switch.
    expect(since.filter((c) => c.op === 'globalOperations.get').length).toBeGreaterThanOrEqual(2);
    const applied = effectiveMutations(await world.control.audit(seq));
    for (const r of [s.serviceName, s.urlMap!, s.alertPolicy!]) expect(applied[r], r).toHaveLength(2);
    compute.operationDelayMs = 0;
    compute.propagationDelayMs = 0;
  });

  test('a fingerprint conflict: read again and patched within the same attempt; the other edit is kept', async () => {
    const s = site('conflict');
    const before = mapOf('conflict');
    await world.control.addFault({
      api: 'compute',
      op: 'urlMaps.patch',
      resource: s.urlMap!,
      etagConflict: true,
      times: 1,
    });
    await world.control.killPrimary(s.name);
    const h = await trigger(client, world.config, worker.taskQueue, s.name);
    const onStandby = await waitForPhase(h, 'on_standby', 60_000);
    expect(routeStep(onStandby)).toMatchObject({ outcome: 'ok', attempts: 1 });
    expect(routeStep(onStandby).summary).toMatch(/after 1 fingerprint conflict/);
    const patches = (await world.control.calls()).filter((c) => c.op === 'urlMaps.patch' && c.resource === s.urlMap);
    expect(patches.map((c) => c.status)).toEqual([412, 200]);

    await failBack('conflict', h);
    // Only the default was put back: the concurrent writer's description survives the failback.
    const after = mapOf('conflict');
    expect(after.description).toMatch(/edited by someone else/);
    expect({ ...after, description: undefined }).toEqual({ ...before, description: undefined });
    expect(await publicServedBy('conflict')).toBe('primary');
  });

  test('an operation that ends in error: not retried, the failover undone in reverse, the world as before', async () => {
    const s = site('failed');
    const start = world.snapshot();
    const startMaps = compute.snapshot();
    const seq = await world.control.seq();
    await world.control.addFault({
      api: 'compute',
      op: 'urlMaps.patch',
      resource: s.urlMap!,
      operationError: { code: 'INVALID_FIELD_VALUE', message: 'backend service in use elsewhere', httpStatus: 400 },
      times: 1,
    });
    await world.control.killPrimary(s.name);
    const h = await trigger(client, world.config, worker.taskQueue, s.name);
    const waiting = await waitForPhase(h, 'needs_attention', 60_000);
    expect(waiting.attention).toMatchObject({ retry: 'failover' });
    await h.signal(acknowledge, { by: 'test' });
    const status = await waitForPhase(h, 'rolled_back');
    expect(status.cause).toMatch(/route_traffic_to_standby: .*INVALID_FIELD_VALUE: backend service in use elsewhere/);
    expect(routeStep(status)).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(stepsOf(status)).toEqual(expect.arrayContaining(['undo_enable_standby_access:ok', 'undo_pause_monitor:ok']));
    expect(diff(start, world.snapshot())).toEqual([]);
    expect(compute.snapshot()).toEqual(startMaps);
    const applied = effectiveMutations(await world.control.audit(seq));
    expect(applied[s.urlMap!]).toBeUndefined(); // the failed operation applied nothing
    expect(applied[s.serviceName]).toHaveLength(2);
    expect(await publicServedBy('failed')).not.toBe('standby');
    await world.control.revivePrimary(s.name);
  });
});

// Whole incidents through the workflow, with the real adapters and SDK clients against the
// sandbox: failover, failback, forced rollbacks, Retry-After, abort. After each, the simulator's
// state equals the start, and its audit shows each change applied exactly once.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { IncidentHandle } from '../clients/incidents.ts';
import { abort, acknowledge, requestFailback, statusQuery } from '../workflows/incident-messages.ts';
import type { IncidentStatus } from '../workflows/incident-types.ts';
import { MARKER } from '../sandbox/sites.ts';
import { diff, startSandboxWorld, type SandboxWorld, type TrafficMode } from '../sandbox/world.ts';
import { buildRegistry } from '../clients/providers.ts';
import { effectiveMutations } from './support/sandbox.ts';
import { trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const SITES: Record<string, TrafficMode> = {
  page: 'page-rule',
  redirect: 'redirect-rule',
  dns: 'dns',
  denied: 'redirect-rule',
  unverified: 'dns',
  slow: 'page-rule',
  aborted: 'redirect-rule',
};
const name: Record<string, string> = Object.fromEntries(Object.keys(SITES).map((k) => [k, uniqueSite(`sbx-${k}`)]));

let world: SandboxWorld;
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 42,
    // The aborted site would wait for its standby for two minutes: only the abort can end its probe early.
    sites: Object.entries(SITES).map(([k, traffic]) => ({
      name: name[k]!,
      traffic,
      ...(k === 'aborted' && { probe: { standbyReadyTimeout: '2m' } }),
    })),
    probe: {
      interval: '100ms',
      successesNeeded: 2,
      standbyReadyTimeout: '8s',
      verifyTimeout: '3s',
      primaryCheckTimeout: '5s',
    },
  });
  worker = await startWorker(buildRegistry(world.config, { env: world.env }));
  client = await testClient();
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.stop();
});

/** Every resource a site's config points at, as the audit names them. */
function resourcesOf(key: string): string[] {
  const s = world.sites[name[key]!]!;
  const traffic = s.pageRuleId
    ? `zones/${s.zoneId}/pagerules/${s.pageRuleId}`
    : s.ruleId
      ? `zones/${s.zoneId}/rulesets/${s.rulesetId}/rules/${s.ruleId}`
      : `zones/${s.zoneId}/dns_records/${s.recordId}`;
  return [s.serviceName, traffic, s.alertPolicy!];
}

async function publicServedBy(key: string): Promise<string> {
  const res = await fetch(world.urls.sites[name[key]!]!.public);
  const body = await res.text();
  return body.includes(MARKER.standby) ? 'standby' : body.includes(MARKER.primary) ? 'primary' : `${res.status}`;
}

const stepsOf = (s: IncidentStatus) => s.steps.map((st) => `${st.name}:${st.outcome}`);

/**
 * A failover that failed with the primary down is undone, then waits for a human (users get errors
 * either way); acknowledging ends it rolled back.
 */
async function undoneWithPrimaryDown(h: IncidentHandle): Promise<IncidentStatus> {
  const waiting = await waitForPhase(h, 'needs_attention', 45_000);
  expect(waiting.attention).toMatchObject({ retry: 'failover' });
  await h.signal(acknowledge, { by: 'test' });
  return waitForPhase(h, 'rolled_back');
}

describe('incidents on the sandbox, through the real SDKs', () => {
  test('failover and failback in every traffic mode; the world ends exactly as it began, each change applied once', async () => {
    const keys = ['page', 'redirect', 'dns'];
    const start = world.snapshot();
    const seq = await world.control.seq();
    for (const k of keys) await world.control.killPrimary(name[k]!);
    const handles = await Promise.all(keys.map((k) => trigger(client, world.config, worker.taskQueue, name[k]!)));
    const onStandby = await Promise.all(handles.map((h) => waitForPhase(h, 'on_standby', 45_000)));
    for (const [i, k] of keys.entries()) {
      expect(stepsOf(onStandby[i]!)).toEqual(
        expect.arrayContaining([
          'pause_monitor:ok',
          'enable_standby_access:ok',
          'await_standby_ready:ok',
          'route_traffic_to_standby:ok',
          'verify_public_url_on_standby:ok',
        ]),
      );
      expect(await publicServedBy(k)).toBe('standby');
    }
    const during = world.snapshot();
    for (const k of keys) {
      const s = world.sites[name[k]!]!;
      expect(during.run[s.serviceName]!.bindings.find((b) => b.role === 'roles/run.invoker')!.members).toContain(
        'allUsers',
      );
      expect(during.monitoring[s.alertPolicy!]!.enabled).toBe(false);
    }

    for (const k of keys) await world.control.revivePrimary(name[k]!);
    await Promise.all(handles.map((h) => h.executeUpdate(requestFailback, { args: [{ by: 'test' }] })));
    const resolved = await Promise.all(handles.map((h) => waitForPhase(h, 'resolved', 45_000)));
    for (const [i, k] of keys.entries()) {
      expect(resolved[i]!.warnings).toEqual([]);
      expect(stepsOf(resolved[i]!).slice(-5)).toEqual([
        'await_primary_healthy:ok',
        'route_traffic_to_primary:ok',
        'verify_public_url_on_primary:ok',
        'close_standby_access:ok',
        'resume_monitor:ok',
      ]);
      expect(await publicServedBy(k)).toBe('primary');
    }

    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await world.control.audit(seq));
    for (const k of keys) for (const r of resourcesOf(k)) expect(applied[r], r).toHaveLength(2);
  });

  test('forced rollback: a token that may not edit the redirect rule; undone in reverse, world as before', async () => {
    const k = 'denied';
    const s = world.sites[name[k]!]!;
    await world.control.addFault({ api: 'cloudflare', op: 'rules.edit', resource: s.zoneId, status: 403 });
    const start = world.snapshot();
    const seq = await world.control.seq();
    await world.control.killPrimary(s.name);
    const h = await trigger(client, world.config, worker.taskQueue, s.name);
    const status = await undoneWithPrimaryDown(h);
    expect(status.cause).toMatch(/route_traffic_to_standby: PermissionDenied: .*Zone\.Single Redirect:Edit/);
    expect(stepsOf(status)).toEqual(
      expect.arrayContaining([
        'route_traffic_to_standby:failed',
        'undo_enable_standby_access:ok',
        'undo_pause_monitor:ok',
      ]),
    );
    expect(status.steps.find((st) => st.name === 'route_traffic_to_standby')!.attempts).toBe(1); // not retried
    expect(status.warnings).toEqual([]);
    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await world.control.audit(seq));
    expect(applied[s.serviceName]).toHaveLength(2);
    expect(applied[s.alertPolicy!]).toHaveLength(2);
    // The token is in no input, result, failure or log of the incident's history.
    const history = JSON.stringify(await h.fetchHistory());
    expect(history).toContain('Zone.Single Redirect:Edit');
    expect(history).not.toContain(world.env.CLOUDFLARE_API_TOKEN);
    await world.control.clearFaults();
    await world.control.revivePrimary(s.name);
  });

  test('forced rollback after traffic moved: the public URL never verifies; all three changes undone', async () => {
    const k = 'unverified';
    const s = world.sites[name[k]!]!;
    const start = world.snapshot();
    const seq = await world.control.seq();
    await world.control.killPrimary(s.name);
    await world.control.setOverride(s.name, 'edge', 502);
    const h = await trigger(client, world.config, worker.taskQueue, s.name);
    const status = await undoneWithPrimaryDown(h);
    expect(status.cause).toMatch(/verify_public_url_on_standby: ProbeFailed/);
    expect(stepsOf(status)).toEqual(
      expect.arrayContaining([
        'undo_route_traffic_to_standby:ok',
        'undo_enable_standby_access:ok',
        'undo_pause_monitor:ok',
      ]),
    );
    expect(diff(start, world.snapshot())).toEqual([]);
    const applied = effectiveMutations(await world.control.audit(seq));
    for (const r of resourcesOf(k)) expect(applied[r], r).toHaveLength(2);
    await world.control.setOverride(s.name, 'edge', null);
    await world.control.revivePrimary(s.name);
  });

  test('a 429 with Retry-After: the step is retried no sooner than asked', async () => {
    const k = 'slow';
    const s = world.sites[name[k]!]!;
    const start = world.snapshot();
    const seq = await world.control.seq();
    await world.control.addFault({
      api: 'cloudflare',
      op: 'pagerules.edit',
      resource: s.pageRuleId!,
      status: 429,
      retryAfterSeconds: 2,
      times: 1,
    });
    await world.control.killPrimary(s.name);
    const h = await trigger(client, world.config, worker.taskQueue, s.name);
    const status = await waitForPhase(h, 'on_standby', 45_000);
    expect(status.steps.find((st) => st.name === 'route_traffic_to_standby')).toMatchObject({
      outcome: 'ok',
      attempts: 2,
    });
    const calls = (await world.control.calls(seq)).filter((c) => c.resource.endsWith(s.pageRuleId!));
    const limited = calls.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const retry = calls[limited + 1]!;
    // Without Retry-After the activity's backoff would retry after 500 ms.
    expect(retry.at - calls[limited]!.at).toBeGreaterThanOrEqual(1_900);

    await world.control.revivePrimary(s.name);
    await h.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
    await waitForPhase(h, 'resolved', 45_000);
    expect(diff(start, world.snapshot())).toEqual([]);
  });

  test('abort while the standby is not ready yet: the probe stops, the world is as before', async () => {
    const k = 'aborted';
    const s = world.sites[name[k]!]!;
    const start = world.snapshot();
    await world.control.killPrimary(s.name);
    await world.control.setOverride(s.name, 'standby', 503);
    const h: IncidentHandle = await trigger(client, world.config, worker.taskQueue, s.name);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = await h.query(statusQuery);
      if (st.steps.some((x) => x.name === 'await_standby_ready' && x.outcome === 'running')) break;
      if (Date.now() > deadline) throw new Error(`await_standby_ready never started: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The probe is checking the standby (a request reached it since the step started) when the abort comes.
    const probesAtStart = s.standby.requests;
    while (s.standby.requests === probesAtStart) {
      if (Date.now() > deadline) throw new Error('the standby probe never reached the standby');
      await new Promise((r) => setTimeout(r, 50));
    }
    await h.signal(abort, { by: 'test' });
    const status = await waitForPhase(h, 'rolled_back', 30_000);
    expect(status.cause).toBe('aborted by test');
    expect(stepsOf(status)).toContain('await_standby_ready:cancelled');
    expect(diff(start, world.snapshot())).toEqual([]);
    // The workflow does not wait for the probe; the probe learns of the cancellation with its next
    // heartbeat that reaches the server (heartbeats are throttled to 80% of the 10 s heartbeat
    // timeout) and then stops at once, long before its two-minute bound.
    const stoppedBy = Date.now() + 25_000;
    let last = s.standby.requests;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (s.standby.requests === last) break;
      last = s.standby.requests;
      if (Date.now() > stoppedBy) throw new Error('the cancelled probe is still checking the standby');
    }
    await world.control.setOverride(s.name, 'standby', null);
    await world.control.revivePrimary(s.name);
  });
});

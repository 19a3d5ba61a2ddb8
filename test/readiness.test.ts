// The readiness workflow (docs/readiness.md) against the sandbox through the real SDKs, each run
// started by the site's schedule (triggered: what the next interval does): a ready site is ready;
// a revoked permission, an expired or narrowed token, a deleted rule, a drifted position, a
// standby behind the primary and a standby that does not serve each turn it not ready at the
// next run, with the right check and reason; a warmed standby's permissions are tested and its
// minimum instances left raised is a warning; the world is never changed by a check.
import { type Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildRegistry } from '../clients/providers.ts';
import { readinessHistory, readinessTarget } from '../clients/readiness.ts';
import { type Config, configSchema } from '../config/schema.ts';
import { inMemoryConfig, testWorld, uniqueSite } from '../harness/sites.ts';
import { waitFor } from '../harness/wait.ts';
import { ensureReadinessSchedules, readinessScheduleId } from '../worker/readiness-schedules.ts';
import { ALL_CF_PERMISSIONS } from '../sandbox/cloud-api/cloudflare.ts';
import { API_TOKENS_READ } from '../sandbox/cloud-api/cloudflare-tokens.ts';
import { DOCUMENTED_GRANTS } from '../sandbox/cloud-api/iam.ts';
import { VERSION_HEADER } from '../sandbox/sites.ts';
import { type SandboxWorld, startSandboxWorld } from '../sandbox/world.ts';
import type { ReadinessCheck, ReadinessResult } from '../workflows/readiness-types.ts';
import { readyAttribute } from '../workflows/search-attributes.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const site = uniqueSite('rd');
const lbSite = uniqueSite('rdlb');
const warmSite = uniqueSite('rdwarm');
/** The documented grants with the warm-up's role (docs/production.md, its standby.warmup row). */
const WITH_WARMUP = [...DOCUMENTED_GRANTS, { role: 'projects/$PROJECT/roles/failoverStandbyWarmup' }];
let world: SandboxWorld;
let config: Config;
let client: Client;
let worker: RunningWorker;
let lastWorkflowId = '';

beforeAll(async () => {
  world = await startSandboxWorld({
    sites: [
      { name: site, traffic: 'page-rule' },
      { name: lbSite, traffic: 'load-balancer' },
      { name: warmSite, traffic: 'redirect-rule' },
    ],
  });
  // The worker's ID tokens come from the simulated metadata server, as on Google Cloud.
  process.env.GCE_METADATA_HOST = world.env.GCE_METADATA_HOST;
  const raw = world.rawConfig as { sites: Record<string, Record<string, unknown>> };
  config = configSchema.parse({
    ...raw,
    sites: {
      ...raw.sites,
      [site]: { ...raw.sites[site], readiness: { version: { header: VERSION_HEADER } } },
      [warmSite]: {
        ...raw.sites[warmSite],
        standby: { ...(raw.sites[warmSite]!.standby as object), warmup: { minInstances: 2 } },
      },
    },
  });
  client = await testClient();
  const registry = buildRegistry(config, { env: world.env });
  worker = await startWorker(registry, {
    readiness: { registry, target: (s) => readinessTarget(config, s), history: readinessHistory(client) },
  });
  // The sites' schedules, as the worker makes them at start: each check below is one scheduled run.
  await ensureReadinessSchedules(client, config, worker.taskQueue);
});

afterAll(async () => {
  for (const s of [site, lbSite, warmSite])
    await client?.schedule
      .getHandle(readinessScheduleId(s))
      .delete()
      .catch(() => {});
  await worker?.shutdown();
  await world?.stop();
});

/** What the next interval does: the site's schedule starts a run; its result. Nothing changes. */
async function check(which = site): Promise<ReadinessResult> {
  const before = world.snapshot();
  const schedule = client.schedule.getHandle(readinessScheduleId(which));
  const taken = (await schedule.describe()).info.numActionsTaken;
  // ALLOW_ALL: an interval's own run may be under way (it would skip the trigger).
  await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  const action = await waitFor('the scheduled run', async () => {
    const d = await schedule.describe();
    return d.info.numActionsTaken > taken && d.info.recentActions.at(-1);
  });
  lastWorkflowId = action.action.workflow.workflowId;
  const result = await client.workflow.getHandle(lastWorkflowId).result();
  expect(world.diff(before, world.snapshot()), 'a readiness run changes nothing').toEqual([]);
  return result as ReadinessResult;
}

const failed = (r: ReadinessResult): ReadinessCheck[] => r.checks.filter((c) => c.status === 'fail');

describe('readiness', () => {
  test('a site as set up is ready: every check ok, FailoverReady set', async () => {
    world.sites[site]!.primary.version = '1.4.0';
    world.sites[site]!.standby.version = '1.4.0';
    const r = await check();
    expect(failed(r)).toEqual([]);
    expect(r.ready).toBe(true);
    const names = new Set(r.checks.map((c) => c.check));
    for (const n of [
      'reachable',
      'permissions',
      'idle_position',
      'standby_serves',
      'standby_version',
      'dry_run',
      'last_failover',
    ])
      expect(names, n).toContain(n);
    const d = await client.workflow.getHandle(lastWorkflowId).describe();
    expect(d.typedSearchAttributes.get(readyAttribute)).toBe('ready');
  });

  test('a revoked permission: not ready, the permission named (testIamPermissions)', async () => {
    await world.control.changeIam({ revokePermissions: ['run.services.setIamPolicy'] });
    try {
      const r = await check();
      expect(r.ready).toBe(false);
      expect(failed(r)).toEqual([
        expect.objectContaining({ check: 'permissions', reason: expect.stringContaining('run.services.setIamPolicy') }),
      ]);
      expect(r.previousReady).toBe(true);
      expect(r.changed).toBe(true);
    } finally {
      await world.control.changeIam({ reset: true });
    }
  });

  test('monitoring.alertPolicies.update revoked: not ready, through the project-level testIamPermissions', async () => {
    await world.control.changeIam({ revokePermissions: ['monitoring.alertPolicies.update'] });
    try {
      const r = await check();
      expect(failed(r)).toEqual([
        expect.objectContaining({
          check: 'permissions',
          subject: world.sites[site]!.alertPolicy,
          reason: expect.stringContaining('monitoring.alertPolicies.update'),
        }),
      ]);
    } finally {
      await world.control.changeIam({ reset: true });
    }
  });

  test('an expired token, then a narrowed one: not ready, each named', async () => {
    const all = [...ALL_CF_PERMISSIONS, API_TOKENS_READ];
    await world.control.setCloudflareToken(all, { expiresOn: new Date(Date.now() - 60_000).toISOString() });
    try {
      const r = await check();
      expect(r.ready).toBe(false);
      expect(failed(r).find((c) => c.check === 'permissions')?.reason).toMatch(/the token is expired/);
      await world.control.setCloudflareToken(['Page Rules Read', API_TOKENS_READ], {});
      const n = await check();
      expect(n.ready).toBe(false);
      expect(failed(n)).toEqual([
        expect.objectContaining({ check: 'permissions', reason: expect.stringContaining('"Page Rules Write"') }),
      ]);
    } finally {
      await world.control.setCloudflareToken(all, {});
    }
  });

  test('a deleted page rule: not reachable, and the dry run cannot plan it', async () => {
    const zone = world.api.state.zones.get(world.sites[site]!.zoneId)!;
    const id = world.sites[site]!.pageRuleId!;
    const rule = zone.pageRules.get(id)!;
    zone.pageRules.delete(id);
    try {
      const r = await check();
      expect(r.ready).toBe(false);
      expect(
        failed(r)
          .map((c) => c.check)
          .sort(),
      ).toEqual(['dry_run', 'reachable']);
      expect(failed(r).find((c) => c.check === 'reachable')?.reason).toMatch(/not found/);
    } finally {
      zone.pageRules.set(id, rule);
    }
  });

  test('a drifted position (the alert paused): reported, not corrected', async () => {
    const monitor = buildRegistry(config, { env: world.env }).forSite(site).monitor;
    await monitor.set('paused');
    try {
      const r = await check(); // check() also asserts nothing changed
      expect(failed(r)).toEqual([expect.objectContaining({ check: 'idle_position', subject: monitor.resource })]);
      expect(await monitor.read()).toMatchObject({ enabled: false });
    } finally {
      await monitor.set('enabled');
    }
  });

  test('a standby behind the primary: not ready, both versions named', async () => {
    world.sites[site]!.standby.version = '1.3.9';
    try {
      const r = await check();
      expect(failed(r)).toEqual([
        expect.objectContaining({
          check: 'standby_version',
          reason: "the standby runs 1.3.9, behind the primary's 1.4.0",
        }),
      ]);
    } finally {
      world.sites[site]!.standby.version = '1.4.0';
    }
  });

  test('a standby that does not serve, or refuses the worker: not ready', async () => {
    await world.control.setOverride(site, 'standby', 503);
    try {
      const r = await check();
      expect(failed(r)).toEqual([
        expect.objectContaining({ check: 'standby_serves', reason: 'HTTP 503, expected 200' }),
      ]);
    } finally {
      await world.control.setOverride(site, 'standby', null);
    }
    const svc = world.api.state.service(world.sites[site]!.serviceName)!;
    const bindings = structuredClone(svc.bindings);
    world.api.state.writeBindings(
      svc,
      bindings.filter((b) => b.role !== 'roles/run.invoker'),
    );
    try {
      const r = await check();
      expect(failed(r)).toEqual([
        expect.objectContaining({ check: 'standby_serves', fix: expect.stringContaining('roles/run.invoker') }),
      ]);
    } finally {
      world.api.state.writeBindings(svc, bindings);
    }
  });

  test('a load-balanced site: the URL map permissions through urlMaps.testIamPermissions', async () => {
    const r = await check(lbSite);
    expect(failed(r)).toEqual([]);
    expect(r.checks).toContainEqual(
      expect.objectContaining({ check: 'permissions', status: 'ok', subject: expect.stringMatching(/\/urlMaps\//) }),
    );
    await world.control.changeIam({ revokePermissions: ['compute.urlMaps.update'] });
    try {
      const n = await check(lbSite);
      expect(failed(n)).toEqual([
        expect.objectContaining({ check: 'permissions', reason: expect.stringContaining('compute.urlMaps.update') }),
      ]);
    } finally {
      await world.control.changeIam({ reset: true });
    }
  });

  test('a warmed standby: its permissions tested; without run.services.update, not ready naming it and its role', async () => {
    const service = world.sites[warmSite]!.serviceName;
    await world.control.changeIam({ grants: WITH_WARMUP });
    try {
      const r = await check(warmSite);
      expect(failed(r)).toEqual([]);
      expect(r.checks).toContainEqual(
        expect.objectContaining({
          check: 'permissions',
          status: 'ok',
          subject: service,
          reason: expect.stringContaining('run.services.update, run.operations.get'),
        }),
      );
      expect(r.checks).toContainEqual(
        expect.objectContaining({
          check: 'idle_position',
          status: 'ok',
          reason: 'minimum instances 0 (service-level)',
        }),
      );
      await world.control.changeIam({ revokePermissions: ['run.services.update'] });
      const n = await check(warmSite);
      expect(n.ready).toBe(false);
      expect(failed(n)).toEqual([
        expect.objectContaining({
          check: 'permissions',
          subject: service,
          reason: "the worker's identity lacks run.services.update on the standby service",
          fix: expect.stringContaining('failoverStandbyWarmup'),
        }),
      ]);
      // The grants every site needs, without the warm-up's role: both of its own permissions missing.
      await world.control.changeIam({ reset: true });
      expect(failed(await check(warmSite))).toEqual([
        expect.objectContaining({
          check: 'permissions',
          reason: expect.stringContaining('run.services.update, run.operations.get'),
        }),
      ]);
    } finally {
      await world.control.changeIam({ reset: true });
    }
  });

  test('a warmed standby left warm outside an incident: a warning with the fix, not corrected', async () => {
    const svc = world.api.state.service(world.sites[warmSite]!.serviceName)!;
    await world.control.changeIam({ grants: WITH_WARMUP });
    svc.minInstanceCount = 2;
    try {
      const r = await check(warmSite); // check() also asserts nothing changed
      expect(r.ready).toBe(true);
      expect(r.checks.filter((c) => c.status !== 'ok')).toEqual([
        expect.objectContaining({
          check: 'idle_position',
          status: 'warn',
          subject: svc.name,
          reason: expect.stringMatching(/a warm-up not put back \(found \{"minInstanceCount":2\}\)/),
          fix: expect.stringContaining('--min=0'),
        }),
      ]);
      expect(svc.minInstanceCount).toBe(2);
    } finally {
      svc.minInstanceCount = 0;
      await world.control.changeIam({ reset: true });
    }
  });

  test('an in-memory site (tests, demo): checked through its levers, its URLs not probed', async () => {
    const mem = uniqueSite('rdmem');
    const memConfig = inMemoryConfig([mem]);
    const registry = buildRegistry(memConfig, { world: testWorld() });
    const w = await startWorker(registry, {
      readiness: { registry, target: (s) => readinessTarget(memConfig, s), history: readinessHistory(client) },
    });
    try {
      const r = (await client.workflow.execute('readiness', {
        workflowId: `readiness-${mem}-test`,
        taskQueue: w.taskQueue,
        args: [{ site: mem }],
      })) as ReadinessResult;
      expect(failed(r)).toEqual([]);
      expect(r.checks).toContainEqual(
        expect.objectContaining({ check: 'standby_serves', status: 'ok', reason: 'in-memory site: not probed' }),
      );
      expect(r.checks.filter((c) => c.check === 'idle_position')).toHaveLength(3);
    } finally {
      await w.shutdown();
    }
  });
});

// Least privilege, proved. docs/production.md's role table against each provider's declared
// permissions and the simulator's roles; then, for every lever type, a failover and failback
// through the workflow and the real SDKs with exactly the documented grants, every permission
// check the simulated services made covered by a declaration (and every declaration used); and
// the other direction: each documented grant, and each declared permission, removed, the lever
// fails with a permission error. The warm-up (standby.warmup) is not a lever type but has its own
// row, declaration (WARMUP_PERMISSIONS) and role, only for a site that sets it.
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildRegistry } from '../clients/providers.ts';
import type { Config } from '../config/schema.ts';
import { ProviderError } from '../activities/errors.ts';
import { WARMUP_PERMISSIONS } from '../activities/providers/google/cloud-run/warmup.ts';
import { PROVIDERS } from '../activities/providers/registry.ts';
import type { Lever, ProviderRegistry } from '../activities/providers/types.ts';
import { computeOf } from '../sandbox/cloud-api/compute-state.ts';
import {
  CUSTOM_ROLES,
  DOCUMENTED_GRANTS,
  PREDEFINED_ROLES,
  type IamGrant,
  type PermissionCheck,
} from '../sandbox/cloud-api/iam.ts';
import { diff, startSandboxWorld, type SandboxSite, type SandboxWorld, type TrafficMode } from '../sandbox/world.ts';
import { acknowledge, requestFailback } from '../workflows/incident-messages.ts';
import { FINAL_PHASES, WAITING_PHASES, type IncidentStatus } from '../workflows/incident-types.ts';
import { trigger, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

// ---- docs/production.md's role table ---------------------------------------------------------

interface RoleRow {
  type: string;
  grant: string;
  permissions: string[];
  /** A predefined role that also works (more than needed). */
  alternative: string | undefined;
}

const DOC = readFileSync('docs/production.md', 'utf8');
const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

function roleTable(): RoleRow[] {
  const at = DOC.indexOf('<!-- role table');
  expect(at, 'docs/production.md has its role table').toBeGreaterThan(0);
  const lines = DOC.slice(at).split('\n').slice(1);
  const rows = lines.slice(
    2,
    lines.findIndex((l) => !l.startsWith('|')),
  );
  return rows.map((line) => {
    const [type, grant, , permissions, alternative] = line.split('|').slice(1, -1);
    return {
      type: ticked(type!)[0]!,
      grant: ticked(grant!)[0] ?? grant!.trim(),
      permissions: ticked(permissions!),
      alternative: ticked(alternative ?? '')[0],
    };
  });
}

/** `gcloud iam roles create <id> … --permissions=a,b` in the guide and its set-up script. */
function customRoleCommands(): Map<string, string[]> {
  const text = [DOC, readFileSync('docs/production-setup.sh', 'utf8')].join('\n');
  const out = new Map<string, string[]>();
  for (const m of text.matchAll(/gcloud iam roles create (\w+)[^]*?--permissions=([\w.,]+)/g))
    out.set(m[1]!, m[2]!.split(','));
  return out;
}

/** The warm-up's row in the table: not a lever type, a step of a site with standby.warmup. */
const WARMUP = 'standby.warmup';
const googleOf = (type: string): readonly string[] | undefined =>
  type === WARMUP ? WARMUP_PERMISSIONS : PROVIDERS.find((d) => d.type === type)!.permissions.google;
const declaredOf = (type: string) => {
  if (type === WARMUP) return [...WARMUP_PERMISSIONS];
  const p = PROVIDERS.find((d) => d.type === type)!.permissions;
  return [...(p.google ?? []), ...(p.cloudflare ?? [])];
};
const sorted = (a: readonly string[]) => [...a].sort();
/** A Cloudflare "X Write" group includes "X Read". */
const covers = (declared: readonly string[], needed: string) =>
  declared.includes(needed) || declared.includes(needed.replace(/ Read$/, ' Write'));
const customId = (grant: string) => /^projects\/\$PROJECT\/roles\/(\w+)$/.exec(grant)?.[1];

describe("docs/production.md's role table", () => {
  const rows = roleTable();

  test('one row per provider that calls an API, and one for the warm-up, with exactly its declared permissions', () => {
    const calling = [...PROVIDERS.filter((p) => declaredOf(p.type).length > 0).map((p) => p.type), WARMUP];
    expect(sorted(rows.map((r) => r.type))).toEqual(sorted(calling));
    for (const r of rows) expect(sorted(r.permissions), r.type).toEqual(sorted(declaredOf(r.type)));
  });

  test('its custom roles are the ones the guide creates and the simulator grants by default', () => {
    const commands = customRoleCommands();
    const google = rows.filter((r) => googleOf(r.type));
    for (const r of google) {
      const id = customId(r.grant);
      expect(id, `${r.type}: a custom role projects/$PROJECT/roles/<id>`).toBeDefined();
      expect(sorted(CUSTOM_ROLES[id!] ?? []), `sandbox/cloud-api/iam.ts ${id}`).toEqual(sorted(r.permissions));
      expect(sorted(commands.get(id!) ?? []), `gcloud iam roles create ${id}`).toEqual(sorted(r.permissions));
    }
    // The simulator's default world: every grant but the warm-up's, which only a site with standby.warmup needs.
    expect(sorted(DOCUMENTED_GRANTS.map((g) => g.role))).toEqual(
      sorted(google.filter((r) => r.type !== WARMUP).map((r) => r.grant)),
    );
  });

  test('each predefined role it names holds every permission of its lever', () => {
    for (const r of rows.filter((x) => x.alternative)) {
      expect(PREDEFINED_ROLES[r.alternative!], `${r.alternative} is in sandbox/cloud-api/iam.ts`).toBeDefined();
      expect(
        r.permissions.filter((p) => !PREDEFINED_ROLES[r.alternative!]!.includes(p)),
        r.type,
      ).toEqual([]);
    }
  });
});

// ---- the simulator, with exactly the documented grants --------------------------------------

const MODES: Record<string, TrafficMode> = {
  page: 'page-rule',
  redirect: 'redirect-rule',
  dns: 'dns',
  lb: 'load-balancer',
  warm: 'redirect-rule', // with standby.warmup
};
const WARMED = new Set(['warm']);
const name: Record<string, string> = Object.fromEntries(Object.keys(MODES).map((k) => [k, uniqueSite(`lp-${k}`)]));

let world: SandboxWorld;
let worker: RunningWorker;
let client: Client;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 17,
    sites: Object.entries(MODES).map(([k, traffic]) => ({ name: name[k]!, traffic })),
    probe: { interval: '100ms', successesNeeded: 2, standbyReadyTimeout: '8s', verifyTimeout: '15s' },
  });
  // Operations that take a moment, so that the load balancer's step polls them (globalOperations.get).
  computeOf(world.api.state).operationDelayMs = 300;
  for (const k of WARMED) world.config.sites[name[k]!]!.standby.warmup = { minInstances: 2 };
  worker = await startWorker(buildRegistry(world.config, { env: world.env }));
  client = await testClient();
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.stop();
});

const site = (k: string): SandboxSite => world.sites[name[k]!]!;
const cfg = (k: string): Config['sites'][string] => world.config.sites[name[k]!]!;
const projectOf = (resource: string) => /^projects\/[^/]+/.exec(resource)![0];
const leverTypes = (k: string): string[] => [
  cfg(k).standby.access.type,
  cfg(k).traffic.type,
  cfg(k).monitor.type,
  ...(cfg(k).standby.warmup ? [WARMUP] : []),
];

/** Where the guide grants each custom role, for one site's resources. */
const SCOPE: Record<string, (s: SandboxSite) => string> = {
  'cloud-run': (s) => s.serviceName,
  'cloud-monitoring': (s) => projectOf(s.alertPolicy!),
  'google-load-balancer': (s) => projectOf(s.urlMap!),
  // The update's long-running operation is a project resource: run.operations.get is not granted by a service binding.
  [WARMUP]: (s) => projectOf(s.serviceName),
};

/** The documented grants for site `k`, each on its documented scope; `role` maps a row to the role granted. */
function grantsFor(k: string, role: (r: RoleRow) => string | undefined = (r) => r.grant): IamGrant[] {
  return roleTable()
    .filter((r) => SCOPE[r.type] && leverTypes(k).includes(r.type))
    .flatMap((r) => {
      const granted = role(r);
      const on = SCOPE[r.type]!(site(k));
      return granted ? [{ role: granted.replace('$PROJECT', projectOf(on).slice('projects/'.length)), on }] : [];
    });
}
const tokenFor = (k: string) => (cfg(k).traffic.type.startsWith('cloudflare') ? declaredOf(cfg(k).traffic.type) : []);

async function exactlyDocumented(k: string): Promise<void> {
  await world.control.changeIam({ reset: true });
  await world.control.changeIam({ grants: grantsFor(k), clearChecks: true });
  await world.control.setCloudflareToken(tokenFor(k));
}

describe('with exactly the documented grants', () => {
  test.each(Object.keys(MODES))(
    '%s: failover and failback succeed; every call is covered by a declared permission, every declared one is needed',
    async (k) => {
      await exactlyDocumented(k);
      const seq = await world.control.seq();
      await world.control.killPrimary(name[k]!);
      const h = await trigger(client, world.config, worker.taskQueue, name[k]!);
      // A refused call ends the failover waiting for a human: stop there and show what was denied.
      const denied = async () => (await world.control.iam()).checks.filter((c) => !c.granted);
      const failedOver = await waitForPhase(h, [...WAITING_PHASES, ...FINAL_PHASES], 60_000);
      expect(await denied()).toEqual([]);
      expect(failedOver.phase).toBe('on_standby');
      await world.control.revivePrimary(name[k]!);
      await h.executeUpdate(requestFailback, { args: [{ by: 'test' }] });
      const end = await waitForPhase(h, [...FINAL_PHASES, 'needs_attention'], 60_000);
      expect(await denied()).toEqual([]);
      expect(end).toMatchObject({ phase: 'resolved', warnings: [] });

      const { checks } = await world.control.iam();
      const calls = await world.control.calls(seq);
      expect(checks.length, 'a permission check per call at least').toBeGreaterThanOrEqual(calls.length);
      const declared = leverTypes(k).flatMap(declaredOf);
      expect(checks.filter((c) => !covers(declared, c.permission))).toEqual([]);
      expect(declared.filter((p) => !checks.some((c: PermissionCheck) => covers([p], c.permission)))).toEqual([]);
    },
    120_000,
  );
});

let alerts = 0;

/** A failover on site `k` with the identity narrowed by `narrow`: undone, and why (the world ends as it began). */
async function undoneFailover(k: string, narrow: () => Promise<void>): Promise<IncidentStatus> {
  await exactlyDocumented(k);
  await narrow();
  const start = world.snapshot();
  await world.control.killPrimary(name[k]!);
  try {
    const h = await trigger(client, world.config, worker.taskQueue, name[k]!, `alert-undone-${++alerts}`);
    const waiting = await waitForPhase(h, [...WAITING_PHASES, ...FINAL_PHASES], 60_000);
    expect(waiting.phase).toBe('needs_attention');
    await h.signal(acknowledge, { by: 'test' });
    const end = await waitForPhase(h, 'rolled_back');
    expect(diff(start, world.snapshot())).toEqual([]);
    return end;
  } finally {
    await world.control.revivePrimary(name[k]!);
    await world.control.changeIam({ reset: true });
  }
}

describe('an incident outside the documented grants', () => {
  test('without the standby-access role the failover is undone, naming the permission; not retried', async () => {
    const end = await undoneFailover('redirect', async () => {
      await world.control.changeIam({
        grants: grantsFor('redirect', (r) => (r.type === 'cloud-run' ? undefined : r.grant)),
      });
    });
    expect(end.cause).toMatch(/PermissionDenied: .*permission run\.services\.get denied/);
    expect(end.steps.find((st) => st.name === 'enable_standby_access')).toMatchObject({
      outcome: 'failed',
      attempts: 1,
    });
  });

  test('without the warm-up role the failover is undone at warm_standby, naming run.services.update', async () => {
    const end = await undoneFailover('warm', async () => {
      await world.control.changeIam({ grants: grantsFor('warm', (r) => (r.type === WARMUP ? undefined : r.grant)) });
    });
    expect(end.cause).toMatch(/warm_standby: .*run\.services\.update/);
    expect(end.steps.find((st) => st.name === 'warm_standby')).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(end.steps.some((st) => st.name === 'enable_standby_access')).toBe(false);
  });

  test('domain-restricted sharing: the failover is undone, naming the org policy and always-open', async () => {
    const end = await undoneFailover('dns', async () => {
      await world.control.changeIam({ restrictMemberDomains: true });
    });
    expect(end.cause).toMatch(/enable_standby_access: .*constraints\/iam\.allowedPolicyMemberDomains/);
    expect(end.cause).toMatch(/always-open/);
    expect(end.steps.find((st) => st.name === 'enable_standby_access')).toMatchObject({
      outcome: 'failed',
      attempts: 1,
    });
  });
});

// ---- and each one removed -------------------------------------------------------------------

let registry: ProviderRegistry | undefined;

/** The lever a row's type moves, on site `k`, and the position a failover moves it to. */
function leverOf(k: string, type: string): { lever: Lever<string>; to: string } {
  const providers = (registry ??= buildRegistry(world.config, { env: world.env })).forSite(name[k]!);
  if (type === 'cloud-run') return { lever: providers.standbyAccess, to: 'open' };
  if (type === 'cloud-monitoring') return { lever: providers.monitor, to: 'paused' };
  if (type === WARMUP) return { lever: providers.warmup!, to: 'warm' };
  return { lever: providers.traffic, to: 'standby' };
}
const siteWith = (type: string) => Object.keys(MODES).find((k) => leverTypes(k).includes(type))!;

/** Moves the lever and back; the error it failed with, if any (the lever is put back either way). */
async function moveAndBack(k: string, type: string, narrow: () => Promise<void>): Promise<unknown> {
  const { lever, to } = leverOf(k, type);
  await exactlyDocumented(k);
  const before = await lever.read();
  await narrow();
  try {
    await lever.restore((await lever.set(to)).before);
    return undefined;
  } catch (err) {
    await exactlyDocumented(k);
    await lever.restore(before);
    return err;
  }
}

describe('without one documented grant or declared permission', () => {
  test.each(roleTable().map((r) => r.type))('%s: its grant removed, the lever fails', async (type) => {
    const k = siteWith(type);
    const err = await moveAndBack(k, type, async () => {
      if (SCOPE[type])
        await world.control.changeIam({ grants: grantsFor(k, (x) => (x.type === type ? undefined : x.grant)) });
      else await world.control.setCloudflareToken([]);
    });
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('permission');
  });

  const google = roleTable().flatMap((r) => (SCOPE[r.type] ? r.permissions.map((p) => [r.type, p] as const) : []));
  test.each(google)('%s without %s: fails naming it', async (type, permission) => {
    const err = await moveAndBack(siteWith(type), type, async () => {
      await world.control.changeIam({ revokePermissions: [permission] });
    });
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('permission');
    expect((err as ProviderError).message).toContain(permission);
  });

  test('the predefined roles the table names also work; roles/run.developer cannot open the standby', async () => {
    for (const r of roleTable().filter((x) => SCOPE[x.type])) {
      const k = siteWith(r.type);
      const err = await moveAndBack(k, r.type, async () => {
        await world.control.changeIam({ grants: grantsFor(k, (x) => (x.type === r.type ? r.alternative : x.grant)) });
      });
      expect(err, `${r.type} with ${r.alternative}`).toBeUndefined();
    }
    const k = siteWith('cloud-run');
    const err = await moveAndBack(k, 'cloud-run', async () => {
      await world.control.changeIam({
        grants: grantsFor(k, (x) => (x.type === 'cloud-run' ? 'roles/run.developer' : x.grant)),
      });
    });
    expect((err as ProviderError).message).toContain('run.services.setIamPolicy');
  });
});

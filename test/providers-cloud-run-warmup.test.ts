// The warmed standby's lever (issue 18) through the real @google-cloud/run client (REST transport)
// against the simulator: the service-level minimum raised with an update mask and a long-running
// operation, no new revision, restored exactly to the value read; the permissions it needs, exactly.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CloudRunWarmup, WARMUP_PERMISSIONS } from '../activities/providers/google/cloud-run/warmup.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { providerError, sandboxClients, type SandboxClients } from './support/sandbox.ts';

let world: SandboxWorld;
let clients: SandboxClients;
beforeAll(async () => {
  world = await startSandboxWorld({ seed: 18, sites: ['warm-a', 'warm-b', 'warm-c'], propagationDelayMs: 600 });
  clients = sandboxClients(world);
});
afterAll(async () => {
  await clients?.close();
  await world?.stop();
});
beforeEach(async () => {
  // The warm-up needs run.services.update and run.operations.get, beyond the standby-access role.
  await world.control.changeIam({ reset: true, grants: [{ role: 'roles/run.developer' }], clearChecks: true });
});

const warmup = (site: string, minInstances = 2) =>
  new CloudRunWarmup({
    client: clients.run,
    project: 'sandbox-project',
    region: 'europe-west1',
    service: `${site}-standby`,
    minInstances,
    timeoutMs: 2_000,
  });
const service = (site: string) => world.api.state.service(world.sites[site]!.serviceName)!;
const getService = async (site: string) => (await clients.run.getService({ name: world.sites[site]!.serviceName }))[0];

describe('Cloud Run warm-up (service-level minimum instances)', () => {
  test('raises the minimum with one masked update and its operation, no new revision; restores it exactly', async () => {
    const w = warmup('warm-a');
    const start = world.snapshot();
    const before = await getService('warm-a');
    const seq = await world.control.seq();

    const t0 = Date.now();
    const warmed = await w.set('warm');
    const took = Date.now() - t0;
    expect(warmed).toMatchObject({ changed: true, before: { minInstanceCount: 0 } });
    expect(took).toBeGreaterThanOrEqual(600); // waited for the operation (the simulated reconciliation)
    const after = await getService('warm-a');
    expect(after.scaling?.minInstanceCount).toBe(2);
    expect(after.latestReadyRevision).toBe(before.latestReadyRevision);
    expect(after.latestCreatedRevision).toBe(before.latestCreatedRevision);
    expect(Number(after.generation)).toBe(Number(before.generation) + 1);
    expect(world.diff(start, world.snapshot())).toEqual([
      { path: `run.${world.sites['warm-a']!.serviceName}.minInstanceCount`, from: undefined, to: 2 },
    ]);
    expect((await w.set('warm')).changed).toBe(false);

    const restored = await w.restore(warmed.before);
    expect(restored).toMatchObject({ changed: true, before: { minInstanceCount: 2 } });
    expect((await w.restore(warmed.before)).changed).toBe(false);
    expect(world.diff(start, world.snapshot())).toEqual([]);
    expect((await getService('warm-a')).scaling?.minInstanceCount ?? 0).toBe(0);

    const calls = await world.control.calls(seq);
    const ops = calls.map((c) => c.op);
    expect(ops.filter((o) => o === 'updateService')).toHaveLength(2);
    expect(ops).toContain('getOperation');
    const audit = await world.control.audit(seq);
    expect(audit.filter((e) => e.effect).map((e) => e.op)).toEqual(['updateService', 'updateService']);
  });

  test('puts back a minimum the service had, and never lowers a higher one', async () => {
    service('warm-b').minInstanceCount = 1;
    const w = warmup('warm-b', 3);
    const warmed = await w.set('warm');
    expect(warmed.before).toEqual({ minInstanceCount: 1 });
    expect(service('warm-b').minInstanceCount).toBe(3);
    await w.restore(warmed.before);
    expect(service('warm-b').minInstanceCount).toBe(1);

    service('warm-b').minInstanceCount = 5;
    const higher = await w.set('warm');
    expect(higher).toMatchObject({ changed: false, before: { minInstanceCount: 5 } });
    expect((await w.restore(higher.before)).changed).toBe(false);
    expect(service('warm-b').minInstanceCount).toBe(5);
    service('warm-b').minInstanceCount = 0;
  });

  test('needs exactly run.services.get, run.services.update and run.operations.get', async () => {
    const w = warmup('warm-c');
    await w.restore(await w.set('warm').then((c) => c.before));
    const checked = new Set((await world.control.iam()).checks.map((c) => c.permission));
    expect([...checked].sort()).toEqual([...WARMUP_PERMISSIONS].sort());

    for (const permission of WARMUP_PERMISSIONS) {
      await world.control.changeIam({
        reset: true,
        grants: [{ role: 'roles/run.developer' }],
        revokePermissions: [permission],
      });
      const err = await providerError(w.set('warm'));
      expect(err.kind).toBe('permission');
      expect(err.message).toContain(permission);
      service('warm-c').minInstanceCount = 0; // an update that landed before its operation's read was refused
    }
    // The grants every site needs (standby access) do not cover it; the warm-up's own role, on the
    // project (docs/production.md, the standby.warmup row), does.
    await world.control.changeIam({ reset: true });
    expect((await providerError(w.set('warm'))).message).toContain('run.services.update');
    const warmupRole = { role: 'projects/sandbox-project/roles/failoverStandbyWarmup', on: 'projects/sandbox-project' };
    await world.control.changeIam({ reset: true, grants: [warmupRole] });
    await w.restore((await w.set('warm')).before);
    // On the service alone it is not enough: the update's operation is a project resource.
    await world.control.changeIam({ reset: true, grants: [{ ...warmupRole, on: world.sites['warm-c']!.serviceName }] });
    expect((await providerError(w.set('warm'))).message).toContain('run.operations.get');
    service('warm-c').minInstanceCount = 0;
  });

  test('refuses a minimum that is not a whole number of at least one', () => {
    expect(() => warmup('warm-a', 0)).toThrow(/minInstances/);
    expect(() => warmup('warm-a', 1.5)).toThrow(/minInstances/);
  });
});

describe("the sandbox standby's cold start (what the warm-up avoids; the drill's --cold-start)", () => {
  test('the first page after idling waits for an instance, unless the service keeps a minimum', async () => {
    const cold = await startSandboxWorld({
      sites: [
        { name: 'cold', access: 'always-open' },
        { name: 'kept', access: 'always-open' },
      ],
      coldStartMs: 800,
    });
    try {
      const timed = async (url: string) => {
        const t = Date.now();
        const res = await fetch(url);
        await res.text();
        return Date.now() - t;
      };
      const [first, during] = await Promise.all([
        timed(cold.urls.sites.cold!.standby),
        timed(cold.urls.sites.cold!.standby),
      ]);
      expect(first).toBeGreaterThanOrEqual(750);
      expect(during).toBeGreaterThanOrEqual(700); // waits for the same instance to start
      expect(await timed(cold.urls.sites.cold!.standby)).toBeLessThan(400);
      cold.api.state.service(cold.sites.kept!.serviceName)!.minInstanceCount = 1;
      expect(await timed(cold.urls.sites.kept!.standby)).toBeLessThan(400);
    } finally {
      await cold.stop();
    }
  });
});

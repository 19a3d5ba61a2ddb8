// Standby access on Cloud Run through the real @google-cloud/run client (REST transport) against
// the simulator: open/close, idempotence, etag conflicts, bindings kept, invokerIamDisabled, errors.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { toFailure } from '../activities/errors.ts';
import { CloudRunStandbyAccess } from '../activities/providers/google/cloud-run/adapter.ts';
import { diff, startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import {
  effectiveMutations,
  providerError,
  retryable,
  sandboxClients,
  type SandboxClients,
} from './support/sandbox.ts';

let world: SandboxWorld;
let clients: SandboxClients;

const CONDITIONAL = { expression: 'request.time < timestamp("2030-01-01T00:00:00Z")', title: 'until 2030' };

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 11,
    sites: [
      'run-a',
      'run-b',
      { name: 'run-off', invokerIamDisabled: true },
      {
        name: 'run-cond',
        bindings: [
          { role: 'roles/run.invoker', members: ['group:temps@example.test'], condition: CONDITIONAL },
          { role: 'roles/run.invoker', members: ['user:a@example.test'] },
          { role: 'roles/run.admin', members: ['user:admin@example.test'] },
        ],
      },
    ],
  });
  clients = sandboxClients(world);
});
afterAll(async () => {
  await clients?.close();
  await world?.stop();
});
afterEach(async () => {
  await world.control.clearFaults();
});

const access = (site: string, opts: { timeoutMs?: number; conflictRetries?: number; service?: string } = {}) =>
  new CloudRunStandbyAccess({
    client: clients.run,
    project: 'sandbox-project',
    region: 'europe-west1',
    service: opts.service ?? `${site}-standby`,
    timeoutMs: 2_000,
    ...opts,
  });
const serviceName = (site: string) => world.sites[site]!.serviceName;
const standbyStatus = async (site: string) => (await fetch(world.urls.sites[site]!.standby)).status;

describe('Cloud Run standby access', () => {
  test('opens and closes allUsers on roles/run.invoker; a repeat sends no second write', async () => {
    const a = access('run-a');
    const start = world.snapshot();
    const seq = await world.control.seq();
    expect(await standbyStatus('run-a')).toBe(403);

    const opened = await a.set('open');
    expect(opened).toMatchObject({ changed: true, before: { allUsersInvoker: false, invokerIamDisabled: false } });
    expect(await a.read()).toEqual({ allUsersInvoker: true, invokerIamDisabled: false });
    expect(await standbyStatus('run-a')).toBe(200);
    const again = await a.set('open');
    expect(again.changed).toBe(false);

    const closed = await a.restore(opened.before);
    expect(closed).toMatchObject({ changed: true, before: { allUsersInvoker: true } });
    expect((await a.restore(opened.before)).changed).toBe(false);
    expect(await standbyStatus('run-a')).toBe(403);

    const audit = await world.control.audit(seq);
    expect(audit.map((e) => [e.op, e.status, e.effect])).toEqual([
      ['setIamPolicy', 200, true],
      ['setIamPolicy', 200, true],
    ]);
    expect(diff(start, world.snapshot())).toEqual([]);
  });

  test('every other binding and member is kept; conditional bindings come back whole (policy v3)', async () => {
    const a = access('run-cond');
    const start = world.snapshot();
    const opened = await a.set('open');
    expect(opened.changed).toBe(true);
    const bindings = world.snapshot().run[serviceName('run-cond')]!.bindings;
    expect(bindings).toEqual([
      { role: 'roles/run.admin', members: ['user:admin@example.test'] },
      { role: 'roles/run.invoker', members: ['allUsers', 'user:a@example.test'] },
      // The conditional invoker binding did not get allUsers.
      { role: 'roles/run.invoker', members: ['group:temps@example.test'], condition: CONDITIONAL },
    ]);
    await a.restore(opened.before);
    expect(diff(start, world.snapshot())).toEqual([]);
  });

  test('an etag conflict (a concurrent writer) is read again and retried, and the other change survives', async () => {
    const a = access('run-b');
    const seq = await world.control.seq();
    await world.control.addFault({
      op: 'setIamPolicy',
      resource: 'run-b',
      etagConflict: true,
      concurrentBinding: { role: 'roles/run.developer', member: 'user:new-dev@example.test' },
      times: 1,
    });
    const opened = await a.set('open');
    expect(opened.changed).toBe(true);
    expect(opened.summary).toMatch(/after 1 etag conflict/);
    expect((await world.control.audit(seq)).map((e) => [e.op, e.status])).toEqual([
      ['concurrentEdit', 200],
      ['setIamPolicy', 409],
      ['setIamPolicy', 200],
    ]);
    const developer = () =>
      world.snapshot().run[serviceName('run-b')]!.bindings.find((b) => b.role === 'roles/run.developer');
    expect(developer()!.members).toEqual(['user:new-dev@example.test', 'user:ops@example.test']);

    await a.restore(opened.before);
    expect(await a.read()).toEqual({ allUsersInvoker: false, invokerIamDisabled: false });
    expect(developer()!.members).toContain('user:new-dev@example.test');
  });

  test('conflicts that do not stop end in a retryable conflict error', async () => {
    const a = access('run-b', { conflictRetries: 3 });
    const seq = await world.control.seq();
    await world.control.addFault({ op: 'setIamPolicy', resource: 'run-b', etagConflict: true });
    const err = await providerError(a.set('open'));
    expect(err.kind).toBe('conflict');
    expect(retryable(err)).toBe(true);
    expect((await world.control.audit(seq)).filter((e) => e.op === 'setIamPolicy').map((e) => e.status)).toEqual([
      409, 409, 409,
    ]);
    expect(await a.read()).toMatchObject({ allUsersInvoker: false });
  });

  test('a service with the invoker IAM check disabled is reported, never pretended closed', async () => {
    const a = access('run-off');
    const seq = await world.control.seq();
    const opened = await a.set('open');
    expect(opened).toMatchObject({ changed: false, before: { invokerIamDisabled: true } });
    expect(opened.summary).toMatch(/invoker IAM check disabled/);
    const err = await providerError(a.set('closed'));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(/invokerIamDisabled: true/);
    expect(retryable(err)).toBe(false);
    const restored = await a.restore(opened.before);
    expect(restored.changed).toBe(false);
    expect(restored.summary).toMatch(/left as it was/);
    expect(await world.control.audit(seq)).toEqual([]);
  });

  describe('errors name the resource and the permission; only transient ones are retried', () => {
    const cases: Array<[string, Parameters<SandboxWorld['control']['addFault']>[0], string, boolean, RegExp]> = [
      [
        '403 on setIamPolicy',
        { op: 'setIamPolicy', status: 403 },
        'permission',
        false,
        /run\.services\.setIamPolicy.*roles\/run\.admin/,
      ],
      ['403 on getIamPolicy', { op: 'getIamPolicy', status: 403 }, 'permission', false, /run\.services\.getIamPolicy/],
      [
        '401 on getService',
        { op: 'getService', status: 401 },
        'permission',
        false,
        /not authenticated.*Application Default Credentials.*run\.services\.get/,
      ],
      ['400 on setIamPolicy', { op: 'setIamPolicy', status: 400 }, 'invalid_config', false, /refused as invalid/],
      [
        '429 with RetryInfo',
        { op: 'getIamPolicy', status: 429, retryAfterSeconds: 7 },
        'rate_limited',
        true,
        /rate limited, retry after 7000 ms/,
      ],
      ['500', { op: 'setIamPolicy', status: 500 }, 'unavailable', true, /unavailable/],
      ['503', { op: 'getService', status: 503 }, 'unavailable', true, /unavailable/],
      ['connection reset', { op: 'getIamPolicy', reset: true }, 'unavailable', true, /unavailable/],
      [
        'no answer (timeout)',
        { op: 'setIamPolicy', timeout: true },
        'unavailable',
        true,
        /Deadline exceeded|did not respond/i,
      ],
    ];
    test.each(cases)('%s', async (_name, fault, kind, isRetryable, message) => {
      const a = access('run-a', { timeoutMs: 500 });
      await world.control.addFault({ ...fault, resource: 'run-a', times: 1 });
      const err = await providerError(a.set('open'));
      expect(err.kind).toBe(kind);
      expect(retryable(err)).toBe(isRetryable);
      expect(err.message).toContain(serviceName('run-a'));
      expect(err.message).toMatch(message);
      if (kind === 'rate_limited') expect(toFailure(err, 1).nextRetryDelay).toBe(7000);
      // Whatever failed, allUsers was not left half-added.
      await world.control.clearFaults();
      expect(await access('run-a').read()).toMatchObject({ allUsersInvoker: false });
    });

    test('404: a service that does not exist', async () => {
      const err = await providerError(access('run-a', { service: 'no-such-service' }).set('open'));
      expect(err.kind).toBe('not_found');
      expect(retryable(err)).toBe(false);
      expect(err.message).toContain('projects/sandbox-project/locations/europe-west1/services/no-such-service');
    });
  });

  test('domain-restricted sharing refuses allUsers: named, not retried, pointing to always-open', async () => {
    await world.control.changeIam({ restrictMemberDomains: true });
    try {
      const err = await providerError(access('run-a').set('open'));
      expect(err.kind).toBe('invalid_config');
      expect(retryable(err)).toBe(false);
      expect(err.message).toContain(serviceName('run-a'));
      expect(err.message).toMatch(/constraints\/iam\.allowedPolicyMemberDomains.*domain-restricted sharing/);
      expect(err.message).toMatch(/--no-invoker-iam-check.*always-open/);
      expect(err.message).toContain('do not belong to a permitted customer');
      expect(await access('run-a').read()).toMatchObject({ allUsersInvoker: false });
      // Closing writes no allUsers: the constraint does not stand in its way.
      expect(await access('run-a').set('closed')).toMatchObject({ changed: false });
    } finally {
      await world.control.changeIam({ restrictMemberDomains: false });
    }
  });

  test("a permission outside the identity's roles: the API's own 403, named with a role that has it", async () => {
    await world.control.changeIam({ revokePermissions: ['run.services.setIamPolicy'] });
    try {
      const err = await providerError(access('run-a').set('open'));
      expect(err.kind).toBe('permission');
      expect(retryable(err)).toBe(false);
      expect(err.message).toMatch(
        /permission run\.services\.setIamPolicy denied.*roles\/run\.admin.*Permission 'run\.services\.setIamPolicy' denied on resource 'projects\/sandbox-project\/locations\/europe-west1\/services\/run-a-standby' \(or it may not exist\)/,
      );
    } finally {
      await world.control.changeIam({ reset: true });
    }
  });

  test('the audit shows one effective write per change', async () => {
    const a = access('run-a');
    const seq = await world.control.seq();
    const opened = await a.set('open');
    await a.set('open');
    await a.restore(opened.before);
    await a.restore(opened.before);
    expect(Object.values(effectiveMutations(await world.control.audit(seq)))).toHaveLength(1);
    expect(effectiveMutations(await world.control.audit(seq))[serviceName('run-a')]).toHaveLength(2);
  });
});

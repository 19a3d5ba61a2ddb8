// The monitor lever through the real @google-cloud/monitoring client (REST transport) against the
// simulator: pause/resume with an update mask of just `enabled`, idempotence, restore, errors.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { toFailure } from '../activities/errors.ts';
import { AlertPolicyMonitor } from '../activities/providers/google/monitoring/adapter.ts';
import { diff, startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { providerError, retryable, sandboxClients, type SandboxClients } from './support/sandbox.ts';

let world: SandboxWorld;
let clients: SandboxClients;

beforeAll(async () => {
  world = await startSandboxWorld({ seed: 5, sites: ['mon-a', 'mon-b'] });
  clients = sandboxClients(world);
});
afterAll(async () => {
  await clients?.close();
  await world?.stop();
});
afterEach(async () => {
  await world.control.clearFaults();
});

const policyOf = (site: string) => world.sites[site]!.alertPolicy!;
const monitor = (site: string, opts: { timeoutMs?: number; alertPolicy?: string } = {}) =>
  new AlertPolicyMonitor({
    client: clients.monitoring,
    alertPolicy: opts.alertPolicy ?? policyOf(site),
    timeoutMs: opts.timeoutMs ?? 2_000,
  });

describe('Cloud Monitoring alert policy', () => {
  test('pauses and resumes; only `enabled` is written; a repeat sends no second write', async () => {
    const m = monitor('mon-a');
    const start = world.snapshot();
    const seq = await world.control.seq();
    const paused = await m.set('paused');
    expect(paused).toMatchObject({ changed: true, before: { enabled: true } });
    expect(await m.read()).toEqual({ enabled: false });
    expect((await m.set('paused')).changed).toBe(false);

    // Someone edits the policy meanwhile: the resume must not undo it.
    world.api.state.alertPolicies.get(policyOf('mon-a'))!.displayName = 'renamed while paused';
    const resumed = await m.restore(paused.before);
    expect(resumed).toMatchObject({ changed: true, before: { enabled: false } });
    expect((await m.restore(paused.before)).changed).toBe(false);

    const audit = await world.control.audit(seq);
    expect(audit.map((e) => [e.op, e.effect, e.changes.map((c) => c.path)])).toEqual([
      ['updateAlertPolicy', true, ['enabled']],
      ['updateAlertPolicy', true, ['enabled']],
    ]);
    expect(diff(start, world.snapshot())).toEqual([
      { path: `monitoring.${policyOf('mon-a')}.displayName`, from: 'mon-a is down', to: 'renamed while paused' },
    ]);
  });

  test('resume restores the value it found: a policy already disabled stays disabled', async () => {
    world.api.state.alertPolicies.get(policyOf('mon-b'))!.enabled = false;
    const m = monitor('mon-b');
    const seq = await world.control.seq();
    const paused = await m.set('paused');
    expect(paused).toMatchObject({ changed: false, before: { enabled: false } });
    expect((await m.restore(paused.before)).changed).toBe(false);
    expect(await m.read()).toEqual({ enabled: false });
    expect(await world.control.audit(seq)).toEqual([]);
    world.api.state.alertPolicies.get(policyOf('mon-b'))!.enabled = true;
  });

  describe('errors', () => {
    const cases: Array<[string, Parameters<SandboxWorld['control']['addFault']>[0], string, boolean, RegExp]> = [
      [
        '403 on update',
        { op: 'updateAlertPolicy', status: 403 },
        'permission',
        false,
        /monitoring\.alertPolicies\.update.*roles\/monitoring\.alertPolicyEditor/,
      ],
      ['403 on get', { op: 'getAlertPolicy', status: 403 }, 'permission', false, /monitoring\.alertPolicies\.get/],
      ['400 on update', { op: 'updateAlertPolicy', status: 400 }, 'invalid_config', false, /invalid/],
      [
        '429 with RetryInfo',
        { op: 'updateAlertPolicy', status: 429, retryAfterSeconds: 3 },
        'rate_limited',
        true,
        /retry after 3000 ms/,
      ],
      ['503', { op: 'getAlertPolicy', status: 503 }, 'unavailable', true, /unavailable/],
      ['500', { op: 'updateAlertPolicy', status: 500 }, 'unavailable', true, /unavailable/],
      [
        'no answer (timeout)',
        { op: 'getAlertPolicy', timeout: true },
        'unavailable',
        true,
        /did not respond|deadline/i,
      ],
      ['connection reset', { op: 'updateAlertPolicy', reset: true }, 'unavailable', true, /unavailable/],
    ];
    test.each(cases)('%s', async (_name, fault, kind, isRetryable, message) => {
      await world.control.addFault({ ...fault, times: 1 });
      const err = await providerError(monitor('mon-a', { timeoutMs: 500 }).set('paused'));
      expect(err.kind).toBe(kind);
      expect(retryable(err)).toBe(isRetryable);
      expect(err.message).toContain(policyOf('mon-a'));
      expect(err.message).toMatch(message);
      if (kind === 'rate_limited') expect(toFailure(err, 1).nextRetryDelay).toBe(3000);
      await world.control.clearFaults();
      await monitor('mon-a').set('enabled');
    });

    test('404: a policy that does not exist', async () => {
      const err = await providerError(
        monitor('mon-a', { alertPolicy: 'projects/sandbox-project/alertPolicies/404' }).set('paused'),
      );
      expect(err.kind).toBe('not_found');
      expect(retryable(err)).toBe(false);
      expect(err.message).toContain('projects/sandbox-project/alertPolicies/404');
    });
  });
});

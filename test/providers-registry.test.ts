// clients/providers.ts: config types → adapters, and the token check.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import { HttpProber } from '../activities/providers/http/prober.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { buildRegistry } from '../clients/providers.ts';
import { inMemoryConfig, testWorld } from '../harness/sites.ts';

let world: SandboxWorld;

beforeAll(async () => {
  world = await startSandboxWorld({
    sites: [
      'reg-a',
      { name: 'reg-open', access: 'always-open', monitor: false, traffic: 'dns' },
      { name: 'reg-pr', traffic: 'page-rule' },
    ],
  });
});
afterAll(async () => {
  await world?.stop();
});

describe('buildRegistry', () => {
  test('sandbox sites get the real adapters and the HTTP prober', async () => {
    const p = buildRegistry(world.config, { env: world.env }).forSite('reg-a');
    expect(p.standbyAccess.resource).toBe(world.sites['reg-a']!.serviceName);
    expect(p.traffic.resource).toContain(world.sites['reg-a']!.zoneId);
    expect(p.monitor.resource).toBe(world.sites['reg-a']!.alertPolicy);
    expect(p.prober).toBeInstanceOf(HttpProber);
    expect(p.probe).toEqual({ intervalMs: 100, successesNeeded: 1 });
    expect(await p.prober.check('primary', 'primary')).toMatchObject({ ok: true });
    const open = buildRegistry(world.config, { env: world.env }).forSite('reg-open');
    expect(await open.standbyAccess.set('closed')).toMatchObject({
      changed: false,
      summary: expect.stringContaining('always open'),
    });
    expect(await open.monitor.set('paused')).toMatchObject({ changed: false, summary: 'no monitor configured' });
  });

  test('every adapter tells from a snapshot whether it is already at a position (what a dry run shows)', async () => {
    for (const site of ['reg-a', 'reg-open', 'reg-pr']) {
      const p = buildRegistry(world.config, { env: world.env }).forSite(site);
      const levers = [
        [p.standbyAccess, 'open', 'closed'],
        [p.traffic, 'standby', 'primary'],
        [p.monitor, 'paused', 'enabled'],
      ] as const;
      for (const [lever, wanted, start] of levers) {
        const at = async (pos: string) => (lever.isAt as (p: string, s: object) => boolean)(pos, await lever.read());
        const fixed = site === 'reg-open' && wanted !== 'standby'; // always open, no monitor
        expect(await at(wanted), `${site} ${lever.resource} before`).toBe(fixed);
        if (!fixed) expect(await at(start), `${site} ${lever.resource} start`).toBe(true);
        await (lever.set as (p: string) => Promise<unknown>)(wanted);
        expect(await at(wanted), `${site} ${lever.resource} after`).toBe(true);
        await (lever.set as (p: string) => Promise<unknown>)(start);
      }
    }
  });

  test('a Cloudflare site without CLOUDFLARE_API_TOKEN is an invalid config that names the variable', () => {
    const registry = buildRegistry(world.config, { env: {} });
    expect(() => registry.forSite('reg-a')).toThrow(ProviderError);
    expect(() => registry.forSite('reg-a')).toThrow(/CLOUDFLARE_API_TOKEN is not set/);
  });

  test('in-memory sites keep the in-memory providers and probe', async () => {
    const mem = testWorld();
    const p = buildRegistry(inMemoryConfig(['mem-a']), { world: mem }).forSite('mem-a');
    expect(p.prober).not.toBeInstanceOf(HttpProber);
    expect(await p.prober.check('primary', 'primary')).toEqual({ ok: true, detail: 'primary serves 200' });
    await p.standbyAccess.set('open');
    expect(mem.snapshot('mem-a').standbyAccess).toBe('open');
  });
});

// The HTTP prober against the sandbox's real servers: markers tell the standby from the primary,
// the standby is 403 until opened, redirects, timeouts, cancellation, attempts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpProber, type HttpProberOptions } from '../activities/providers/http/prober.ts';
import { MARKER } from '../sandbox/sites.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';

let world: SandboxWorld;
let hang: Server;
let flaky: Server;
let flakyCount = 0;
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;

beforeAll(async () => {
  world = await startSandboxWorld({ sites: ['probe-a'], propagationDelayMs: 0 });
  hang = createServer(() => {}); // accepts, never answers
  flaky = createServer((_req, res) => {
    flakyCount++;
    if (flakyCount % 2 === 1) res.writeHead(502).end('bad gateway');
    else res.writeHead(200).end(`ok ${MARKER.primary}`);
  });
  await Promise.all([hang, flaky].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});
afterAll(async () => {
  hang?.closeAllConnections();
  await Promise.all([hang, flaky].map((s) => s && new Promise<void>((r) => s.close(() => r()))));
  await world?.stop();
});

function prober(over: Partial<HttpProberOptions> = {}): HttpProber {
  const u = world.urls.sites['probe-a']!;
  return new HttpProber({
    primary: { url: `${u.primary}healthz`, marker: MARKER.primary, expectStatus: 200 },
    standby: { url: u.standby, marker: MARKER.standby, expectStatus: 200 },
    publicUrl: u.public,
    timeoutMs: 1_000,
    ...over,
  });
}

const site = () => world.sites['probe-a']!;
const setAllUsers = (on: boolean) =>
  world.api.state.writeBindings(
    world.api.state.service(site().serviceName)!,
    on ? [{ role: 'roles/run.invoker', members: ['allUsers'] }] : [],
  );

describe('HTTP probe', () => {
  test('the primary serves with its marker; killed, it refuses; in 503 mode, it says 503', async () => {
    const p = prober();
    expect(await p.check('primary', 'primary')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^200 in \d+ ms, marker found$/),
    });
    await world.control.killPrimary('probe-a');
    expect(await p.check('primary', 'primary')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    await world.control.revivePrimary('probe-a');
    await world.control.killPrimary('probe-a', '503');
    expect(await p.check('primary', 'primary')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^503 Service Unavailable/),
    });
    await world.control.revivePrimary('probe-a');
    expect((await p.check('primary', 'primary')).ok).toBe(true);
  });

  test('the standby answers 403 until allUsers may invoke it, after the propagation delay', async () => {
    const p = prober();
    expect(await p.check('standby', 'standby')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^403 Forbidden/),
    });
    await world.control.setPropagationDelay(60_000);
    setAllUsers(true);
    expect((await p.check('standby', 'standby')).ok).toBe(false); // granted, not yet propagated
    await world.control.setPropagationDelay(0);
    expect((await p.check('standby', 'standby')).ok).toBe(true);
    setAllUsers(false);
    expect((await p.check('standby', 'standby')).ok).toBe(false);
  });

  test('the public URL: on the primary it fails "as standby" and names who served; after the switch it follows the redirect', async () => {
    setAllUsers(true);
    const p = prober();
    expect(await p.check('public', 'primary')).toMatchObject({ ok: true });
    expect(await p.check('public', 'standby')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('this is the primary'),
    });
    const rule = world.api.state.zones
      .get(site().zoneId)!
      .rulesets.get(site().rulesetId!)!
      .rules.find((r) => r.id === site().ruleId)!;
    rule.enabled = true;
    expect(await p.check('public', 'standby')).toMatchObject({
      ok: true,
      detail: expect.stringContaining(`redirected to ${world.urls.sites['probe-a']!.standby}`),
    });
    // Without following redirects, a redirect to the expected target passes and one elsewhere does not.
    const noFollow = prober({ followRedirects: false });
    expect(await noFollow.check('public', 'standby')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^302 redirect to/),
    });
    expect(await noFollow.check('public', 'primary')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('expected the primary'),
    });
    rule.enabled = false;
    setAllUsers(false);
  });

  test('markers: without its own marker, a target still fails when the other one answers', async () => {
    const u = world.urls.sites['probe-a']!;
    const p = new HttpProber({
      primary: { url: `${u.primary}healthz`, marker: MARKER.primary, expectStatus: 200 },
      standby: { url: u.public, expectStatus: 200 },
      publicUrl: u.public,
      timeoutMs: 1_000,
    });
    expect(await p.check('standby', 'standby')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('served by the primary'),
    });
  });

  test('a target that never answers fails after the timeout', async () => {
    const p = prober({ primary: { url: urlOf(hang), expectStatus: 200 }, timeoutMs: 300 });
    expect(await p.check('primary', 'primary')).toEqual({
      ok: false,
      detail: `no answer from ${urlOf(hang)} within 300 ms`,
    });
  });

  test('cancellation (the AbortSignal) ends a check at once', async () => {
    const p = prober({ primary: { url: urlOf(hang), expectStatus: 200 }, timeoutMs: 30_000, attempts: 3 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    expect(await p.check('primary', 'primary', controller.signal)).toEqual({ ok: false, detail: 'probe cancelled' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('attempts: a check passes if one of its requests does', async () => {
    flakyCount = 0;
    const one = prober({ primary: { url: urlOf(flaky), marker: MARKER.primary, expectStatus: 200 }, attempts: 1 });
    expect((await one.check('primary', 'primary')).ok).toBe(false);
    flakyCount = 0;
    const two = prober({
      primary: { url: urlOf(flaky), marker: MARKER.primary, expectStatus: 200 },
      attempts: 2,
      attemptDelayMs: 10,
    });
    expect((await two.check('primary', 'primary')).ok).toBe(true);
    expect(flakyCount).toBe(2);
  });

  test('the expected status is configurable', async () => {
    const p = prober({ standby: { url: world.urls.sites['probe-a']!.standby, expectStatus: 403 } });
    expect((await p.check('standby', 'standby')).ok).toBe(true);
  });
});

// Traffic on Cloudflare through the official `cloudflare` SDK against the simulator, in its three
// modes: page rule status, single redirect rule `enabled`, DNS record content (+TTL).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { toFailure } from '../activities/errors.ts';
import { cloudflareClient } from '../activities/providers/cloudflare/client.ts';
import { CloudflareDnsTraffic } from '../activities/providers/cloudflare/dns/adapter.ts';
import { CloudflarePageRuleTraffic } from '../activities/providers/cloudflare/page-rule/adapter.ts';
import { CloudflareRedirectRuleTraffic } from '../activities/providers/cloudflare/redirect-rule/adapter.ts';
import type { TrafficRouter } from '../activities/providers/types.ts';
import type { FaultRule } from '../sandbox/cloud-api/types.ts';
import { diff, startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { effectiveMutations, providerError, retryable } from './support/sandbox.ts';

let world: SandboxWorld;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 3,
    sites: [
      { name: 'cf-page', traffic: 'page-rule' },
      { name: 'cf-redirect', traffic: 'redirect-rule' },
      { name: 'cf-dns', traffic: 'dns' },
    ],
  });
});
afterAll(async () => {
  await world?.stop();
});
afterEach(async () => {
  await world.control.clearFaults();
});

type Mode = 'page' | 'redirect' | 'dns';

function router(
  mode: Mode,
  opts: { token?: string; timeoutMs?: number; rulesetId?: boolean; recordId?: string } = {},
): TrafficRouter {
  const client = cloudflareClient({
    token: opts.token ?? world.env.CLOUDFLARE_API_TOKEN,
    baseURL: world.urls.cloudflare,
    timeoutMs: opts.timeoutMs ?? 2_000,
  });
  const site = world.sites[`cf-${mode}`]!;
  if (mode === 'page')
    return new CloudflarePageRuleTraffic({ client, zoneId: site.zoneId, pageRuleId: site.pageRuleId! });
  if (mode === 'redirect') {
    return new CloudflareRedirectRuleTraffic({
      client,
      zoneId: site.zoneId,
      ruleId: site.ruleId!,
      ...(opts.rulesetId && { rulesetId: site.rulesetId! }),
    });
  }
  return new CloudflareDnsTraffic({
    client,
    zoneId: site.zoneId,
    recordId: opts.recordId ?? site.recordId!,
    primaryContent: site.primaryContent!,
    standbyContent: site.standbyContent!,
    ttl: 60,
  });
}

/** Where the public URL sends a user now: "primary", "standby", or what went wrong. */
async function publicServedBy(mode: Mode): Promise<string> {
  const res = await fetch(world.urls.sites[`cf-${mode}`]!.public);
  const body = await res.text();
  return /served-by: (\w+)/.exec(body)?.[1] ?? `${res.status}`;
}

const EXPECTED_BEFORE: Record<Mode, Record<string, unknown>> = {
  page: { pageRuleStatus: 'disabled' },
  redirect: { redirectRuleEnabled: false },
  dns: { dnsTtl: 60 },
};

describe.each<Mode>(['page', 'redirect', 'dns'])('Cloudflare %s traffic', (mode) => {
  test('routes to the standby and back; a repeat sends no second write; the zone ends as it began', async () => {
    // The standby must be open for the public URL to serve it.
    world.api.state.writeBindings(world.api.state.service(world.sites[`cf-${mode}`]!.serviceName)!, [
      { role: 'roles/run.invoker', members: ['allUsers'] },
    ]);
    const r = router(mode);
    const start = world.snapshot();
    const seq = await world.control.seq();
    expect(await publicServedBy(mode)).toBe('primary');

    const routed = await r.set('standby');
    expect(routed.changed).toBe(true);
    expect(routed.before).toMatchObject(EXPECTED_BEFORE[mode]);
    expect(await publicServedBy(mode)).toBe('standby');
    expect((await r.set('standby')).changed).toBe(false);

    const back = await r.restore(routed.before);
    expect(back.changed).toBe(true);
    expect((await r.restore(routed.before)).changed).toBe(false);
    expect(await publicServedBy(mode)).toBe('primary');

    const writes = (await world.control.audit(seq)).filter((e) => e.effect);
    expect(writes).toHaveLength(2);
    expect(Object.keys(effectiveMutations(writes))).toHaveLength(1);
    expect(diff(start, world.snapshot())).toEqual([]);
  });

  test('a token without the edit permission: not retried, and the message names the permission', async () => {
    const readOnly = `read-only-${mode}`;
    world.api.state.tokens.set(readOnly, new Set(['Page Rules Read', 'Dynamic URL Redirects Read', 'DNS Read']));
    const err = await providerError(router(mode, { token: readOnly }).set('standby'));
    expect(err.kind).toBe('permission');
    expect(retryable(err)).toBe(false);
    expect(err.message).toMatch(
      { page: /Zone\.Page Rules:Edit/, redirect: /Zone\.Single Redirect:Edit/, dns: /Zone\.DNS:Edit/ }[mode],
    );
    expect(err.message).toContain(world.sites[`cf-${mode}`]!.zoneId);
    expect(err.message).not.toContain(readOnly);
  });

  test('an unknown token (401): permission error naming the read permission, and the token never shows', async () => {
    const token = 'not-a-real-token-123456';
    const err = await providerError(router(mode, { token }).set('standby'));
    expect(err.kind).toBe('permission');
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).toMatch(/:Read/);
    expect(err.message).not.toContain(token);
    expect(toFailure(err, 1).message).not.toContain(token);
  });

  const faults: Array<[string, FaultRule, string, boolean]> = [
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 3 }, 'rate_limited', true],
    ['500', { status: 500 }, 'unavailable', true],
    ['503 with Retry-After', { status: 503, retryAfterSeconds: 2 }, 'unavailable', true],
    ['400', { status: 400 }, 'invalid_config', false],
    ['404', { status: 404 }, 'not_found', false],
    ['no answer (timeout)', { timeout: true }, 'unavailable', true],
    ['connection reset', { reset: true }, 'unavailable', true],
  ];
  test.each(faults)('%s on the write', async (_name, fault, kind, isRetryable) => {
    const op = { page: 'pagerules.edit', redirect: 'rules.edit', dns: 'dns_records.edit' }[mode];
    await world.control.addFault({ ...fault, api: 'cloudflare', op, times: 1 });
    const start = world.snapshot();
    const err = await providerError(router(mode, { timeoutMs: 500 }).set('standby'));
    expect(err.kind).toBe(kind);
    expect(retryable(err)).toBe(isRetryable);
    expect(err.message).toContain(world.sites[`cf-${mode}`]!.zoneId);
    if (fault.retryAfterSeconds) {
      expect(err.retryAfterMs).toBe(fault.retryAfterSeconds * 1000);
      expect(toFailure(err, 1).nextRetryDelay).toBe(fault.retryAfterSeconds * 1000);
    }
    expect(diff(start, world.snapshot())).toEqual([]);
  });
});

describe('single redirect rule', () => {
  test('every field of the rule is sent back: only `enabled` changes, the other rules are untouched', async () => {
    const r = router('redirect', { rulesetId: true });
    const start = world.snapshot();
    const seq = await world.control.seq();
    const routed = await r.set('standby');
    const [edit] = await world.control.audit(seq);
    expect(edit).toMatchObject({
      op: 'rules.edit',
      effect: true,
      changes: [{ path: 'enabled', from: false, to: true }],
    });
    const rules = (snap: typeof start) =>
      Object.values(snap.cloudflare[world.sites['cf-redirect']!.zoneId]!.rulesets)[0]!.rules;
    expect(diff(rules(start), rules(world.snapshot()))).toEqual([{ path: '[1].enabled', from: false, to: true }]);
    await r.restore(routed.before);
    expect(diff(start, world.snapshot())).toEqual([]);
  });

  test('the entrypoint is looked up when the ruleset id is not configured; a wrong rule id is not found', async () => {
    const seq = await world.control.seq();
    expect(await router('redirect').read()).toEqual({ redirectRuleEnabled: false });
    expect((await world.control.calls(seq)).map((c) => c.op)).toEqual(['phases.get']);
    const site = world.sites['cf-redirect']!;
    const client = cloudflareClient({ token: world.env.CLOUDFLARE_API_TOKEN, baseURL: world.urls.cloudflare });
    const err = await providerError(
      new CloudflareRedirectRuleTraffic({ client, zoneId: site.zoneId, ruleId: 'f'.repeat(32) }).set('standby'),
    );
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/traffic\.ruleId/);
  });
});

describe('DNS record', () => {
  test('the TTL is switched with the content and restored exactly; other records untouched', async () => {
    const r = router('dns');
    const site = world.sites['cf-dns']!;
    const record = () => world.api.state.zones.get(site.zoneId)!.dnsRecords.get(site.recordId!)!;
    record().ttl = 300; // a record found with a longer TTL than the config's
    const start = world.snapshot();
    const routed = await r.set('standby');
    expect(routed.before).toEqual({ dnsContent: site.primaryContent, dnsTtl: 300 });
    expect([record().content, record().ttl]).toEqual([site.standbyContent, 60]);
    await r.set('primary');
    expect([record().content, record().ttl]).toEqual([site.primaryContent, 60]);
    // A restore puts back the TTL too, even when the content already matches.
    await r.restore(routed.before);
    expect(diff(start, world.snapshot())).toEqual([]);
    record().ttl = 60;
  });

  test('a record that does not exist', async () => {
    const err = await providerError(router('dns', { recordId: '0'.repeat(32) }).set('standby'));
    expect(err.kind).toBe('not_found');
    expect(err.message).toContain(`dns_records/${'0'.repeat(32)}`);
  });
});

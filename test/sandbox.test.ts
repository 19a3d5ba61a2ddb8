// The sandbox itself: wire formats and errors as each API writes them, fault injection (seeded),
// held requests, the audit log, snapshot/diff, the edge, and the control API over HTTP.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../config/load.ts';
import { evaluateExpression } from '../sandbox/traffic/redirect-rule.ts';
import { MARKER } from '../sandbox/sites.ts';
import { SandboxClient, diff, startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';

let world: SandboxWorld;
let remote: SandboxClient;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 1234,
    sites: [
      'sb-redirect',
      { name: 'sb-page', traffic: 'page-rule' },
      { name: 'sb-dns', traffic: 'dns' },
      { name: 'sb-open', access: 'always-open', monitor: false },
    ],
  });
  remote = new SandboxClient(world.urls.api);
});
afterAll(async () => {
  await world?.stop();
});

const api = (path: string, init: RequestInit = {}) => fetch(`${world.urls.api}${path}`, init);
const google = (path: string, init: RequestInit = {}) =>
  api(path, {
    ...init,
    headers: {
      'x-goog-api-key': 'sandbox',
      'content-type': 'application/json',
      ...((init.headers ?? {}) as Record<string, string>),
    },
  });
const cf = (path: string, init: RequestInit = {}, token = world.env.CLOUDFLARE_API_TOKEN) =>
  api(`/client/v4${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });

describe('wire formats and errors, as each API writes them', () => {
  test('Cloud Run: service, IAM policy with etag; a stale etag is 409 ABORTED; no credential is 401', async () => {
    const name = world.sites['sb-redirect']!.serviceName;
    const svc = await (await google(`/v2/${name}`)).json();
    expect(svc).toMatchObject({
      name,
      invokerIamDisabled: false,
      uri: expect.stringMatching(/^https:\/\/.*\.a\.run\.app$/),
    });
    const policy = (await (await google(`/v2/${name}:getIamPolicy?options.requestedPolicyVersion=3`)).json()) as Record<
      string,
      unknown
    >;
    expect(policy).toMatchObject({ version: 1, etag: expect.any(String), bindings: expect.any(Array) });
    const stale = await google(`/v2/${name}:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { ...policy, etag: 'AAAAAAAAAAA=' } }),
    });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: { code: 409, status: 'ABORTED' } });
    const anonymous = await api(`/v2/${name}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
    const missing = await google('/v2/projects/p/locations/r/services/nope');
    expect(await missing.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  test("IAM: a call outside the identity's roles is Google's 403 PERMISSION_DENIED; domain-restricted sharing refuses allUsers; over HTTP", async () => {
    const name = world.sites['sb-redirect']!.serviceName;
    const alert = world.sites['sb-redirect']!.alertPolicy!;
    try {
      // Only the Cloud Run viewer role on the service: reads pass, a write and another API do not.
      await remote.changeIam({ grants: [{ role: 'roles/run.viewer', on: name }], clearChecks: true });
      const policy = (await (
        await google(`/v2/${name}:getIamPolicy?options.requestedPolicyVersion=3`)
      ).json()) as object;
      const set = await google(`/v2/${name}:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy }) });
      expect(set.status).toBe(403);
      expect(await set.json()).toEqual({
        error: {
          code: 403,
          message: `Permission 'run.services.setIamPolicy' denied on resource '${name}' (or it may not exist).`,
          status: 'PERMISSION_DENIED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'IAM_PERMISSION_DENIED',
              domain: 'iam.googleapis.com',
              metadata: { permission: 'run.services.setIamPolicy', resource: name },
            },
          ],
        },
      });
      expect((await google(`/v3/${alert}`)).status).toBe(403);
      // Denied before the lookup: a service that does not exist is 403 too, as IAM answers.
      expect((await google('/v2/projects/p/locations/r/services/nope')).status).toBe(403);
      const { checks } = await remote.iam();
      expect(checks.slice(0, 3)).toEqual([
        { system: 'google', permission: 'run.services.getIamPolicy', resource: name, granted: true },
        { system: 'google', permission: 'run.services.setIamPolicy', resource: name, granted: false },
        { system: 'google', permission: 'monitoring.alertPolicies.get', resource: alert, granted: false },
      ]);

      await remote.changeIam({ reset: true, restrictMemberDomains: true });
      const open = { policy: { ...policy, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } };
      const refused = await google(`/v2/${name}:setIamPolicy`, { method: 'POST', body: JSON.stringify(open) });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: {
          code: 400,
          status: 'FAILED_PRECONDITION',
          message: expect.stringContaining(
            'One or more users named in the policy do not belong to a permitted customer',
          ),
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
              violations: [{ type: 'constraints/iam.allowedPolicyMemberDomains', subject: 'allUsers' }],
            },
          ],
        },
      });
      await expect(remote.changeIam({ grants: [{ role: 'roles/no.such' }] })).rejects.toThrow(/does not know the role/);
      await remote.setCloudflareToken(['DNS Write']);
      const s = world.sites['sb-page']!;
      expect((await cf(`/zones/${s.zoneId}/pagerules/${s.pageRuleId}`)).status).toBe(403);
    } finally {
      await remote.changeIam({ reset: true });
      await remote.setCloudflareToken(['Page Rules Write', 'Dynamic URL Redirects Write', 'DNS Write']);
    }
    expect((await google(`/v2/${name}`)).status).toBe(200);
  });

  test('Cloud Monitoring: PATCH with updateMask changes that field only; without a mask it replaces the policy', async () => {
    const name = world.sites['sb-redirect']!.alertPolicy!;
    const before = world.snapshot();
    const masked = await google(`/v3/${name}?updateMask=enabled`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: false, displayName: 'ignored' }),
    });
    expect(await masked.json()).toMatchObject({ enabled: false, displayName: 'sb-redirect is down' });
    const unmasked = await google(`/v3/${name}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
    expect(unmasked.status).toBe(400); // the replacement has no conditions
    const bad = await google(`/v3/${name}?updateMask=nonsense`, { method: 'PATCH', body: '{}' });
    expect(await bad.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } });
    await google(`/v3/${name}?updateMask=enabled`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
    expect(diff(before, world.snapshot())).toEqual([]);
  });

  test('Cloudflare: the v4 envelope; a rule PATCH without its fields is refused; tokens and permissions', async () => {
    const s = world.sites['sb-redirect']!;
    const entry = (await (
      await cf(`/zones/${s.zoneId}/rulesets/phases/http_request_dynamic_redirect/entrypoint`)
    ).json()) as { result: { rules: unknown[] } };
    expect(entry).toMatchObject({
      success: true,
      errors: [],
      messages: [],
      result: { id: s.rulesetId, phase: 'http_request_dynamic_redirect' },
    });
    expect(entry.result.rules).toHaveLength(3);
    const partial = await cf(`/zones/${s.zoneId}/rulesets/${s.rulesetId}/rules/${s.ruleId}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: true }),
    });
    expect(partial.status).toBe(400);
    expect(await partial.json()).toMatchObject({ success: false, errors: [{ code: 20021 }], result: null });
    expect((await cf(`/zones/${s.zoneId}/pagerules/x`, {}, 'wrong')).status).toBe(401);
    world.api.state.tokens.set('dns-only', new Set(['DNS Write']));
    expect(await (await cf(`/zones/${s.zoneId}/rulesets/${s.rulesetId}`, {}, 'dns-only')).json()).toMatchObject({
      success: false,
      errors: [{ code: 10000, message: 'Authentication error' }],
    });
    expect((await cf(`/zones/${'0'.repeat(32)}/dns_records/x`)).status).toBe(404);
  });
});

describe('fault injection', () => {
  test('injected statuses use the API error format, with Retry-After (and RetryInfo for Google)', async () => {
    await remote.addFault({ api: 'run', op: 'getService', status: 429, retryAfterSeconds: 4, times: 1 });
    const res = await google(`/v2/${world.sites['sb-redirect']!.serviceName}`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('4');
    expect(await res.json()).toMatchObject({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '4s' }],
      },
    });
    await remote.addFault({ api: 'cloudflare', status: 503, times: 1 });
    const cfRes = await cf(`/zones/${world.sites['sb-page']!.zoneId}/pagerules/${world.sites['sb-page']!.pageRuleId}`);
    expect(cfRes.status).toBe(503);
    expect(await cfRes.json()).toMatchObject({ success: false, errors: [{ code: expect.any(Number) }] });
    // times: 1 — the next call is fine.
    expect((await google(`/v2/${world.sites['sb-redirect']!.serviceName}`)).status).toBe(200);
  });

  test('an error rate is drawn from the seed: the same seed gives the same sequence', async () => {
    const run = async (seed: number) => {
      const w = await startSandboxWorld({ seed, sites: ['sb-seeded'] });
      await w.control.addFault({ api: 'run', op: 'getService', status: 500, rate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) {
        statuses.push(
          (await fetch(`${w.urls.api}/v2/${w.sites['sb-seeded']!.serviceName}`, { headers: { 'x-goog-api-key': 'k' } }))
            .status,
        );
      }
      await w.stop();
      return statuses;
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  test('latency delays the answer; reset and timeout give no answer at all', async () => {
    const url = `/v2/${world.sites['sb-redirect']!.serviceName}`;
    await remote.addFault({ op: 'getService', latencyMs: 300, times: 1 });
    const t0 = Date.now();
    expect((await google(url)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await remote.addFault({ op: 'getService', reset: true, times: 1 });
    await expect(google(url)).rejects.toThrow();
    await remote.addFault({ op: 'getService', timeout: true, times: 1 });
    await expect(google(url, { signal: AbortSignal.timeout(300) })).rejects.toThrow(/abort|timeout/i);
    const calls = (await remote.calls()).slice(-3);
    expect(calls.map((c) => c.fault)).toEqual(['latency 300ms', 'reset', 'timeout']);
  });

  test('held requests: "before" is applied only once released; "after" is applied but answered only once released', async () => {
    const s = world.sites['sb-page']!;
    const path = `/zones/${s.zoneId}/pagerules/${s.pageRuleId}`;
    const status = () => world.api.state.zones.get(s.zoneId)!.pageRules.get(s.pageRuleId!)!.status;
    await remote.addFault({ op: 'pagerules.edit', hold: 'before', times: 1 });
    const first = cf(path, { method: 'PATCH', body: JSON.stringify({ status: 'active' }) });
    const held = await remote.waitForHeld({ op: 'pagerules.edit', stage: 'before' }, 5_000);
    expect(status()).toBe('disabled');
    expect(await remote.release(held.id)).toBe(1);
    expect((await first).status).toBe(200);
    expect(status()).toBe('active');

    await remote.addFault({ op: 'pagerules.edit', hold: 'after', times: 1 });
    const second = cf(path, { method: 'PATCH', body: JSON.stringify({ status: 'disabled' }) });
    await remote.waitForHeld({ op: 'pagerules.edit', stage: 'after' }, 5_000);
    expect(status()).toBe('disabled');
    await remote.release(undefined, { drop: true });
    await expect(second).rejects.toThrow(); // the answer never came
    expect(
      (await remote.audit())
        .filter((e) => e.op === 'pagerules.edit')
        .map((e) => e.effect)
        .slice(-2),
    ).toEqual([true, true]);
  });

  test('faults are listed, removed one by one or all together', async () => {
    const id = await remote.addFault({ api: 'monitoring', status: 500 });
    await remote.addFault({ api: 'run', status: 500 });
    expect((await remote.faults()).map((f) => f.api)).toEqual(['monitoring', 'run']);
    await remote.removeFault(id);
    expect((await remote.faults()).map((f) => f.api)).toEqual(['run']);
    await remote.clearFaults();
    expect(await remote.faults()).toEqual([]);
  });
});

describe('sites and the edge', () => {
  const served = async (site: string) => {
    const res = await fetch(world.urls.sites[site]!.public);
    const body = await res.text();
    return body.includes(MARKER.standby) ? 'standby' : body.includes(MARKER.primary) ? 'primary' : res.status;
  };

  test('the standby is 403 until allUsers may invoke it (after the propagation delay); always-open sites are public', async () => {
    const s = world.sites['sb-dns']!;
    const standby = () => fetch(world.urls.sites['sb-dns']!.standby).then((r) => r.status);
    expect(await standby()).toBe(403);
    await remote.setPropagationDelay(200);
    world.api.state.writeBindings(world.api.state.service(s.serviceName)!, [
      { role: 'roles/run.invoker', members: ['allUsers'] },
    ]);
    expect(await standby()).toBe(403);
    await new Promise((r) => setTimeout(r, 250));
    expect(await standby()).toBe(200);
    await remote.setPropagationDelay(0);
    world.api.state.writeBindings(world.api.state.service(s.serviceName)!, []);
    expect(await standby()).toBe(403);
    expect(await fetch(world.urls.sites['sb-open']!.standby).then((r) => r.status)).toBe(200);
  });

  test('the edge proxies to the origin, shows 521 when it is down, and follows the DNS record', async () => {
    expect(await served('sb-redirect')).toBe('primary');
    await remote.killPrimary('sb-redirect');
    expect(await served('sb-redirect')).toBe(521);
    expect((await remote.info()).sites['sb-redirect']!.primaryUp).toBe(false);
    await remote.revivePrimary('sb-redirect');
    expect(await served('sb-redirect')).toBe('primary');
    const s = world.sites['sb-dns']!;
    world.api.state.writeBindings(world.api.state.service(s.serviceName)!, [
      { role: 'roles/run.invoker', members: ['allUsers'] },
    ]);
    world.api.state.zones.get(s.zoneId)!.dnsRecords.get(s.recordId!)!.content = s.standbyContent;
    expect(await served('sb-dns')).toBe('standby');
    world.api.state.zones.get(s.zoneId)!.dnsRecords.get(s.recordId!)!.content = s.primaryContent;
    world.api.state.writeBindings(world.api.state.service(s.serviceName)!, []);
  });

  test('redirects keep the path and, when asked, the query; the other rules still apply', async () => {
    const s = world.sites['sb-redirect']!;
    const rules = world.api.state.zones.get(s.zoneId)!.rulesets.get(s.rulesetId!)!.rules;
    rules.find((r) => r.id === s.ruleId)!.enabled = true;
    const res = await fetch(`${world.urls.sites['sb-redirect']!.public}docs/a?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${world.urls.sites['sb-redirect']!.standby}docs/a?x=1`);
    const old = await fetch(`${world.urls.sites['sb-redirect']!.public}old-blog`, { redirect: 'manual' });
    expect([old.status, old.headers.get('location')]).toEqual([301, 'http://127.0.0.1/blog']);
    rules.find((r) => r.id === s.ruleId)!.enabled = false;
    expect(await served('sb-redirect')).toBe('primary');
  });

  test('the rule expressions the edge understands', () => {
    const f = { host: 'www.example.test', path: '/blog/x', query: '' };
    expect(evaluateExpression('(http.host eq "www.example.test")', f)).toBe(true);
    expect(evaluateExpression('http.host ne "www.example.test"', f)).toBe(false);
    expect(
      evaluateExpression('starts_with(http.request.uri.path, "/blog") and http.host == "www.example.test"', f),
    ).toBe(true);
    expect(evaluateExpression('(http.request.uri.path eq "/x") or false', f)).toBe(false);
    expect(evaluateExpression('true', f)).toBe(true);
  });

  test('overrides make any server answer a status, over HTTP too', async () => {
    await remote.setOverride('sb-page', 'edge', 502);
    expect(await served('sb-page')).toBe(502);
    await remote.setOverride('sb-page', 'edge', null);
    expect(await served('sb-page')).toBe('primary');
  });
});

describe('audit, snapshot, diff, config', () => {
  test('every mutation is audited with its effect; a no-op write has none', async () => {
    const s = world.sites['sb-page']!;
    const seq = await remote.seq();
    const path = `/zones/${s.zoneId}/pagerules/${s.pageRuleId}`;
    await cf(path, { method: 'PATCH', body: JSON.stringify({ status: 'disabled' }) });
    await cf(path, { method: 'PATCH', body: JSON.stringify({ status: 'active' }) });
    await cf(path, { method: 'PATCH', body: JSON.stringify({ status: 'disabled' }) });
    await cf(path); // reads are calls, not mutations
    const audit = await remote.audit(seq);
    expect(audit.map((e) => [e.op, e.effect, e.changes])).toEqual([
      ['pagerules.edit', false, []],
      ['pagerules.edit', true, [{ path: 'status', from: 'disabled', to: 'active' }]],
      ['pagerules.edit', true, [{ path: 'status', from: 'active', to: 'disabled' }]],
    ]);
    expect((await remote.calls(seq)).map((c) => c.op)).toEqual([
      'pagerules.edit',
      'pagerules.edit',
      'pagerules.edit',
      'pagerules.get',
    ]);
  });

  test('snapshots ignore etags and timestamps; diff lists what differs by path', async () => {
    const a = await remote.snapshot();
    expect(a).toEqual(world.snapshot());
    const name = world.sites['sb-redirect']!.serviceName;
    world.api.state.writeBindings(world.api.state.service(name)!, world.api.state.service(name)!.bindings); // same bindings, new etag
    expect(diff(a, await remote.snapshot())).toEqual([]);
    expect(diff({ x: [1, { y: 2 }] }, { x: [1, { y: 3 }, 4] })).toEqual([
      { path: 'x[1].y', from: 2, to: 3 },
      { path: 'x[2]', from: undefined, to: 4 },
    ]);
  });

  test('the world writes a config the worker accepts, with no secret in it', () => {
    const yaml = world.configYaml({ temporal: { address: '127.0.0.1:7233', taskQueue: 'sandbox' } });
    const config = parseConfig(yaml);
    expect(Object.keys(config.sites)).toEqual(['sb-redirect', 'sb-page', 'sb-dns', 'sb-open']);
    expect(config.apis.google).toMatchObject({ apiEndpoint: '127.0.0.1', protocol: 'http' });
    expect(config.sites['sb-page']!.traffic).toMatchObject({
      type: 'cloudflare-page-rule',
      pageRuleId: world.sites['sb-page']!.pageRuleId,
    });
    expect(config.sites['sb-open']!.standby.access).toEqual({ type: 'always-open' });
    expect(yaml).not.toContain(world.env.CLOUDFLARE_API_TOKEN);
  });
});

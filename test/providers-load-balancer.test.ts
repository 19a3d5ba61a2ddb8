// Traffic by a Google Cloud external Application Load Balancer through the real
// @google-cloud/compute clients (REST transport) against the simulator: the URL map's default
// service (or a path matcher's) switched between two backend services with the fingerprint as
// the lock, operations awaited, conflicts, refusals, permissions, the budget.
import { GlobalOperationsClient, UrlMapsClient } from '@google-cloud/compute';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type ProviderError, toFailure } from '../activities/errors.ts';
import { googleClientOptions } from '../activities/providers/google/options.ts';
import {
  LoadBalancerTraffic,
  type LoadBalancerTrafficOptions,
} from '../activities/providers/google/load-balancer/adapter.ts';
import { computeError } from '../activities/providers/google/load-balancer/errors.ts';
import { googleLoadBalancerTraffic } from '../activities/providers/google/load-balancer/index.ts';
import { googleLoadBalancerSchema } from '../activities/providers/google/load-balancer/schema.ts';
import { leverStepPolicy } from '../config/policies.ts';
import { computeOf } from '../sandbox/cloud-api/compute-state.ts';
import { CloudApi } from '../sandbox/cloud-api/server.ts';
import type { FaultRule } from '../sandbox/cloud-api/types.ts';
import { providerError, retryable } from './support/sandbox.ts';

const P = 'lb-project';
const BE = (name: string) => `projects/${P}/global/backendServices/${name}`;
const FULL = (name: string) => `https://www.googleapis.com/compute/v1/${BE(name)}`;

let api: CloudApi;
let urlMaps: UrlMapsClient;
let operations: GlobalOperationsClient;

beforeAll(async () => {
  api = new CloudApi({ seed: 7 });
  await api.start();
  const options = googleClientOptions({ apiEndpoint: '127.0.0.1', port: api.boundPort, protocol: 'http' });
  urlMaps = new UrlMapsClient(options);
  operations = new GlobalOperationsClient(options);
  for (const b of ['blog-primary', 'blog-standby', 'maintenance', 'static-assets'])
    computeOf(api.state).addBackendService(P, b);
});
afterAll(async () => {
  await urlMaps?.close();
  await operations?.close();
  await api?.stop();
});
beforeEach(() => {
  const c = computeOf(api.state);
  c.urlMaps.clear();
  c.denied.clear();
  c.operationDelayMs = 150;
  // The map's own default, and a path matcher for /blog/* whose default is switched separately.
  c.addUrlMap(P, 'blog-lb', {
    defaultService: BE('blog-primary'),
    hostRules: [{ hosts: ['www.example.test'], pathMatcher: 'blog-paths' }],
    pathMatchers: [
      {
        name: 'blog-paths',
        defaultService: FULL('blog-primary'),
        pathRules: [{ paths: ['/static/*'], service: BE('static-assets') }],
      },
      { name: 'other-paths', defaultService: BE('maintenance') },
    ],
  });
});
afterEach(() => api.faults.clear());

const lever = (opts: Partial<LoadBalancerTrafficOptions> = {}) =>
  new LoadBalancerTraffic({
    urlMaps,
    operations,
    project: P,
    urlMap: 'blog-lb',
    primaryBackendService: BE('blog-primary'),
    standbyBackendService: FULL('blog-standby'),
    timeoutMs: 2_000,
    pollIntervalMs: 50,
    ...opts,
  });
const map = () => computeOf(api.state).snapshot()[`projects/${P}/global/urlMaps/blog-lb`]!;
const fault = (rule: FaultRule) => api.faults.add({ api: 'compute', times: 1, ...rule });
const calls = (since: number) => api.log.calls(since).map((c) => `${c.op} ${c.status}`);

describe('Google Cloud Load Balancing traffic', () => {
  test('fails over and back; the operation is awaited; a repeat sends no second patch', async () => {
    const lb = lever();
    const start = structuredClone(map());
    const seq = api.log.lastSeq;
    const before = await lb.read();
    expect(before).toMatchObject({ defaultService: BE('blog-primary'), target: 'primary' });
    expect(before.fingerprint).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(lb.isAt('primary', before)).toBe(true);

    const failover = await lb.set('standby');
    expect(failover).toMatchObject({ changed: true, before: { defaultService: BE('blog-primary') } });
    expect(failover.summary).toMatch(/blog-primary → .*blog-standby \(operation operation-\S+ DONE\)/);
    expect(map().defaultService).toBe(FULL('blog-standby'));
    const now = await lb.read();
    expect(lb.isAt('standby', now)).toBe(true);
    expect(now.fingerprint).not.toBe(before.fingerprint);
    // The operation took 150 ms: it was polled until DONE, before the call returned.
    expect(calls(seq).filter((c) => c.startsWith('globalOperations.get')).length).toBeGreaterThan(0);

    const seqRepeat = api.log.lastSeq;
    expect((await lb.set('standby')).changed).toBe(false);
    expect(calls(seqRepeat)).toEqual(['urlMaps.get 200']);

    const failback = await lb.restore(before);
    expect(failback).toMatchObject({
      changed: true,
      before: { defaultService: BE('blog-standby'), target: 'standby' },
    });
    expect((await lb.set('primary')).changed).toBe(false);
    expect(api.log.audit(seq).map((e) => [e.op, e.status, e.effect])).toEqual([
      ['urlMaps.patch', 200, true],
      ['urlMaps.patch', 200, true],
    ]);
    // Only the default changed and came back; path matchers untouched; links as the API writes them.
    expect(map()).toEqual(start);
  });

  test('a path matcher: only its default changes, every other matcher and rule stays as read', async () => {
    const lb = lever({ pathMatcher: 'blog-paths' });
    const start = structuredClone(map());
    const before = await lb.read();
    expect(before).toMatchObject({ defaultService: BE('blog-primary'), target: 'primary' });
    await lb.set('standby');
    expect(map()).toEqual({
      ...start,
      pathMatchers: [
        { ...(start.pathMatchers as object[])[0], defaultService: FULL('blog-standby') },
        (start.pathMatchers as object[])[1],
      ],
    });
    expect(map().defaultService).toBe(start.defaultService);
    await lb.restore(before);
    expect(map()).toEqual(start);
  });

  test('a fingerprint conflict (another writer between read and patch) is read again and retried', async () => {
    const lb = lever();
    const seq = api.log.lastSeq;
    fault({ op: 'urlMaps.patch', etagConflict: true });
    const changed = await lb.set('standby');
    expect(changed.changed).toBe(true);
    expect(changed.summary).toMatch(/after 1 fingerprint conflict/);
    expect(calls(seq).filter((c) => c.startsWith('urlMaps'))).toEqual([
      'urlMaps.get 200',
      'urlMaps.patch 412',
      'urlMaps.get 200',
      'urlMaps.patch 200',
    ]);
    // The other writer's edit survives: only the default was sent.
    expect(map().description).toMatch(/edited by someone else/);
    expect(map().defaultService).toBe(FULL('blog-standby'));
  });

  test('conflicts that do not stop end in a retryable conflict, the map unchanged', async () => {
    const lb = lever({ conflictRetries: 3 });
    const seq = api.log.lastSeq;
    api.faults.add({ api: 'compute', op: 'urlMaps.patch', etagConflict: true });
    const err = await providerError(lb.set('standby'));
    expect(err.kind).toBe('conflict');
    expect(retryable(err)).toBe(true);
    expect(err.message).toMatch(/fingerprint changed since it was read/);
    expect(
      api.log
        .audit(seq)
        .filter((e) => e.op === 'urlMaps.patch')
        .map((e) => e.status),
    ).toEqual([412, 412, 412]);
    expect(map().defaultService).toBe(FULL('blog-primary'));
  });

  test('an operation that ends with an error is a ProviderError; restoring the snapshot puts the map back', async () => {
    const lb = lever();
    const before = await lb.read();
    fault({
      op: 'urlMaps.patch',
      operationError: { code: 'RESOURCE_NOT_READY', message: 'The backend service is being updated.', httpStatus: 400 },
    });
    const err = await providerError(lb.set('standby'));
    expect(err.kind).toBe('invalid_config');
    expect(retryable(err)).toBe(false);
    expect(err.message).toMatch(
      /operation operation-\S+ on projects\/lb-project\/global\/urlMaps\/blog-lb ended with an error \(HTTP 400\): RESOURCE_NOT_READY: The backend service is being updated\./,
    );
    // The compensation: put back what was read before the step.
    const restored = await lb.restore(before);
    expect(restored.changed).toBe(false);
    expect(map().defaultService).toBe(FULL('blog-primary'));

    // And after a good switch, the same snapshot takes the map back to the primary.
    await lb.set('standby');
    expect((await lb.restore(before)).changed).toBe(true);
    expect(lb.isAt('primary', await lb.read())).toBe(true);
  });

  test('an operation still running after the polls is retryable; the next attempt finds it done', async () => {
    computeOf(api.state).operationDelayMs = 2_000;
    const lb = lever({ operationPolls: 2 });
    const err = await providerError(lb.set('standby'));
    expect(err.kind).toBe('unavailable');
    expect(retryable(err)).toBe(true);
    expect(err.message).toMatch(/still (PENDING|RUNNING) after 2 polls/);
    expect((await lb.set('standby')).changed).toBe(false);
  });

  test('a default that is neither backend was set by hand: refused, nothing written', async () => {
    const c = computeOf(api.state);
    const record = c.urlMap(`projects/${P}/global/urlMaps/blog-lb`)!;
    c.write(record, { ...record.body, defaultService: BE('maintenance') }, Date.now());
    const seq = api.log.lastSeq;
    for (const call of [() => lever().read(), () => lever().set('standby'), () => lever().set('primary')]) {
      const err = await providerError(call());
      expect(err.kind).toBe('unsupported');
      expect(retryable(err)).toBe(false);
      expect(err.message).toContain(FULL('maintenance'));
      expect(err.message).toContain(`primary's backend service ${BE('blog-primary')}`);
      expect(err.message).toContain(`standby's ${BE('blog-standby')}`);
      expect(err.message).toMatch(/refusing to overwrite/);
    }
    expect(api.log.audit(seq)).toEqual([]);
    // A path matcher whose default is the maintenance service: the same refusal.
    const err = await providerError(lever({ pathMatcher: 'other-paths' }).set('standby'));
    expect(err.message).toMatch(/path matcher other-paths's default service is .*maintenance/);
    const missing = await providerError(lever({ pathMatcher: 'nope' }).read());
    expect(missing.kind).toBe('invalid_config');
    expect(missing.message).toMatch(/has no path matcher nope \(it has: blog-paths, other-paths\)/);
  });

  test('a missing permission is a clear, non-retryable error naming it', async () => {
    computeOf(api.state).denied.add(`compute.backendServices.use on ${BE('blog-standby')}`);
    const seq = api.log.lastSeq;
    const err = await providerError(lever().set('standby'));
    expect(err.kind).toBe('permission');
    expect(retryable(err)).toBe(false);
    expect(err.message).toMatch(
      /permission compute\.backendServices\.use denied on projects\/lb-project\/global\/backendServices\/blog-standby; .*roles\/compute\.loadBalancerAdmin/,
    );
    expect(api.log.audit(seq).map((e) => [e.op, e.status, e.effect])).toEqual([['urlMaps.patch', 403, false]]);

    computeOf(api.state).denied.clear();
    computeOf(api.state).denied.add('compute.globalOperations.get');
    const opErr = await providerError(lever().set('standby'));
    expect(opErr.kind).toBe('permission');
    expect(opErr.message).toMatch(/permission compute\.globalOperations\.get denied on projects\/lb-project/);

    const injected = await (async () => {
      fault({ op: 'urlMaps.get', status: 403 });
      return providerError(lever().read());
    })();
    expect(injected.message).toMatch(
      /permission compute\.urlMaps\.get denied on projects\/lb-project\/global\/urlMaps\/blog-lb/,
    );
  });

  test('transient errors are retryable; rate limits (429, or 403 rateLimitExceeded) too; 404 names the map', async () => {
    fault({ op: 'urlMaps.patch', status: 503 });
    expect((await providerError(lever().set('standby'))).kind).toBe('unavailable');
    fault({ op: 'urlMaps.get', status: 429, retryAfterSeconds: 3 });
    const limited = await providerError(lever().read());
    expect(limited.kind).toBe('rate_limited');
    expect(toFailure(limited, 1).nextRetryDelay).toBe(3000);
    // Compute's older rate-limit answer, a 403 whose reason says so (the body as gax keeps it).
    const legacy = Object.assign(new Error('Rate Limit Exceeded'), { code: 7, httpStatusCode: 403 });
    Object.defineProperty(legacy, Symbol.for('google-gax.rawHttpResponsePayload'), {
      value: JSON.stringify({ error: { code: 403, errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }] } }),
    });
    const mapped = computeError(legacy, { what: 'get', resource: 'r', permission: 'p', role: 'x' }) as ProviderError;
    expect([mapped.kind, retryable(mapped)]).toEqual(['rate_limited', true]);
    fault({ op: 'globalOperations.get', reset: true });
    expect((await providerError(lever().set('standby'))).kind).toBe('unavailable');
    // The switch landed; the operation poll failed: the next attempt sees it done.
    expect((await lever().set('standby')).changed).toBe(false);
    const missing = await providerError(lever({ urlMap: 'no-such-map' }).read());
    expect(missing.kind).toBe('not_found');
    expect(missing.message).toContain(`projects/${P}/global/urlMaps/no-such-map`);
  });

  test('an exhausted budget sends no call at all', async () => {
    const seq = api.log.lastSeq;
    const expired = await providerError(lever().set('standby', { deadline: Date.now() - 1 }));
    expect(expired.kind).toBe('unavailable');
    expect(expired.message).toMatch(/not sent, the activity attempt is out of time/);
    const cancelled = new AbortController();
    cancelled.abort();
    const aborted = await providerError(
      lever().restore({ defaultService: BE('blog-primary') }, { signal: cancelled.signal }),
    );
    expect(aborted.message).toMatch(/not sent, the activity attempt was cancelled/);
    expect(api.log.calls(seq)).toEqual([]);
  });

  test('a cancel while the operation is polled stops at once, and the switch it sent is kept', async () => {
    computeOf(api.state).operationDelayMs = 5_000;
    const stop = new AbortController();
    const pending = providerError(lever({ pollIntervalMs: 1_000 }).set('standby', { signal: stop.signal }));
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    const err = await pending;
    expect(err.message).toMatch(/cancelled/);
    expect(map().defaultService).toBe(FULL('blog-standby'));
  });
});

describe('google-load-balancer config', () => {
  const base = {
    type: 'google-load-balancer',
    project: P,
    urlMap: 'blog-lb',
    primaryBackendService: BE('blog-primary'),
    standbyBackendService: FULL('blog-standby'),
  };
  test('accepts relative and full self-links, and an optional path matcher', () => {
    expect(googleLoadBalancerSchema.parse({ ...base, pathMatcher: 'blog-paths' })).toMatchObject(base);
  });
  test('the descriptor builds a working lever from a parsed config on shared clients, and its step outlasts a slow operation', async () => {
    const d = googleLoadBalancerTraffic;
    expect([d.kind, d.type]).toEqual(['traffic', 'google-load-balancer']);
    const made: string[] = [];
    const clients = new Map<string, unknown>();
    const ctx = {
      site: 'blog',
      apis: { google: { apiEndpoint: '127.0.0.1', port: api.boundPort, protocol: 'http' as const, timeout: 2_000 } },
      env: {},
      shared: <T>(key: string, make: () => T): T => {
        if (!clients.has(key)) {
          made.push(key);
          clients.set(key, make());
        }
        return clients.get(key) as T;
      },
      inMemory: () => {
        throw new Error('not in memory');
      },
    };
    const built = d.build(d.schema.parse({ ...base, pathMatcher: 'blog-paths' }), ctx);
    d.build(d.schema.parse(base), ctx);
    expect(made.sort()).toEqual(['google.compute.globalOperations', 'google.compute.urlMaps']);
    expect(await built.read()).toMatchObject({ defaultService: BE('blog-primary'), target: 'primary' });
    const profile = d.callProfile!;
    expect(profile.calls).toBe((built as LoadBalancerTraffic).maxCalls);
    // Every call at its bound plus the pauses between polls: more than the 2 minutes an operation may take.
    const { startToCloseTimeoutMs } = leverStepPolicy(profile);
    expect(startToCloseTimeoutMs).toBeGreaterThanOrEqual(profile.calls * 10_000 + 120_000);
    expect(d.permissions.google).toContain('compute.backendServices.use');
    for (const c of clients.values()) await (c as UrlMapsClient).close();
  });
  test.each([
    [{ standbyBackendService: 'blog-standby' }, /projects\/<project>\/global\/backendServices\/<name>/],
    [
      { standbyBackendService: `projects/${P}/regions/europe-west1/backendServices/x` },
      /global backend service self-link/,
    ],
    [{ standbyBackendService: FULL('blog-primary') }, /name the same backend service/],
    [{ urlMap: 'Blog_LB' }, /URL map's name, e.g. blog-lb/],
    [{ pathMatcher: '' }, /path matcher's name/],
    [{ region: 'europe-west1' }, /region/],
  ])('refuses %j', (change, message) => {
    const parsed = googleLoadBalancerSchema.safeParse({ ...base, ...change });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
  });
});

// The sandbox's Google Cloud load balancer (traffic mode load-balancer): the edge of a
// load-balanced site routes by the simulated URL map's default service as the front ends serve
// it (after the operation is DONE and the propagation delay), and the simulated Compute API is
// as strict as the real one.
import { GlobalOperationsClient, UrlMapsClient } from '@google-cloud/compute';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { googleClientOptions } from '../activities/providers/google/options.ts';
import { LoadBalancerTraffic } from '../activities/providers/google/load-balancer/adapter.ts';
import { computeOf } from '../sandbox/cloud-api/compute-state.ts';
import type { Edge } from '../sandbox/edge.ts';
import { MARKER } from '../sandbox/sites.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';

const P = 'sandbox-project';
const MAP = `projects/${P}/global/urlMaps/lb-site-lb`;
let world: SandboxWorld;
let edge: Edge;
let urlMaps: UrlMapsClient;
let operations: GlobalOperationsClient;
let primary: string;
let standby: string;

beforeAll(async () => {
  world = await startSandboxWorld({
    seed: 99,
    sites: [{ name: 'lb-site', traffic: 'load-balancer', access: 'always-open', monitor: false }],
  });
  const cfg = world.config.sites['lb-site']!.traffic as {
    primaryBackendService: string;
    standbyBackendService: string;
  };
  primary = cfg.primaryBackendService;
  standby = cfg.standbyBackendService;
  edge = world.sites['lb-site']!.edge;
  urlMaps = new UrlMapsClient(googleClientOptions(world.urls.google));
  operations = new GlobalOperationsClient(googleClientOptions(world.urls.google));
});
afterAll(async () => {
  await urlMaps?.close();
  await operations?.close();
  await world?.stop();
});
beforeEach(() => {
  const compute = computeOf(world.api.state);
  compute.urlMaps.clear();
  compute.operationDelayMs = 0;
  compute.propagationDelayMs = 0;
  compute.addUrlMap(P, 'lb-site-lb', { defaultService: primary });
});

const servedBy = async () => {
  const res = await fetch(edge.url);
  const body = await res.text();
  return body.includes(MARKER.standby) ? 'standby' : body.includes(MARKER.primary) ? 'primary' : `${res.status}`;
};
/** Polls the edge until it serves `target`; returns when that was. */
const servedWithin = async (target: string, ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if ((await servedBy()) === target) return Date.now();
  throw new Error(`the edge did not serve the ${target} within ${ms} ms`);
};
const lever = () =>
  new LoadBalancerTraffic({
    urlMaps,
    operations,
    project: P,
    urlMap: 'lb-site-lb',
    primaryBackendService: primary,
    standbyBackendService: standby,
    pollIntervalMs: 50,
  });

describe('the edge of a load-balanced site', () => {
  test('routes by the URL map default, once the operation is DONE and the change has propagated', async () => {
    const compute = computeOf(world.api.state);
    compute.operationDelayMs = 200;
    compute.propagationDelayMs = 5_000;
    expect(await servedBy()).toBe('primary');
    const lb = lever();
    const failover = await lb.set('standby');
    // The API shows the new default at once; Google's front ends still serve the old one for a while.
    expect(lb.isAt('standby', await lb.read())).toBe(true);
    expect(await servedBy()).toBe('primary');
    await servedWithin('standby', 15_000);

    await lb.restore(failover.before);
    expect(await servedBy()).toBe('standby');
    await servedWithin('primary', 15_000);
  });

  test('a default that is neither backend has no origin: the edge answers an error', async () => {
    const compute = computeOf(world.api.state);
    compute.addBackendService(P, 'elsewhere');
    const map = compute.urlMap(MAP)!;
    compute.write(map, { defaultService: `projects/${P}/global/backendServices/elsewhere` }, Date.now());
    expect(await servedBy()).toBe('530');
  });
});

describe('the simulated Compute API is as strict as the real one', () => {
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${world.urls.api}/compute/v1/projects/${P}/global/${path}`, {
      method,
      headers: { 'x-goog-api-key': 'sandbox', 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const read = async () => (await (await call('GET', 'urlMaps/lb-site-lb')).json()) as Record<string, unknown>;

  test('a GET answers the map with fully qualified links and a fingerprint', async () => {
    const map = await read();
    expect(map).toMatchObject({
      kind: 'compute#urlMap',
      name: 'lb-site-lb',
      defaultService: `https://www.googleapis.com/compute/v1/${primary}`,
      selfLink: `https://www.googleapis.com/compute/v1/${MAP}`,
    });
    expect(typeof map.fingerprint).toBe('string');
  });

  test.each([
    ['no fingerprint', () => ({ defaultService: standby }), 412, 'conditionNotMet'],
    ['a stale fingerprint', () => ({ defaultService: standby, fingerprint: 'AAAAAAAAAAA=' }), 412, 'conditionNotMet'],
    [
      'two defaults',
      (fp: unknown) => ({ fingerprint: fp, defaultUrlRedirect: { hostRedirect: 'example.test' } }),
      400,
      'invalid',
    ],
    [
      'a backend service that does not exist',
      (fp: unknown) => ({ fingerprint: fp, defaultService: `projects/${P}/global/backendServices/nope` }),
      404,
      'notFound',
    ],
    ['a malformed link', (fp: unknown) => ({ fingerprint: fp, defaultService: 'nope' }), 400, 'invalid'],
    [
      'a host rule naming no path matcher',
      (fp: unknown) => ({ fingerprint: fp, hostRules: [{ hosts: ['*'], pathMatcher: 'missing' }] }),
      400,
      'invalid',
    ],
  ])(
    'a PATCH with %s is refused, in Compute\u2019s error format, and changes nothing',
    async (_n, body, status, reason) => {
      const before = await read();
      const res = await call('PATCH', 'urlMaps/lb-site-lb', body(before.fingerprint));
      expect(res.status).toBe(status);
      const err = ((await res.json()) as { error: { code: number; errors: { reason: string }[]; status?: string } })
        .error;
      expect(err.code).toBe(status);
      expect(err.errors[0]!.reason).toBe(reason);
      expect(err.status).toBeUndefined();
      expect(await read()).toEqual(before);
    },
  );

  test('a PATCH merges (null removes a field), changes the fingerprint, and its operation takes time', async () => {
    computeOf(world.api.state).operationDelayMs = 300;
    const before = await read();
    const res = await call('PATCH', 'urlMaps/lb-site-lb', {
      fingerprint: before.fingerprint,
      description: 'public site',
    });
    expect(res.status).toBe(200);
    const op = (await res.json()) as { name: string; status: string; kind: string };
    expect(op).toMatchObject({ kind: 'compute#operation', status: 'PENDING' });
    const after = await read();
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.description).toBe('public site');
    const removed = await call('PATCH', 'urlMaps/lb-site-lb', { fingerprint: after.fingerprint, description: null });
    expect(removed.status).toBe(200);
    expect((await read()).description).toBeUndefined();

    const waited = (await (await call('POST', `operations/${op.name}/wait`)).json()) as Record<string, unknown>;
    expect(waited).toMatchObject({ status: 'DONE', progress: 100 });
    expect(waited.error).toBeUndefined();
    expect((await call('GET', 'operations/operation-0-nope')).status).toBe(404);
  });

  test('permissions: the URL map, and compute.backendServices.use on each backend the patch names', async () => {
    const compute = computeOf(world.api.state);
    compute.denied.add(`compute.backendServices.use on ${standby}`);
    const before = await read();
    const res = await call('PATCH', 'urlMaps/lb-site-lb', { fingerprint: before.fingerprint, defaultService: standby });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      `Required 'compute.backendServices.use' permission for '${standby}'`,
    );
    compute.denied.clear();
    compute.denied.add('compute.urlMaps.get');
    expect((await call('GET', 'urlMaps/lb-site-lb')).status).toBe(403);
    compute.denied.clear();
  });
});

// The GCE metadata server, the part google-auth-library's ID token client uses when the worker
// runs on Google Cloud (GCE_METADATA_HOST points it here): the availability ping and
// /instance/service-accounts/default/identity?audience=…, which answers a signed ID token for
// the orchestrator's service account. Requests without `Metadata-Flavor: Google` are refused, and
// answers carry that header, as the real server does. The standby (world.ts) accepts a token
// only when this simulator signed it, it has not expired, and its audience is the standby's URL.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Dialect, SimulatedApi } from './api-module.ts';
import type { ApiRequest, ApiResponse, Route } from './http.ts';
import type { CloudState } from './state.ts';

/** The service account the simulated worker runs as. */
export const ORCHESTRATOR_EMAIL = 'failover-orchestrator@sandbox-project.iam.gserviceaccount.com';

const FLAVOR = { 'metadata-flavor': 'Google' };
const KEYS = new WeakMap<CloudState, Buffer>();
const keyOf = (state: CloudState) => {
  let k = KEYS.get(state);
  if (!k) KEYS.set(state, (k = randomBytes(32)));
  return k;
};
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function mintIdToken(state: CloudState, audience: string, ttlSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'sandbox' })}.${b64({
    iss: 'https://accounts.google.com',
    aud: audience,
    azp: ORCHESTRATOR_EMAIL,
    email: ORCHESTRATOR_EMAIL,
    email_verified: true,
    sub: '100000000000000000001',
    iat: now,
    exp: now + ttlSeconds,
  })}`;
  return `${head}.${createHmac('sha256', keyOf(state)).update(head).digest('base64url')}`;
}

/** The token's claims when this simulator signed it and it has not expired; else undefined. */
export function verifyIdToken(state: CloudState, token: string): { aud: string; email: string } | undefined {
  const [h, p, sig] = token.split('.');
  if (!h || !p || !sig) return undefined;
  const want = createHmac('sha256', keyOf(state)).update(`${h}.${p}`).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud: string; email: string; exp: number };
  return claims.exp * 1000 > Date.now() ? claims : undefined;
}

function route(state: CloudState, method: string, path: string): Route | undefined {
  if (method !== 'GET' || !path.startsWith('/computeMetadata/v1/')) return undefined;
  const rest = path.slice('/computeMetadata/v1/'.length).replace(/\/$/, '');
  const base = { api: 'metadata' as const, mutating: false, permission: '', resource: rest };
  if (rest === 'instance')
    return { ...base, op: 'instance', handle: () => ({ status: 200, body: {}, headers: FLAVOR }) };
  if (/^instance\/service-accounts\/(default|[^/]+@[^/]+)\/identity$/.test(rest))
    return {
      ...base,
      op: 'identity',
      handle: (req: ApiRequest): ApiResponse => {
        const audience = req.url.searchParams.get('audience');
        if (!audience) return { status: 400, body: 'non-empty audience parameter required', headers: FLAVOR };
        return { status: 200, body: mintIdToken(state, audience), headers: FLAVOR };
      },
    };
  return undefined;
}

const METADATA: Dialect = {
  notFound: () => ({ status: 404, body: 'Not Found', headers: FLAVOR }),
  malformedJson: () => ({ status: 400, body: 'Bad Request', headers: FLAVOR }),
  authenticate(_state, req) {
    if (req.headers['metadata-flavor'] !== 'Google') throw new MetadataRefusal();
  },
  injectedError: (_route, status) => ({ status, body: `${status}`, headers: FLAVOR }),
  answerError: (err) =>
    err instanceof MetadataRefusal
      ? { status: 403, body: 'Missing required header: Metadata-Flavor', headers: FLAVOR }
      : undefined,
};

class MetadataRefusal extends Error {}

export const metadataApi = {
  name: 'metadata',
  prefix: '/computeMetadata/',
  dialect: METADATA,
  route,
} as const satisfies SimulatedApi;

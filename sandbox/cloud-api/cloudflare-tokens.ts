// Cloudflare API tokens as the API describes them: GET /user/tokens/verify (any valid token may
// ask: its id, status active / disabled / expired, expires_on) and GET /user/tokens/{id} (needs
// "API Tokens Read": its policies and permission groups). A token past expires_on, or disabled,
// is refused by every other route.
import { createHash } from 'node:crypto';
import { CloudflareApiError, cloudflareOk, type Route } from './http.ts';
import type { CloudState } from './state.ts';

export const API_TOKENS_READ = 'API Tokens Read';

export interface TokenMeta {
  expiresOn?: string;
  disabled?: boolean;
}

const META = new WeakMap<CloudState, Map<string, TokenMeta>>();

function metas(state: CloudState): Map<string, TokenMeta> {
  let m = META.get(state);
  if (!m) META.set(state, (m = new Map()));
  return m;
}

export const tokenId = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 32);

export function setTokenMeta(state: CloudState, token: string, meta: TokenMeta): void {
  metas(state).set(token, { ...meta });
}

export function tokenStatus(state: CloudState, token: string): 'active' | 'disabled' | 'expired' {
  const m = metas(state).get(token);
  if (m?.disabled) return 'disabled';
  if (m?.expiresOn && Date.parse(m.expiresOn) <= Date.now()) return 'expired';
  return 'active';
}

const bearer = (auth: unknown) => /^Bearer (\S+)$/.exec(String(auth ?? ''))?.[1] ?? '';

function describe(state: CloudState, token: string): Record<string, unknown> {
  const m = metas(state).get(token);
  const groups = [...(state.tokens.get(token) ?? [])];
  return {
    id: tokenId(token),
    name: 'failover orchestrator',
    status: tokenStatus(state, token),
    issued_on: '2026-01-01T00:00:00Z',
    modified_on: '2026-01-01T00:00:00Z',
    ...(m?.expiresOn && { expires_on: m.expiresOn }),
    policies: [
      {
        id: tokenId(`${token}:policy`),
        effect: 'allow',
        resources: { 'com.cloudflare.api.account.zone.*': '*' },
        permission_groups: groups.map((name) => ({ id: tokenId(name), name })),
      },
    ],
  };
}

/** The /user/tokens routes; `parts`: the path after /client/v4, split. */
export function userTokensRoute(state: CloudState, method: string, parts: string[]): Route | undefined {
  if (parts[0] !== 'user' || parts[1] !== 'tokens' || !parts[2] || method !== 'GET') return undefined;
  const id = parts[2];
  if (id === 'verify')
    return {
      api: 'cloudflare',
      op: 'tokens.verify',
      resource: 'user/tokens/verify',
      mutating: false,
      permission: '',
      handle: (req) => {
        const token = bearer(req.headers.authorization);
        const m = metas(state).get(token);
        return cloudflareOk(
          { id: tokenId(token), status: tokenStatus(state, token), ...(m?.expiresOn && { expires_on: m.expiresOn }) },
          { messages: [{ code: 10000, message: 'This API Token is valid and active', type: null }] },
        );
      },
    };
  return {
    api: 'cloudflare',
    op: 'tokens.get',
    resource: `user/tokens/${id}`,
    mutating: false,
    permission: API_TOKENS_READ,
    handle: () => {
      const token = [...state.tokens.keys()].find((t) => tokenId(t) === id);
      if (!token) throw new CloudflareApiError(404, 1003, 'Invalid or unknown token');
      return cloudflareOk(describe(state, token));
    },
  };
}

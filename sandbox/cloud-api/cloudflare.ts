// Cloudflare API v4: page rules, rulesets (phase entrypoint, ruleset, rule PATCH) and DNS
// records, with the {success, errors, messages, result} envelope and bearer-token permissions.
import { retryAfterHeader, type Dialect, type SimulatedApi } from './api-module.ts';
import {
  CloudflareApiError,
  cloudflareError,
  cloudflareOk,
  isRecord,
  type ApiRequest,
  type ApiResponse,
  type Route,
} from './http.ts';
import { tokenStatus, userTokensRoute } from './cloudflare-tokens.ts';
import { iamOf } from './iam.ts';
import type { CloudState, Json, Zone } from './state.ts';

export const PREFIX = '/client/v4';

/** Token permission groups, named as the API names them (the dashboard calls "Write" "Edit"). */
export const CF_PERMISSION = {
  pageRulesRead: 'Page Rules Read',
  pageRulesWrite: 'Page Rules Write',
  redirectsRead: 'Dynamic URL Redirects Read',
  redirectsWrite: 'Dynamic URL Redirects Write',
  dnsRead: 'DNS Read',
  dnsWrite: 'DNS Write',
} as const;

export const ALL_CF_PERMISSIONS = Object.values(CF_PERMISSION);

const PAGE_RULE_FIELDS = ['targets', 'actions', 'priority', 'status'];
const RULE_BODY_FIELDS = [
  'action',
  'action_parameters',
  'description',
  'enabled',
  'expression',
  'logging',
  'ratelimit',
  'exposed_credential_check',
  'ref',
];
const DNS_FIELDS = ['name', 'type', 'content', 'ttl', 'proxied', 'comment', 'tags', 'settings', 'priority', 'data'];

function pick(obj: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, structuredClone(obj[k])]));
}

/** Checks the bearer token: 401 when unknown, 403 when it lacks the permission group (recorded, as iam.ts records Google's). */
export function checkToken(state: CloudState, req: ApiRequest, permission: string, resource = ''): void {
  const auth = String(req.headers.authorization ?? '');
  if (!auth) throw new CloudflareApiError(400, 9106, 'Missing X-Auth-Key, X-Auth-Email or Authorization headers');
  const m = /^Bearer (\S+)$/.exec(auth);
  if (!m) throw new CloudflareApiError(400, 6111, 'Invalid format for Authorization header');
  const perms = state.tokens.get(m[1]!);
  if (!perms) throw new CloudflareApiError(401, 10000, 'Authentication error');
  if (permission === '') return; // /user/tokens/verify: any token the API knows may ask about itself
  if (tokenStatus(state, m[1]!) !== 'active') throw new CloudflareApiError(401, 10000, 'Authentication error');
  const write = permission.replace(/ Read$/, ' Write');
  const granted = perms.has(permission) || perms.has(write);
  iamOf(state).record({ system: 'cloudflare', permission, resource, granted });
  if (!granted) throw new CloudflareApiError(403, 10000, 'Authentication error');
}

export function cloudflareRoute(state: CloudState, method: string, rawPath: string): Route | undefined {
  if (!rawPath.startsWith(`${PREFIX}/`)) return undefined;
  const path = decodeURIComponent(rawPath.slice(PREFIX.length));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'user') return userTokensRoute(state, method, parts);
  if (parts[0] !== 'zones' || !parts[1]) return undefined;
  const zoneId = parts[1];
  const rest = parts.slice(2);
  const zone = (): Zone => {
    const z = state.zones.get(zoneId);
    if (!z)
      throw new CloudflareApiError(
        404,
        7003,
        `Could not route to /zones/${zoneId}, perhaps your object identifier is invalid?`,
      );
    return z;
  };
  const resourceOf = (what: string) => `zones/${zoneId}/${what}`;

  // --- page rules ---
  if (rest[0] === 'pagerules') {
    const id = rest[1];
    if (!id) {
      return {
        api: 'cloudflare',
        op: 'pagerules.list',
        resource: resourceOf('pagerules'),
        mutating: false,
        permission: CF_PERMISSION.pageRulesRead,
        handle: () => cloudflareOk([...zone().pageRules.values()]),
      };
    }
    const rule = () => {
      const r = zone().pageRules.get(id);
      if (!r)
        throw new CloudflareApiError(
          404,
          7003,
          `Could not route to /zones/${zoneId}/pagerules/${id}, perhaps your object identifier is invalid?`,
        );
      return r;
    };
    const base = {
      api: 'cloudflare' as const,
      resource: resourceOf(`pagerules/${id}`),
      state: () => {
        const r = state.zones.get(zoneId)?.pageRules.get(id);
        return r ? pick(r, PAGE_RULE_FIELDS) : null;
      },
    };
    if (method === 'GET')
      return {
        ...base,
        op: 'pagerules.get',
        mutating: false,
        permission: CF_PERMISSION.pageRulesRead,
        handle: () => cloudflareOk(rule()),
      };
    if (method === 'PATCH' || method === 'PUT') {
      return {
        ...base,
        op: method === 'PATCH' ? 'pagerules.edit' : 'pagerules.update',
        mutating: true,
        permission: CF_PERMISSION.pageRulesWrite,
        handle: (req: ApiRequest): ApiResponse => {
          const current = rule();
          const body = isRecord(req.body) ? req.body : {};
          if (body.status !== undefined && body.status !== 'active' && body.status !== 'disabled') {
            throw new CloudflareApiError(
              400,
              1004,
              `Page Rule validation failed: status must be "active" or "disabled".`,
            );
          }
          if (method === 'PUT' && (!Array.isArray(body.targets) || !Array.isArray(body.actions))) {
            throw new CloudflareApiError(400, 1004, 'Page Rule validation failed: targets and actions are required.');
          }
          const next: Json =
            method === 'PUT' ? { id, created_on: current.created_on, priority: 1, status: 'disabled' } : { ...current };
          Object.assign(next, pick(body, PAGE_RULE_FIELDS), { modified_on: state.now() });
          zone().pageRules.set(id, next);
          return cloudflareOk(next);
        },
      };
    }
  }

  // --- rulesets ---
  if (rest[0] === 'rulesets') {
    if (rest[1] === 'phases' && rest[2] && rest[3] === 'entrypoint' && rest.length === 4 && method === 'GET') {
      const phase = rest[2];
      return {
        api: 'cloudflare',
        op: 'phases.get',
        resource: resourceOf(`rulesets/phases/${phase}/entrypoint`),
        mutating: false,
        permission: CF_PERMISSION.redirectsRead,
        handle: () => {
          const id = zone().entrypoints.get(phase);
          if (!id) throw new CloudflareApiError(404, 10003, `could not find entrypoint ruleset in the ${phase} phase`);
          return cloudflareOk(zone().rulesets.get(id));
        },
      };
    }
    const rulesetId = rest[1];
    if (!rulesetId) return undefined;
    const ruleset = () => {
      const r = zone().rulesets.get(rulesetId);
      if (!r) throw new CloudflareApiError(404, 10005, `could not find ruleset ${rulesetId}`);
      return r;
    };
    if (rest.length === 2 && method === 'GET') {
      return {
        api: 'cloudflare',
        op: 'rulesets.get',
        resource: resourceOf(`rulesets/${rulesetId}`),
        mutating: false,
        permission: CF_PERMISSION.redirectsRead,
        handle: () => cloudflareOk(ruleset()),
      };
    }
    if (rest[2] === 'rules' && rest[3] && rest.length === 4 && method === 'PATCH') {
      const ruleId = rest[3];
      return {
        api: 'cloudflare',
        op: 'rules.edit',
        resource: resourceOf(`rulesets/${rulesetId}/rules/${ruleId}`),
        mutating: true,
        permission: CF_PERMISSION.redirectsWrite,
        state: () => {
          const r = state.zones
            .get(zoneId)
            ?.rulesets.get(rulesetId)
            ?.rules.find((x) => x.id === ruleId);
          return r ? pick(r, ['id', ...RULE_BODY_FIELDS]) : null;
        },
        handle: (req: ApiRequest): ApiResponse => {
          const rs = ruleset();
          const index = rs.rules.findIndex((r) => r.id === ruleId);
          if (index < 0)
            throw new CloudflareApiError(404, 10006, `could not find rule ${ruleId} in ruleset ${rulesetId}`);
          const body = isRecord(req.body) ? req.body : {};
          // The rule is replaced by what is sent: a field left out is gone (send back every field).
          if (typeof body.expression !== 'string' || !body.expression)
            throw new CloudflareApiError(400, 20021, "'expression' is a required field");
          if (typeof body.action !== 'string') throw new CloudflareApiError(400, 20021, "'action' is a required field");
          if (body.action === 'redirect' && !isRecord(body.action_parameters)) {
            throw new CloudflareApiError(400, 20021, "'action_parameters' is required for the redirect action");
          }
          const current = rs.rules[index]!;
          const next: Json = {
            id: ruleId,
            version: String(Number(current.version ?? 1) + 1),
            ...pick(body, RULE_BODY_FIELDS),
            last_updated: state.now(),
          };
          next.ref ??= current.ref;
          next.enabled ??= true;
          rs.rules[index] = next;
          rs.version = String(Number(rs.version) + 1);
          rs.last_updated = state.now();
          return cloudflareOk(rs);
        },
      };
    }
  }

  // --- DNS records ---
  if (rest[0] === 'dns_records' && rest[1] && rest.length === 2) {
    const id = rest[1];
    const record = () => {
      const r = zone().dnsRecords.get(id);
      if (!r) throw new CloudflareApiError(404, 81044, 'Record does not exist.');
      return r;
    };
    const base = {
      api: 'cloudflare' as const,
      resource: resourceOf(`dns_records/${id}`),
      state: () => {
        const r = state.zones.get(zoneId)?.dnsRecords.get(id);
        return r ? pick(r, DNS_FIELDS) : null;
      },
    };
    if (method === 'GET')
      return {
        ...base,
        op: 'dns_records.get',
        mutating: false,
        permission: CF_PERMISSION.dnsRead,
        handle: () => cloudflareOk(record()),
      };
    if (method === 'PATCH' || method === 'PUT') {
      return {
        ...base,
        op: method === 'PATCH' ? 'dns_records.edit' : 'dns_records.update',
        mutating: true,
        permission: CF_PERMISSION.dnsWrite,
        handle: (req: ApiRequest): ApiResponse => {
          const current = record();
          const body = isRecord(req.body) ? req.body : {};
          const next: Json =
            method === 'PUT'
              ? pick(current, ['id', 'zone_id', 'zone_name', 'proxiable', 'created_on', 'meta'])
              : { ...current };
          Object.assign(next, pick(body, DNS_FIELDS));
          if (typeof next.content !== 'string' || !next.content)
            throw new CloudflareApiError(400, 9005, 'Content for the record is invalid.');
          if (typeof next.name !== 'string' || typeof next.type !== 'string')
            throw new CloudflareApiError(400, 9000, 'DNS name and type are required.');
          const ttl = Number(next.ttl ?? 1);
          if (!(ttl === 1 || (ttl >= 30 && ttl <= 86400)))
            throw new CloudflareApiError(
              400,
              9020,
              'Invalid TTL. Must be between 30 and 86400 seconds, or 1 for Automatic.',
            );
          next.ttl = next.proxied ? 1 : ttl;
          next.modified_on = state.now();
          zone().dnsRecords.set(id, next);
          return cloudflareOk(next);
        },
      };
    }
  }
  return undefined;
}

const CLOUDFLARE: Dialect = {
  notFound: (method, path) => cloudflareError(404, 7000, `No route for that URI: ${method} ${path}`),
  malformedJson: () => cloudflareError(400, 6007, 'Malformed JSON in request body'),
  authenticate: (state, req, route) => checkToken(state, req, route.permission, route.resource),
  injectedError(route, status, retryAfterSeconds) {
    const [code, message] =
      status === 401 || status === 403
        ? [10000, 'Authentication error']
        : status === 404
          ? [7003, `Could not route to ${route.resource}, perhaps your object identifier is invalid?`]
          : status === 429
            ? [971, 'Please wait and consider throttling your request speed']
            : status === 400
              ? [1004, 'Invalid request']
              : [10013, `${status} (simulated): an internal error occurred`];
    return { ...cloudflareError(status, code, message), headers: retryAfterHeader(retryAfterSeconds) };
  },
};

export const cloudflareApi = {
  name: 'cloudflare',
  prefix: PREFIX,
  dialect: CLOUDFLARE,
  route: cloudflareRoute,
} as const satisfies SimulatedApi;

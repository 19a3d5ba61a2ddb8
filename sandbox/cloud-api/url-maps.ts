// Compute Engine API v1, the part the load-balancer traffic lever uses, in the JSON the REST
// transport of @google-cloud/compute sends and expects (paths from the client's http rules):
//   GET   /compute/v1/projects/{project}/global/urlMaps/{urlMap}           compute.urlMaps.get
//   PATCH /compute/v1/projects/{project}/global/urlMaps/{urlMap}           compute.urlMaps.update
//         (JSON merge patch; the fingerprint read must be sent, else 412 conditionNotMet;
//          every backend service the body names needs compute.backendServices.use)
//   GET   /compute/v1/projects/{project}/global/operations/{operation}     compute.globalOperations.get
//   POST  /compute/v1/projects/{project}/global/operations/{operation}/wait
import type { SimulatedApi } from './api-module.ts';
import { ComputeApiError, computeDialect, forbidden, notFound } from './compute-errors.ts';
import {
  COMPUTE_BASE,
  backendServiceName,
  computeOf,
  type ComputeState,
  type OperationRecord,
  type UrlMapRecord,
} from './compute-state.ts';
import type { FaultEffect } from './faults.ts';
import { isRecord, type ApiRequest, type ApiResponse, type Route } from './http.ts';
import type { CloudState, Json } from './state.ts';
import { urlMapTestIamRoute } from './url-map-iam.ts';

const URL_MAP = /^\/compute\/v1\/(projects\/([^/]+)\/global\/urlMaps\/([^/]+))$/;
const OPERATION = /^\/compute\/v1\/(projects\/([^/]+)\/global\/operations\/([^/]+?))(\/wait)?$/;
const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** Output-only fields: ignored in a patch body, as the API ignores them. */
const OUTPUT_ONLY = new Set(['kind', 'id', 'creationTimestamp', 'selfLink', 'fingerprint', 'region', 'name']);
/** How long a wait call holds at most (the real API: about 2 minutes). */
const WAIT_CAP_MS = 120_000;

function urlMapJson(state: ComputeState, map: UrlMapRecord): Json {
  return {
    kind: 'compute#urlMap',
    id: map.id,
    creationTimestamp: map.creationTimestamp,
    name: map.name,
    selfLink: `${COMPUTE_BASE}projects/${map.project}/global/urlMaps/${map.name}`,
    ...structuredClone(map.body),
    fingerprint: state.fingerprintOf(map),
  };
}

function operationJson(op: OperationRecord, now = Date.now()): Json {
  const done = now >= op.doneAt;
  const running = !done && now >= op.insertTime + (op.doneAt - op.insertTime) / 2;
  const iso = (t: number) => new Date(t).toISOString();
  return {
    kind: 'compute#operation',
    id: op.id,
    name: op.name,
    operationType: op.operationType,
    targetLink: op.targetLink,
    targetId: op.targetId,
    status: done ? 'DONE' : running ? 'RUNNING' : 'PENDING',
    user: 'sandbox@example.test',
    progress: done ? 100 : running ? 50 : 0,
    insertTime: iso(op.insertTime),
    ...((done || running) && { startTime: iso(op.insertTime) }),
    ...(done && { endTime: iso(op.doneAt) }),
    selfLink: `${COMPUTE_BASE}projects/${op.project}/global/operations/${op.name}`,
    ...(done &&
      op.error && {
        error: { errors: [{ code: op.error.code, message: op.error.message }] },
        httpErrorStatusCode: op.error.httpStatus,
        httpErrorMessage: op.error.httpStatus === 400 ? 'BAD REQUEST' : 'INTERNAL SERVER ERROR',
      }),
  };
}

/** RFC 7386: objects merge, null deletes, anything else (arrays too) replaces. */
function mergePatch(target: Json, patch: Json): Json {
  const out = structuredClone(target);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isRecord(v) && isRecord(out[k])) out[k] = mergePatch(out[k], v);
    else out[k] = structuredClone(v);
  }
  return out;
}

/** Every backend service link in a URL map body (defaults, path rules, route rules). */
function serviceLinks(body: Json): { field: string; link: unknown }[] {
  const links: { field: string; link: unknown }[] = [];
  if ('defaultService' in body) links.push({ field: 'defaultService', link: body.defaultService });
  const pms = Array.isArray(body.pathMatchers) ? body.pathMatchers : [];
  pms.forEach((pm: unknown, i) => {
    if (!isRecord(pm)) return;
    if ('defaultService' in pm) links.push({ field: `pathMatchers[${i}].defaultService`, link: pm.defaultService });
    for (const [j, r] of (Array.isArray(pm.pathRules) ? pm.pathRules : []).entries())
      if (isRecord(r) && 'service' in r)
        links.push({ field: `pathMatchers[${i}].pathRules[${j}].service`, link: r.service });
    for (const [j, r] of (Array.isArray(pm.routeRules) ? pm.routeRules : []).entries())
      if (isRecord(r) && 'service' in r)
        links.push({ field: `pathMatchers[${i}].routeRules[${j}].service`, link: r.service });
  });
  return links;
}

const invalid = (field: string, message: string) =>
  new ComputeApiError(400, `Invalid value for field 'resource.${field}': ${message}`);

/** The checks the real API makes on a URL map that the lever could get wrong. */
function validate(state: ComputeState, body: Json): void {
  const defaults = (o: Json) =>
    ['defaultService', 'defaultUrlRedirect', 'defaultRouteAction'].filter((k) => o[k] !== undefined && o[k] !== null);
  if (defaults(body).length > 1)
    throw invalid('defaultService', `at most one of ${defaults(body).join(', ')} may be set.`);
  const names = new Set<string>();
  const pms = body.pathMatchers === undefined ? [] : body.pathMatchers;
  if (!Array.isArray(pms)) throw invalid('pathMatchers', 'expected a list.');
  pms.forEach((pm: unknown, i) => {
    if (!isRecord(pm) || typeof pm.name !== 'string' || !NAME.test(pm.name))
      throw invalid(`pathMatchers[${i}].name`, 'must be a name like my-matcher (RFC 1035).');
    if (names.has(pm.name)) throw invalid(`pathMatchers[${i}].name`, `duplicate path matcher ${pm.name}.`);
    names.add(pm.name);
    if (defaults(pm).length !== 1)
      throw invalid(
        `pathMatchers[${i}]`,
        'exactly one of defaultService, defaultUrlRedirect, defaultRouteAction must be set.',
      );
  });
  for (const [i, hr] of (Array.isArray(body.hostRules) ? body.hostRules : []).entries()) {
    if (!isRecord(hr) || typeof hr.pathMatcher !== 'string' || !names.has(hr.pathMatcher))
      throw invalid(`hostRules[${i}].pathMatcher`, 'must name a path matcher of this URL map.');
  }
  for (const { field, link } of serviceLinks(body)) {
    const name = typeof link === 'string' ? backendServiceName(link) : undefined;
    if (!name) throw invalid(field, `'${String(link)}'. The URL is malformed.`);
    if (!state.backendServices.has(name)) throw notFound(name);
  }
}

function patch(state: ComputeState, map: UrlMapRecord, req: ApiRequest, fault?: FaultEffect): ApiResponse {
  const resource = `projects/${map.project}/global/urlMaps/${map.name}`;
  if (state.lacks('compute.urlMaps.update', resource)) throw forbidden('compute.urlMaps.update', resource);
  if (!isRecord(req.body)) throw new ComputeApiError(400, "Required field 'resource' not specified");
  const body = req.body;
  if (typeof body.name === 'string' && body.name !== map.name)
    throw invalid('name', `'${body.name}' does not match the URL map's name.`);
  if (body.fingerprint !== state.fingerprintOf(map)) {
    throw new ComputeApiError(
      412,
      body.fingerprint === undefined
        ? "Required field 'fingerprint' not specified: read the URL map and send its fingerprint."
        : 'Invalid fingerprint.',
      'conditionNotMet',
      { location: 'If-Match', locationType: 'header' },
    );
  }
  const changes = Object.fromEntries(Object.entries(body).filter(([k]) => !OUTPUT_ONLY.has(k)));
  const next = mergePatch(map.body, changes);
  validate(state, next);
  const used = new Set(serviceLinks(changes).map(({ link }) => backendServiceName(String(link))!));
  for (const name of used)
    if (state.lacks('compute.backendServices.use', name)) throw forbidden('compute.backendServices.use', name);
  const failure = fault?.operationError;
  const op = state.newOperation(
    map,
    'patch',
    failure && {
      code: failure.code,
      message: failure.message ?? `The operation on ${resource} failed (${failure.code}).`,
      httpStatus: failure.httpStatus ?? 400,
    },
  );
  // A failed operation leaves the map as it was; a good one changes it now, and the front ends
  // once the operation is DONE and the change has propagated.
  if (!failure) state.write(map, next, op.doneAt);
  return { status: 200, body: operationJson(op) };
}

function operationRoute(state: ComputeState, method: string, m: RegExpExecArray): Route | undefined {
  const [, name, project, , wait] = m;
  const find = () => {
    if (state.lacks('compute.globalOperations.get', `projects/${project}`))
      throw forbidden('compute.globalOperations.get', `projects/${project}`);
    const op = state.operations.get(name!);
    if (!op) throw notFound(name!);
    return op;
  };
  const base = {
    api: 'compute' as const,
    resource: name!,
    mutating: false,
    permission: 'compute.globalOperations.get',
  };
  if (!wait && method === 'GET')
    return {
      ...base,
      op: 'globalOperations.get',
      handle: () => ({ status: 200, body: operationJson(find()) }),
    };
  if (wait && method === 'POST') {
    return {
      ...base,
      op: 'globalOperations.wait',
      handle: async () => {
        const op = find();
        // A timer may fire a millisecond before Date.now() reaches its end: hold until it has.
        const until = Math.min(op.doneAt, Date.now() + WAIT_CAP_MS);
        while (Date.now() < until) await new Promise((r) => setTimeout(r, until - Date.now()));
        return { status: 200, body: operationJson(op) };
      },
    };
  }
  return undefined;
}

function urlMapsRoute(state: ComputeState, method: string, path: string): Route | undefined {
  const decoded = decodeURIComponent(path);
  const opMatch = OPERATION.exec(decoded);
  if (opMatch) return operationRoute(state, method, opMatch);
  const m = URL_MAP.exec(decoded);
  if (!m) return undefined;
  const name = m[1]!;
  const map = () => {
    const found = state.urlMap(name);
    if (!found) throw notFound(name);
    return found;
  };
  const base = {
    api: 'compute' as const,
    resource: name,
    state: () => {
      const found = state.urlMap(name);
      return found ? structuredClone(found.body) : null;
    },
  };
  if (method === 'GET') {
    return {
      ...base,
      op: 'urlMaps.get',
      mutating: false,
      permission: 'compute.urlMaps.get',
      handle: () => {
        if (state.lacks('compute.urlMaps.get', name)) throw forbidden('compute.urlMaps.get', name);
        return { status: 200, body: urlMapJson(state, map()) };
      },
    };
  }
  if (method === 'PATCH') {
    return {
      ...base,
      op: 'urlMaps.patch',
      mutating: true,
      permission: 'compute.urlMaps.update',
      handle: (req, fault) => patch(state, map(), req, fault),
    };
  }
  return {
    ...base,
    op: `urlMaps.${method.toLowerCase()}`,
    mutating: method !== 'GET',
    permission: 'compute.urlMaps.get',
    handle: () => {
      throw new ComputeApiError(501, `${method} ${path} is not simulated.`, 'notImplemented');
    },
  };
}

/** The etagConflict fault: someone edits the map (in the console) between the caller's read and patch. */
function concurrentMapEdit(state: CloudState, route: Route) {
  if (route.op !== 'urlMaps.patch') return undefined;
  const compute = computeOf(state);
  const map = compute.urlMap(route.resource);
  if (!map) return undefined;
  const after = { ...map.body, description: `edited by someone else at ${new Date().toISOString()}` };
  compute.write(map, after, Date.now());
  return { path: `/compute/v1/${route.resource}`, after };
}

export const computeApi = {
  name: 'compute',
  prefix: '/compute/',
  dialect: computeDialect,
  route: (state: CloudState, method: string, path: string): Route | undefined =>
    urlMapTestIamRoute(computeOf(state), method, path) ?? urlMapsRoute(computeOf(state), method, path),
  concurrentEdit: concurrentMapEdit,
} as const satisfies SimulatedApi;

// Cloud Run Admin API v2, service-level scaling as the warm-up uses it (issue 18):
//
//   PATCH /v2/{service}?updateMask=scaling.min_instance_count   run.services.update   → a long-running operation
//   GET   /v2/projects/{p}/locations/{r}/operations/{id}        run.operations.get    → done once reconciled
//
// Only the fields the update mask names change (the SDK's body also carries empty labels and
// annotations: a full replace would wipe them); no revision is made: the minimum is service-level.
// The operation is done after `state.propagationDelayMs` (at least 200 ms), like the real one
// that ends once the service is reconciled.
import { randomUUID } from 'node:crypto';
import { GoogleApiError, isRecord, type ApiRequest, type ApiResponse, type Route } from './http.ts';
import { notFound, semantic, serviceJson } from './cloud-run.ts';
import type { CloudState, RunService } from './state.ts';

const SERVICE = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/:]+)$/;
const OPERATION = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/operations\/[^/:]+)$/;
/** The update masks the simulator applies, as the SDK (snake case) or a hand-written call (camel case) names them. */
const MASKS = new Set(['scaling.min_instance_count', 'scaling.minInstanceCount']);
const MAX_INSTANCES = 1000;
const SERVICE_TYPE = 'type.googleapis.com/google.cloud.run.v2.Service';

interface RunOperation {
  name: string;
  service: string;
  doneAt: number;
}

const operations = new WeakMap<CloudState, Map<string, RunOperation>>();
const opsOf = (state: CloudState) => {
  let ops = operations.get(state);
  if (!ops) operations.set(state, (ops = new Map()));
  return ops;
};

function operationJson(state: CloudState, op: RunOperation): Record<string, unknown> {
  const svc = state.service(op.service);
  const body = svc ? { '@type': SERVICE_TYPE, ...serviceJson(state, svc) } : undefined;
  const done = Date.now() >= op.doneAt;
  return { name: op.name, metadata: body, done, ...(done && { response: body }) };
}

function minInstancesOf(req: ApiRequest): number {
  const mask = (req.url.searchParams.get('updateMask') ?? '').split(',').filter(Boolean);
  if (mask.length === 0)
    throw new GoogleApiError(501, 'An update without an update mask replaces the service: not simulated.');
  const other = mask.find((m) => !MASKS.has(m));
  if (other) throw new GoogleApiError(501, `Updating ${other} is not simulated (only scaling.min_instance_count).`);
  const scaling = isRecord(req.body) && isRecord(req.body.scaling) ? req.body.scaling : {};
  const n = scaling.minInstanceCount ?? 0; // proto3 JSON: a zero is left out
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_INSTANCES)
    throw new GoogleApiError(400, `service.scaling.min_instance_count: must be an integer from 0 to ${MAX_INSTANCES}.`);
  return n;
}

function updateService(state: CloudState, svc: RunService, req: ApiRequest): ApiResponse {
  const n = minInstancesOf(req);
  if (svc.minInstanceCount !== n) {
    svc.minInstanceCount = n;
    svc.generation++;
    svc.updateTime = new Date().toISOString();
  }
  const [, location] = /^(projects\/[^/]+\/locations\/[^/]+)\//.exec(svc.name) ?? [];
  const op: RunOperation = {
    name: `${location}/operations/${randomUUID()}`,
    service: svc.name,
    doneAt: Date.now() + Math.max(state.propagationDelayMs, 200),
  };
  opsOf(state).set(op.name, op);
  return { status: 200, body: operationJson(state, op) };
}

export function scalingRoute(state: CloudState, method: string, path: string): Route | undefined {
  const service = SERVICE.exec(path)?.[1];
  if (service && method === 'PATCH') {
    return {
      api: 'run',
      op: 'updateService',
      resource: service,
      mutating: true,
      permission: 'run.services.update',
      state: () => semantic(state.service(service)),
      handle: (req) => {
        const svc = state.service(service);
        if (!svc) throw notFound(service);
        return updateService(state, svc, req);
      },
    };
  }
  const operation = OPERATION.exec(path)?.[1];
  if (operation && method === 'GET') {
    return {
      api: 'run',
      op: 'getOperation',
      resource: operation,
      mutating: false,
      permission: 'run.operations.get',
      handle: () => {
        const op = opsOf(state).get(operation);
        if (!op) throw new GoogleApiError(404, `Operation ${operation} does not exist.`);
        return { status: 200, body: operationJson(state, op) };
      },
    };
  }
  return undefined;
}

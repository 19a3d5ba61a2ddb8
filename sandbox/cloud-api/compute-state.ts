// The simulated Compute Engine load-balancing objects the traffic lever touches: global backend
// services (only their names: what a URL map may point at), global URL maps with fingerprints,
// global operations that take time, the IAM permissions the caller lacks, and what the load
// balancer's front ends serve (a URL map change reaches them only after its operation is DONE
// and the propagation delay).
import { createHash } from 'node:crypto';
import { iamOf, type Iam } from './iam.ts';
import type { CloudState, Json } from './state.ts';

export const COMPUTE_BASE = 'https://www.googleapis.com/compute/v1/';

export interface UrlMapRecord {
  name: string;
  project: string;
  id: string;
  creationTimestamp: string;
  /** The writable fields, as the API shows them (links fully qualified). */
  body: Json;
  /** Bumped on every accepted write; the fingerprint is derived from it. */
  seq: number;
  /** What the front ends serve from when: the defaults of each accepted change. */
  served: { at: number; defaults: Record<string, string | undefined> }[];
}

export interface OperationRecord {
  project: string;
  name: string;
  id: string;
  targetLink: string;
  targetId: string;
  operationType: string;
  insertTime: number;
  doneAt: number;
  /** Set when the operation ends with an error (the change was not applied). */
  error?: { code: string; message: string; httpStatus: number };
}

/** A fully qualified link → `projects/p/global/backendServices/b`; undefined when it is not one. */
export function backendServiceName(link: string): string | undefined {
  const m =
    /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/(?:v1|beta|alpha)\/)?(projects\/[^/]+\/global\/backendServices\/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$/.exec(
      link,
    );
  return m?.[1];
}

/** The defaults a URL map routes by: "" for the map's own, a path matcher's name for its own. */
function defaultsOf(body: Json): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    '': typeof body.defaultService === 'string' ? backendServiceName(body.defaultService) : undefined,
  };
  for (const pm of Array.isArray(body.pathMatchers) ? (body.pathMatchers as Json[]) : []) {
    if (typeof pm.name === 'string')
      out[pm.name] = typeof pm.defaultService === 'string' ? backendServiceName(pm.defaultService) : undefined;
  }
  return out;
}

export class ComputeState {
  readonly backendServices = new Set<string>();
  readonly urlMaps = new Map<string, UrlMapRecord>();
  readonly operations = new Map<string, OperationRecord>();
  /** Permissions the caller lacks: "permission" (everywhere) or "permission on resource". */
  readonly denied = new Set<string>();
  /** How long a URL map write's operation stays PENDING/RUNNING before DONE. */
  operationDelayMs = 0;
  /** After DONE, how long until Google's front ends serve the new map (real: tens of seconds to minutes). */
  propagationDelayMs = 0;
  private counter = 0;

  private nextId(kind: string): string {
    const hash = createHash('sha256').update(`${kind}:${++this.counter}`).digest();
    return BigInt(`0x${hash.subarray(0, 7).toString('hex')}`).toString();
  }

  addBackendService(project: string, name: string): string {
    const full = `projects/${project}/global/backendServices/${name}`;
    this.backendServices.add(full);
    return full;
  }

  /** A URL map; `body` holds defaultService, hostRules, pathMatchers… (links fully qualified or not). */
  addUrlMap(project: string, name: string, body: Json): UrlMapRecord {
    const record: UrlMapRecord = {
      name,
      project,
      id: this.nextId('urlMap'),
      creationTimestamp: new Date().toISOString(),
      body: qualify(structuredClone(body)),
      seq: 1,
      served: [],
    };
    record.served.push({ at: -Infinity, defaults: defaultsOf(record.body) });
    this.urlMaps.set(`projects/${project}/global/urlMaps/${name}`, record);
    return record;
  }

  urlMap(name: string): UrlMapRecord | undefined {
    return this.urlMaps.get(name);
  }

  fingerprintOf(map: UrlMapRecord): string {
    return createHash('sha1')
      .update(`${map.project}/${map.name}#${map.seq}`)
      .digest()
      .subarray(0, 8)
      .toString('base64');
  }

  /** Any writer (an API call, or a simulated concurrent editor): a new body and a new fingerprint. */
  write(map: UrlMapRecord, body: Json, servedFrom: number): void {
    map.body = qualify(structuredClone(body));
    map.seq++;
    map.served.push({ at: servedFrom + this.propagationDelayMs, defaults: defaultsOf(map.body) });
    map.served.sort((a, b) => a.at - b.at);
  }

  /** The backend service the front ends send a request to now: the map's default or a path matcher's. */
  serving(urlMap: string, pathMatcher = '', now = Date.now()): string | undefined {
    const map = this.urlMaps.get(urlMap);
    if (!map) return undefined;
    let current: string | undefined;
    for (const s of map.served) if (s.at <= now) current = s.defaults[pathMatcher];
    return current;
  }

  newOperation(map: UrlMapRecord, type: string, error?: OperationRecord['error']): OperationRecord {
    const now = Date.now();
    const op: OperationRecord = {
      project: map.project,
      name: `operation-${now}-${createHash('sha1').update(String(++this.counter)).digest('hex').slice(0, 13)}-${this.counter}`,
      id: this.nextId('operation'),
      targetLink: `${COMPUTE_BASE}projects/${map.project}/global/urlMaps/${map.name}`,
      targetId: map.id,
      operationType: type,
      insertTime: now,
      doneAt: now + this.operationDelayMs,
      ...(error && { error }),
    };
    this.operations.set(`projects/${op.project}/global/operations/${op.name}`, op);
    return op;
  }

  private readonly iam: Iam | undefined;

  constructor(iam?: Iam) {
    this.iam = iam;
  }

  /** Whether the caller lacks `permission` on `resource`: denied here, or outside its roles (iam.ts). */
  /** Whether the caller holds `permission` on `resource`, unrecorded (testIamPermissions). */
  holds(permission: string, resource: string): boolean {
    if (this.denied.has(permission) || this.denied.has(`${permission} on ${resource}`)) return false;
    return this.iam ? this.iam.holds(permission, resource) : true;
  }

  lacks(permission: string, resource: string): boolean {
    if (this.denied.has(permission) || this.denied.has(`${permission} on ${resource}`)) return true;
    return this.iam ? !this.iam.allows(permission, resource) : false;
  }

  /** The state that matters (no fingerprints, ids or times): what tests compare. */
  snapshot(): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const [name, map] of this.urlMaps) out[name] = structuredClone(map.body);
    return out;
  }
}

const COMPUTE = new WeakMap<CloudState, ComputeState>();

/** The Compute part of a simulated cloud, made on first use: CloudState knows nothing of it. */
export function computeOf(state: CloudState): ComputeState {
  let compute = COMPUTE.get(state);
  if (!compute) COMPUTE.set(state, (compute = new ComputeState(iamOf(state))));
  return compute;
}

/** Backend service links as the API returns them: fully qualified. */
function qualify(body: Json): Json {
  const q = (v: unknown) => {
    const name = typeof v === 'string' ? backendServiceName(v) : undefined;
    return name ? `${COMPUTE_BASE}${name}` : v;
  };
  if ('defaultService' in body) body.defaultService = q(body.defaultService);
  for (const pm of Array.isArray(body.pathMatchers) ? (body.pathMatchers as Json[]) : []) {
    if ('defaultService' in pm) pm.defaultService = q(pm.defaultService);
    for (const rules of [pm.pathRules, pm.routeRules])
      for (const r of Array.isArray(rules) ? (rules as Json[]) : []) if ('service' in r) r.service = q(r.service);
  }
  return body;
}

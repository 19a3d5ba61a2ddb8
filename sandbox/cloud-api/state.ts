// The simulated cloud: Cloud Run services with their IAM policies, Cloud Monitoring alert
// policies, Cloudflare zones (page rules, rulesets, DNS records). Plain data plus the helpers
// the API handlers, the edge and the standby site read it through.
import { createHash } from 'node:crypto';
import type { IamBinding, StateSnapshot } from './types.ts';

export const INVOKER_ROLE = 'roles/run.invoker';
export const REDIRECT_PHASE = 'http_request_dynamic_redirect';

export interface RunService {
  name: string;
  uid: string;
  uri: string;
  invokerIamDisabled: boolean;
  generation: number;
  createTime: string;
  updateTime: string;
  policyVersion: number;
  bindings: IamBinding[];
  /** Bumped on every accepted setIamPolicy; the etag is derived from it. */
  policySeq: number;
  /** When allUsers gained or lost the invoker role, for the simulated propagation delay. */
  accessChanges: { at: number; public: boolean }[];
  /** Service-level scaling.minInstanceCount (0: unset); changing it makes no revision. */
  minInstanceCount: number;
  /** The one revision: the simulator deploys none (only service-level fields change). */
  revision: string;
}

export type Json = Record<string, unknown>;

export interface Zone {
  id: string;
  name: string;
  pageRules: Map<string, Json>;
  rulesets: Map<string, Json & { id: string; phase: string; rules: Json[]; version: string }>;
  /** phase → ruleset id of the zone's entrypoint ruleset for that phase. */
  entrypoints: Map<string, string>;
  dnsRecords: Map<string, Json>;
}

export function hasPublicInvoker(bindings: IamBinding[]): boolean {
  return bindings.some((b) => b.role === INVOKER_ROLE && !b.condition && b.members.includes('allUsers'));
}

/** Bindings in a canonical order (by role, unconditional first), members sorted. */
export function sortedBindings(bindings: IamBinding[]): IamBinding[] {
  const key = (b: IamBinding) => `${b.role}\u0000${b.condition ? `1${JSON.stringify(b.condition)}` : '0'}`;
  return bindings
    .map((b) => ({ ...b, members: [...b.members].sort() }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function omit(obj: Json, keys: string[]): Json {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

const clone = <T>(v: T): T => structuredClone(v);

export class CloudState {
  readonly services = new Map<string, RunService>();
  readonly alertPolicies = new Map<string, Json>();
  readonly zones = new Map<string, Zone>();
  /** Cloudflare API tokens and the permission groups each holds (e.g. "Page Rules Write"). */
  readonly tokens = new Map<string, Set<string>>();
  /** How long an IAM change takes to reach the standby's front end. */
  propagationDelayMs = 0;
  private counter = 0;
  private readonly seed: number;

  constructor(seed = 1) {
    this.seed = seed;
  }

  /** A deterministic id: 32 hex characters, like Cloudflare's. */
  newId(kind: string): string {
    return createHash('sha256').update(`${this.seed}:${kind}:${++this.counter}`).digest('hex').slice(0, 32);
  }

  now(): string {
    return new Date().toISOString();
  }

  // --- Cloud Run ---------------------------------------------------------------------------

  addService(opts: {
    project: string;
    region: string;
    service: string;
    uri: string;
    invokerIamDisabled?: boolean;
    bindings?: IamBinding[];
  }): RunService {
    const name = `projects/${opts.project}/locations/${opts.region}/services/${opts.service}`;
    const bindings = clone(opts.bindings ?? []);
    const svc: RunService = {
      name,
      uid: this.newId('uid').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
      uri: opts.uri,
      invokerIamDisabled: opts.invokerIamDisabled ?? false,
      generation: 1,
      createTime: this.now(),
      updateTime: this.now(),
      policyVersion: bindings.some((b) => b.condition) ? 3 : 1,
      bindings,
      policySeq: 1,
      accessChanges: [{ at: -Infinity, public: hasPublicInvoker(bindings) }],
      minInstanceCount: 0,
      revision: `${opts.service}-00001-sbx`,
    };
    this.services.set(name, svc);
    return svc;
  }

  service(name: string): RunService | undefined {
    return this.services.get(name);
  }

  etagOf(svc: RunService): string {
    return createHash('sha1').update(`${svc.name}#${svc.policySeq}`).digest().subarray(0, 8).toString('base64');
  }

  /** Replaces a service's bindings (any writer: an API call or a simulated concurrent editor). */
  writeBindings(svc: RunService, bindings: IamBinding[], version?: number): void {
    const wasPublic = hasPublicInvoker(svc.bindings);
    svc.bindings = clone(bindings);
    if (version !== undefined) svc.policyVersion = version;
    svc.policySeq++;
    svc.updateTime = this.now();
    const isPublic = hasPublicInvoker(svc.bindings);
    if (isPublic !== wasPublic) svc.accessChanges.push({ at: Date.now(), public: isPublic });
  }

  /** Whether the service's front end lets anonymous callers in now (after the propagation delay). */
  isPublic(name: string, now = Date.now()): boolean {
    const svc = this.services.get(name);
    if (!svc) return false;
    if (svc.invokerIamDisabled) return true;
    let current = false;
    for (const c of svc.accessChanges) if (c.at + this.propagationDelayMs <= now) current = c.public;
    return current;
  }

  // --- Cloud Monitoring ----------------------------------------------------------------------

  addAlertPolicy(project: string, policy: Json): Json {
    const name = `projects/${project}/alertPolicies/${String(BigInt(`0x${this.newId('policy').slice(0, 15)}`))}`;
    const record = { mutatedBy: 'sandbox@example.test', mutateTime: this.now() };
    const full: Json = {
      name,
      enabled: true,
      combiner: 'OR',
      userLabels: {},
      conditions: [],
      notificationChannels: [],
      ...clone(policy),
      creationRecord: record,
      mutationRecord: record,
    };
    full.name = name;
    this.alertPolicies.set(name, full);
    return full;
  }

  // --- Cloudflare --------------------------------------------------------------------------

  addZone(name: string): Zone {
    const zone: Zone = {
      id: this.newId('zone'),
      name,
      pageRules: new Map(),
      rulesets: new Map(),
      entrypoints: new Map(),
      dnsRecords: new Map(),
    };
    this.zones.set(zone.id, zone);
    return zone;
  }

  addPageRule(zone: Zone, rule: Json): Json {
    const id = this.newId('pagerule');
    const full: Json = {
      id,
      priority: 1,
      status: 'disabled',
      ...clone(rule),
      created_on: this.now(),
      modified_on: this.now(),
    };
    zone.pageRules.set(id, full);
    return full;
  }

  /** Adds a rule to the zone's entrypoint ruleset of `phase`, creating that ruleset if needed. */
  addRulesetRule(zone: Zone, phase: string, rule: Json): Json {
    let rulesetId = zone.entrypoints.get(phase);
    if (!rulesetId) {
      rulesetId = this.newId('ruleset');
      zone.rulesets.set(rulesetId, {
        id: rulesetId,
        name: 'default',
        description: '',
        kind: 'zone',
        phase,
        version: '1',
        last_updated: this.now(),
        rules: [],
      });
      zone.entrypoints.set(phase, rulesetId);
    }
    const ruleset = zone.rulesets.get(rulesetId)!;
    const id = this.newId('rule');
    const full: Json = {
      id,
      version: '1',
      enabled: true,
      ...clone(rule),
      ref: rule.ref ?? id,
      last_updated: this.now(),
    };
    ruleset.rules.push(full);
    ruleset.version = String(Number(ruleset.version) + 1);
    return full;
  }

  addDnsRecord(zone: Zone, record: Json): Json {
    const id = this.newId('dns');
    const full: Json = {
      id,
      zone_id: zone.id,
      zone_name: zone.name,
      proxiable: true,
      proxied: false,
      ttl: 300,
      settings: {},
      meta: {},
      comment: null,
      tags: [],
      ...clone(record),
      created_on: this.now(),
      modified_on: this.now(),
    };
    zone.dnsRecords.set(id, full);
    return full;
  }

  // --- snapshot ------------------------------------------------------------------------------

  /** The state that matters, without etags, versions and timestamps. */
  snapshot(): StateSnapshot {
    const snap: StateSnapshot = { run: {}, monitoring: {}, cloudflare: {} };
    for (const [name, s] of this.services)
      snap.run[name] = {
        invokerIamDisabled: s.invokerIamDisabled,
        bindings: sortedBindings(s.bindings),
        ...(s.minInstanceCount > 0 && { minInstanceCount: s.minInstanceCount }),
      };
    for (const [name, p] of this.alertPolicies) snap.monitoring[name] = clone(omit(p, ['mutationRecord']));
    for (const [id, z] of this.zones) {
      const zone: StateSnapshot['cloudflare'][string] = { pageRules: {}, rulesets: {}, dnsRecords: {} };
      for (const [rid, r] of z.pageRules) zone.pageRules[rid] = clone(omit(r, ['modified_on', 'created_on']));
      for (const [rid, r] of z.rulesets) {
        zone.rulesets[rid] = {
          phase: r.phase,
          rules: r.rules.map((rule) => clone(omit(rule, ['version', 'last_updated']))),
        };
      }
      for (const [rid, r] of z.dnsRecords) zone.dnsRecords[rid] = clone(omit(r, ['modified_on', 'created_on']));
      snap.cloudflare[id] = zone;
    }
    return snap;
  }
}

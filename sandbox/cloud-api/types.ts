// Shapes shared by the cloud API simulator, its control API and the tests that drive it.

import type { Api } from './apis.ts';

export type { Api };

export interface IamCondition {
  expression: string;
  title?: string;
  description?: string;
}

export interface IamBinding {
  role: string;
  members: string[];
  condition?: IamCondition;
}

/** A fault rule: which requests it hits and what it does to them. */
export interface FaultRule {
  /** Which API; omitted: all of them. */
  api?: Api;
  /** Operation name, e.g. "setIamPolicy", "updateAlertPolicy", "rules.edit", "dns_records.get". */
  op?: string;
  /** Only requests whose resource name contains this text (e.g. a service or zone id). */
  resource?: string;
  /** Probability (0..1) that a matching request is hit, drawn from the seeded generator. Default 1. */
  rate?: number;
  /** How many requests it hits before it expires. Default: unlimited. */
  times?: number;
  /** Added delay before the request is handled. */
  latencyMs?: number;
  /** Answer with this HTTP status, in the API's own error format. */
  status?: number;
  /** With status 429/503: the Retry-After header (seconds), also sent as google.rpc.RetryInfo for Google APIs. */
  retryAfterSeconds?: number;
  /** Accept the request and never answer (the client times out). */
  timeout?: boolean;
  /** Reset the connection without answering. */
  reset?: boolean;
  /** A read-modify-write with a lock (an etag, a fingerprint): another writer changes the resource first, so the request's lock is stale (the API module says how: SimulatedApi.concurrentEdit). */
  etagConflict?: boolean;
  /** With etagConflict: the concurrent writer adds this member to this role (default: it only bumps the etag). */
  concurrentBinding?: { role: string; member: string };
  /** APIs whose writes answer a long-running operation: the write is accepted, and its operation ends with this error (nothing applied). */
  operationError?: { code: string; message?: string; httpStatus?: number };
  /** Hold the request until released: "before" it is applied, or "after" it is applied but before the answer. */
  hold?: 'before' | 'after';
}

export interface FaultInfo extends FaultRule {
  id: number;
  /** How many requests it has hit so far. */
  hits: number;
}

/** One request to one of the simulated APIs, as the simulator saw it. */
export interface CallRecord {
  seq: number;
  at: number;
  api: Api;
  op: string;
  method: string;
  path: string;
  resource: string;
  status: number;
  /** The fault that hit it, if any (e.g. "status 429", "timeout", "hold after"). */
  fault?: string;
}

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** One mutating request (accepted or refused); `effect` says whether it changed the state. */
export interface AuditEntry extends Omit<CallRecord, 'fault'> {
  effect: boolean;
  changes: FieldChange[];
}

export interface HeldRequest {
  id: number;
  api: Api;
  op: string;
  resource: string;
  stage: 'before' | 'after';
  since: number;
}

/** The provider state that matters (no etags, versions or timestamps): what snapshot/diff compare. */
export interface StateSnapshot {
  /** `minInstanceCount`: the service-level minimum, only when set (above 0). */
  run: Record<string, { invokerIamDisabled: boolean; bindings: IamBinding[]; minInstanceCount?: number }>;
  monitoring: Record<string, Record<string, unknown>>;
  cloudflare: Record<
    string,
    {
      pageRules: Record<string, Record<string, unknown>>;
      rulesets: Record<string, { phase: string; rules: Record<string, unknown>[] }>;
      dnsRecords: Record<string, Record<string, unknown>>;
    }
  >;
}

// What a provider folder (activities/providers/<vendor>/<lever>/) exports: one descriptor that
// says which lever it moves, its config `type` and schema, how to build its adapter, and what the
// rest of the system derives from it (step timeouts, drain, warnings, permissions).
import type { z } from 'zod';
import type { ReadinessCheck } from '../../workflows/readiness-types.ts';
import type { Monitor, SiteProviders, StandbyAccess, TrafficRouter } from './types.ts';

/** The three levers of a site, as named in `SiteProviders` and in the incident's policy. */
export type LeverKind = 'standbyAccess' | 'traffic' | 'monitor';

/** The adapter each kind of lever builds. */
export interface LeverOf {
  standbyAccess: StandbyAccess;
  traffic: TrafficRouter;
  monitor: Monitor;
}

/** Where the SDKs send their requests: the config's `apis` section (omitted: the real APIs). */
export interface ApiEndpoints {
  google?: { apiEndpoint: string; port?: number | undefined; protocol: 'http' | 'https'; timeout: number };
  cloudflare?: { baseURL: string; timeout: number };
}

/** What `build` gets besides its own config. */
export interface BuildContext {
  /** The site's name (for messages). */
  site: string;
  apis: ApiEndpoints;
  /** Where tokens are read from (CLOUDFLARE_API_TOKEN); never the config. */
  env: NodeJS.ProcessEnv;
  /** An SDK client shared by every site of the process, made on first use under `key`. */
  shared<T>(key: string, make: () => T): T;
  /** This site's levers in the in-memory world (tests, demo); throws when the worker has none. */
  inMemory(): SiteProviders;
}

/**
 * What one attempt of the lever's step may cost, from which `config/policies.ts` derives the
 * step's start-to-close timeout (calls × callTimeoutMs + marginMs) and first retry interval.
 * The workflow gets only the derived numbers, so it names no vendor.
 */
export interface CallProfile {
  /** API calls one attempt makes at most (e.g. a read and a write: 2). */
  calls: number;
  /** The bound on one call (the default of `apis.*.timeout`). */
  callTimeoutMs: number;
  /** Added to the calls' time: the activity's own work and its last heartbeat (default 5 s). */
  marginMs?: number;
  /** First retry interval of the step (doubled each time, at most 10 s). */
  firstRetryMs: number;
}

/**
 * The exact permissions a provider's calls need, named as each vendor names them. Empty for a
 * lever that makes no remote call. test/least-privilege.test.ts runs every lever through the
 * simulator and fails on a call no declared permission covers.
 */
export interface Permissions {
  /** Google IAM permissions, e.g. run.services.setIamPolicy. */
  google?: readonly string[];
  /**
   * Cloudflare API token permission groups as the API names them, e.g. "DNS Write" (the
   * dashboard's Zone → DNS → Edit); a Write group includes its Read.
   */
  cloudflare?: readonly string[];
}

/** The schema of one provider's config: a strict object whose `type` is a literal. */
export type ProviderSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape, z.core.$strict>;

export interface ProviderDescriptor<K extends LeverKind = LeverKind, S extends ProviderSchema = ProviderSchema> {
  kind: K;
  /** The config `type` (the schema's literal). */
  type: z.output<S>['type'];
  schema: S;
  /** Makes the adapter; called once per site, when the site is first used. */
  build(cfg: z.output<S>, ctx: BuildContext): LeverOf[K];
  /** null: the lever makes no remote call, and its step keeps the workflow's defaults. */
  callProfile: CallProfile | null;
  /** After failing back, how long the standby stays open for answers cached elsewhere (DNS). */
  drainAfterFailbackMs?(cfg: z.output<S>): number | undefined;
  /** What the schema accepts but is worth a look: "field: reason", relative to the lever's config. */
  warnings?(cfg: z.output<S>): string[];
  /** What the worker's identity needs for every call the adapter makes (docs/production.md's role table is checked against it). */
  permissions: Permissions;
  // The hooks below are declared for the next issues (checks before an incident, a standby kept
  // warm); nothing calls them yet.
  /** Whether the credentials may make every change of this lever (docs/readiness.md): read-only. */
  readiness?(cfg: z.output<S>, ctx: BuildContext): Promise<ReadinessCheck[]>;
  /** Prepares the target before traffic is switched to it (e.g. scale up from zero). */
  warmUp?(cfg: z.output<S>, ctx: BuildContext): Promise<void>;
}

/** Types a descriptor by its schema, so `build` and the hooks take exactly the config it parses. */
export function defineProvider<K extends LeverKind, S extends ProviderSchema>(
  d: ProviderDescriptor<K, S>,
): ProviderDescriptor<K, S> {
  return d;
}

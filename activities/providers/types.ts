// The small interfaces every provider adapter implements. Activities depend only on these,
// so in-process, simulated and real adapters plug in without touching workflows.
import type { Snapshot, Target } from '../../workflows/types.ts';
import type { CallBudget } from './budget.ts';
import type { ReadinessCheck } from '../../workflows/readiness-types.ts';

export type { CallBudget } from './budget.ts';

export interface Change {
  changed: boolean;
  /** State found before acting. */
  before: Snapshot;
  /** One line a human reads in the timeline, e.g. "added allUsers to roles/run.invoker". */
  summary: string;
}

/**
 * A switch in the outside world. `set` reads first and writes only when the world differs
 * (idempotent); `restore` puts back a snapshot taken by an earlier `set`. The optional budget
 * (the activity's cancellation and deadline) bounds every call they make: once it is spent, no
 * further call is sent, so a late attempt cannot land a write after a compensation.
 */
export interface Lever<Position extends string> {
  /** The resource, named as its API names it (for messages). */
  readonly resource: string;
  read(budget?: CallBudget): Promise<Snapshot>;
  /** Whether a snapshot from `read` shows the lever already at `position` (`set` would change nothing). */
  isAt(position: Position, snapshot: Snapshot): boolean;
  set(position: Position, budget?: CallBudget): Promise<Change>;
  restore(before: Snapshot, budget?: CallBudget): Promise<Change>;
}

export type StandbyAccess = Lever<'open' | 'closed'>;
export type TrafficRouter = Lever<Target>;
export type Monitor = Lever<'paused' | 'enabled'>;
/** The standby's minimum instances: raised ('warm') before it is opened, restored after. */
export type Warmup = Lever<'warm'>;

/** What a probe is aimed at: the primary or standby directly, or the public URL users hit. */
export type Endpoint = 'primary' | 'standby' | 'public';

export interface ProbeResult {
  ok: boolean;
  /** e.g. "200 in 12 ms, marker found" or "403 Forbidden". */
  detail: string;
}

export interface Prober {
  /** One check: does `endpoint` answer as `expect` would (status and body marker)? */
  check(endpoint: Endpoint, expect: Target, signal?: AbortSignal): Promise<ProbeResult>;
}

export interface ProbePolicy {
  intervalMs: number;
  /** Consecutive passing checks needed before a target counts as serving. */
  successesNeeded: number;
}

export interface SiteProviders {
  standbyAccess: StandbyAccess;
  traffic: TrafficRouter;
  monitor: Monitor;
  /** Only for a site with standby.warmup. */
  warmup?: Warmup;
  prober: Prober;
  probe: ProbePolicy;
}

export interface ProviderRegistry {
  /** Throws ProviderError('invalid_config') for an unknown site. */
  forSite(site: string): SiteProviders;
  /** Each lever's permission check (its provider's `readiness` hook); absent: the registry has none (tests). */
  readiness?(site: string): Promise<ReadinessCheck[]>;
}

/** What the watcher's probes need of a site: its prober only (no levers, no credentials). */
export interface ProbeRegistry {
  /** Throws ProviderError('invalid_config') for an unknown site. */
  forSite(site: string): Pick<SiteProviders, 'prober' | 'probe'>;
}

// The incident workflow's data: its input, policy, phases, steps, status and timeline. No behaviour.
import type { NotifyPolicy } from './notification-types.ts';
import type { Snapshot } from './types.ts';

/** The incident's phases; FailoverPhase (a search attribute) holds one. */
export const PHASES = [
  'awaiting_trigger', // started, no trigger yet (e.g. a bare signal-with-start)
  'failing_over',
  'on_standby',
  'failing_back',
  'needs_attention', // the orchestrator cannot restore a serving, consistent world: a human decides (retry / acknowledge)
  'resolved', // back on the primary, standby closed, monitor resumed
  'rolled_back', // failover undone (a step failed for good, or abort)
  'dismissed', // ended before any change (abort, a stale alert, an outage the orchestrator could not confirm)
  'acknowledged', // a human accepted the world as it is, from needs_attention
] as const;
export type Phase = (typeof PHASES)[number];

export const FINAL_PHASES: readonly Phase[] = ['resolved', 'rolled_back', 'dismissed', 'acknowledged'];
/** Where a running incident may stay for long: on the standby, or waiting for a human. */
export const WAITING_PHASES: readonly Phase[] = ['on_standby', 'needs_attention'];
/** Where an abort stops something: the trigger not yet come, or a failover or failback in flight. */
export const ABORTABLE_PHASES: readonly Phase[] = ['awaiting_trigger', 'failing_over', 'failing_back'];

export interface TriggerRecord {
  kind:
    'alert_opened' | 'alert_closed' | 'primary_recovered' | 'failback_requested' | 'abort' | 'retry' | 'acknowledge';
  id?: string;
  source: string;
  /** Workflow time it was received (ms since epoch). */
  at: number;
  /** Why it changed nothing (a duplicate, late or out-of-order message), if it did not. */
  ignored?: string;
  /** Identical triggers received right after this one, and when the last of them came. */
  repeats?: number;
  lastAt?: number;
}

/** The failover saga's steps, in order (pause_monitor runs beside the others). */
export const FAILOVER_STEPS = [
  'confirm_primary_down',
  'pause_monitor',
  'warm_standby', // only with standby.warmup: the minimum instances raised before the standby is opened
  'enable_standby_access',
  'await_standby_ready',
  'route_traffic_to_standby',
  'verify_public_url_on_standby',
] as const;
/** The failback's steps, in order, cleanup included. */
export const FAILBACK_STEPS = [
  'await_primary_healthy',
  'route_traffic_to_primary',
  'verify_public_url_on_primary',
  'drain_standby',
  'close_standby_access',
  'resume_monitor',
  'cool_standby', // the minimum instances put back as found (standby.warmup)
] as const;
const COMPENSATION_STEPS = [
  'undo_warm_standby',
  'undo_enable_standby_access',
  'undo_route_traffic_to_standby',
  'undo_pause_monitor',
  'undo_route_traffic_to_primary',
] as const;
/**
 * Every step of the timeline; check_primary_serves follows a failover that was undone; watch_primary
 * runs in needs_attention while a cleanup left the monitor paused.
 */
export const STEPS = [
  ...FAILOVER_STEPS,
  'check_primary_serves',
  ...FAILBACK_STEPS,
  ...COMPENSATION_STEPS,
  'watch_primary',
] as const;
export type StepName = (typeof STEPS)[number];

/** The steps that change the world; probes and waits may run again harmlessly. */
export const CHANGE_STEPS = [
  'pause_monitor',
  'warm_standby',
  'enable_standby_access',
  'route_traffic_to_standby',
  'route_traffic_to_primary',
  'close_standby_access',
  'resume_monitor',
  'cool_standby',
] as const satisfies readonly StepName[];
/** What a failover changes (and `failover start --dry-run` plans). */
export type FailoverChange = (typeof CHANGE_STEPS)[number] & (typeof FAILOVER_STEPS)[number];

export interface StepRecord {
  name: StepName;
  startedAt: number;
  endedAt?: number;
  attempts?: number;
  outcome: 'running' | 'ok' | 'failed' | 'cancelled';
  changed?: boolean;
  summary?: string;
  error?: string;
}

export interface FailbackPolicy {
  mode: 'manual' | 'auto';
  /** The primary must be healthy for this long, uninterrupted, before an automatic failback. */
  holdDownMs: number;
  /** Automatic failbacks that may fail before the site waits for a human (absent in older runs: 3). */
  maxAutoAttempts?: number;
  /** Wait before the next automatic attempt after a failed one, doubled each time (absent: 1 min). */
  retryBackoffMs?: number;
}

/** The non-secret part of a site's config that the workflow itself needs. */
export interface IncidentPolicy {
  failback: FailbackPolicy;
  /** Bound on waiting for the standby to serve (IAM propagation takes 2-7+ min). */
  standbyReadyTimeoutMs: number;
  /** Bound on verifying the public URL after a traffic switch. */
  verifyTimeoutMs: number;
  /** Bound on checking the primary before a manual failback. */
  primaryCheckTimeoutMs: number;
  /** Probe cadence and per-check bound: the probe activities' heartbeat timeout follows them (absent in older runs). */
  probeIntervalMs?: number;
  probeCheckTimeoutMs?: number;
  /** Before failing over on a Pub/Sub alert, check from here that the primary fails (absent: true). */
  confirmOutage?: boolean;
  /**
   * After a failover undone while the primary does not serve either: fail over again on its own,
   * up to `maxAttempts` times, `backoffMs` after the first wait began, doubled each time (absent: never).
   */
  failoverRetry?: { maxAttempts: number; backoffMs: number };
  /** After failing back, how long the standby stays open for cached DNS answers (absent: 0). */
  drainBeforeCloseMs?: number;
  /**
   * Each lever's change step, derived from its provider's call profile (config/policies.ts).
   * Absent in older runs and for levers that make no remote call: the workflow's defaults apply.
   */
  levers?: Partial<Record<'standbyAccess' | 'traffic' | 'monitor', LeverStepPolicy>>;
  /** Raise the standby's minimum instances before opening it, and put them back after (absent: no). */
  warmStandby?: boolean;
  /** Where phase changes are notified (absent: nowhere, and in runs started before notifications). */
  notify?: NotifyPolicy;
}

/** The bounds of one lever's change step: one attempt's start-to-close, and the first retry interval. */
export interface LeverStepPolicy {
  startToCloseTimeoutMs: number;
  initialIntervalMs: number;
}

export interface IncidentInput {
  site: string;
  policy: IncidentPolicy;
  /** When the site's previous incident ended: an alert that started before it is stale. */
  previousEndedAt?: number;
  /** Alerts the site's previous incident acted on: a redelivery of one starts nothing. */
  previousAlertIds?: string[];
  /** When the site's previous incident last saw the primary serve: an outage that started before it is stale. */
  previousServingAt?: number;
  /** Set only by continue-as-new: the state carried into the new run. */
  carried?: CarriedState;
}

/** What a new incident knows of the site's previous one. */
export interface PreviousIncident {
  endedAt?: number;
  alertIds?: string[];
  /** When it last saw the primary serve (verified on the public URL, or checked after a rollback). */
  servingAt?: number;
}

export interface CarriedState {
  status: IncidentStatus;
  undo: UndoSnapshots;
  /** A failback request accepted while the run was continuing as new (absent in older runs). */
  failbackRequestedBy?: string;
  /** Alert IDs seen, beyond the capped trigger list (absent in older runs: rebuilt from the list). */
  alerts?: SeenAlerts;
  /** A wait in needs_attention after a failed failover, cut by continue-as-new: the new run waits on. */
  attention?: CarriedAttention;
  /** A wait in needs_attention after a failed failback cleanup, cut by continue-as-new: the new run waits on. */
  cleanup?: CarriedCleanup;
  /** A wait in needs_attention on a saga's undo steps, cut by continue-as-new: the new run waits on. */
  undoWait?: CarriedUndoWait;
}

/** The answers to needs_attention a continued run carries. */
export type CarriedAnswers = Omit<CarriedAttention, 'first'>;

/** One compensation as data: which lever to put back to what (the saga's closures are not carried). */
export interface CarriedUndo {
  name: StepName;
  lever: keyof UndoSnapshots;
  before: Snapshot;
  after: StepName[];
}

/**
 * A wait on undo steps that failed: a failed failover's, a failed failback's, or the restore of
 * the pre-incident state after a failover again was undone.
 */
export interface CarriedUndoWait extends CarriedAnswers {
  saga: 'failover' | 'failback' | 'restore';
  pending: CarriedUndo[];
  /** Whether the failover was the incident's first (its rollback restores nothing more). */
  first: boolean;
  /** Whether the failback was a human's. */
  manual: boolean;
  /** Who aborted the failover being undone (an aborted one is rolled back whether the primary serves or not). */
  abortedBy?: string;
}

/** What a wait on a failed cleanup needs in the next run: the steps left (rebuilt from `undo`) and the answers. */
export interface CarriedCleanup extends CarriedAnswers {
  pending: StepName[];
  /** Whether the failback was a human's (an automatic one's relapse counts toward its bound). */
  manual: boolean;
}

/** What a wait in needs_attention needs in the next run (the attention itself is in the status). */
export interface CarriedAttention {
  /** Whether the failover that failed was the incident's first (a later one's rollback restores the snapshots). */
  first: boolean;
  /** Answers accepted before the run continued as new. */
  retryRequestedBy?: string;
  acknowledgedBy?: string;
  primaryRecovered?: boolean;
}

/** The alert IDs an incident has seen opened and closed, the most recent kept (bounded). */
export interface SeenAlerts {
  opened: string[];
  closed: string[];
}

/** The "before" snapshots the failback and the compensations restore. */
export interface UndoSnapshots {
  /** The standby's minimum instances before the warm-up (standby.warmup). */
  warmup?: Snapshot;
  standbyAccess?: Snapshot;
  traffic?: Snapshot;
  monitor?: Snapshot;
}

/** Why the incident waits for a human, and what `retry` would do. */
export interface Attention {
  reason: string;
  since: number;
  /** `compensations`: run the pending undo/cleanup steps again; `failover`: fail over again. */
  retry: 'compensations' | 'failover';
  /** The steps a retry would run. */
  pending: StepName[];
  /** What a new outage does here: `fail_over` when users are on the primary (a cleanup after a verified failback). */
  onOutage?: 'fail_over';
  /** When the failover will be retried on its own, unless a human answers first. */
  autoRetryAt?: number;
}

export interface IncidentStatus {
  site: string;
  phase: Phase;
  /** When the current phase began. */
  phaseSince?: number;
  startedAt: number;
  onStandbyAt?: number;
  endedAt?: number;
  /** Why the incident rolled back, or why the last failback attempt failed. */
  cause?: string;
  attention?: Attention;
  warnings: string[];
  /** Warnings not kept in `warnings` (list capped to bound the status). */
  warningsDropped?: number;
  /** When the primary was last seen serving: the start of the check that verified it (staleness of later alerts). */
  primaryServingAt?: number;
  /** Failovers retried on their own from needs_attention (`failoverRetry`). */
  autoFailoverRetries?: number;
  /** Automatic failbacks that failed in this incident (a new outage after one counts too). */
  autoFailbackFailures?: number;
  triggers: TriggerRecord[];
  /** Triggers not kept in `triggers` (list capped to bound history size). */
  triggersDropped: number;
  steps: StepRecord[];
  /** Steps not kept in `steps` (the oldest after the first failover's, to bound the status). */
  stepsDropped?: number;
  failbackMode: FailbackPolicy['mode'];
}

export interface FailbackAccepted {
  accepted: true;
  phase: Phase;
}

// The incident's bookkeeping, apart from the workflow that drives it: the status and every change
// of it, the trigger list (deduplicated, repeats counted, bounded) and the rules that accept or
// refuse a message (docs/workflow.md invariant 7). Plain logic, no Temporal calls: unit-tested on
// its own (test/incident-state.test.ts).
import {
  ABORTABLE_PHASES,
  type Attention,
  type CarriedAnswers,
  type CarriedCleanup,
  type CarriedState,
  type CarriedUndoWait,
  type FailbackPolicy,
  type IncidentPolicy,
  type IncidentStatus,
  type Phase,
  type PreviousIncident,
  type UndoSnapshots,
} from './incident-types.ts';
import { ABORT_AFTER_VERIFIED, OUTAGE_IN_ATTENTION, RELAPSE_COUNTS } from './incident-patches.ts';
import { nextAutoFailback } from './auto-failback.ts';
import { TriggerLog } from './trigger-log.ts';
import type { Actor, AlertClosed, AlertOpened, Snapshot } from './types.ts';
import { failedStepMessage } from './error-text.ts';

export { MAX_TRIGGERS } from './trigger-log.ts';

/** How a human's wait in needs_attention ended. */
export type AttentionAnswer = 'retry' | 'acknowledge' | 'recovered' | 'outage';

export class IncidentState {
  readonly status: IncidentStatus;
  /** The "before" snapshots that the failback and the compensations restore. */
  readonly undo: UndoSnapshots;
  /** An alert has started the failover (a continued run was triggered long ago). */
  triggered: boolean;
  /** Where the alert that started the failover came from. */
  triggerSource: string | undefined;
  /** A new outage was reported while failing back (or in a cleanup's needs_attention): back to the standby. */
  outageAgain = false;
  /** The primary was reported healthy again since this was last cleared. */
  primaryRecovered = false;
  failbackRequestedBy: string | undefined;
  abortRequestedBy: string | undefined;
  retryRequestedBy: string | undefined;
  acknowledgedBy: string | undefined;
  /** Why the last failover failed (an automatic retry is not made for a permanent cause). */
  lastFailoverError: unknown;
  /** The failback verified the primary: what is left (drain, cleanup) is never undone. */
  private primaryVerified = false;
  private readonly failback: FailbackPolicy;
  private readonly log: TriggerLog;
  /** Whether a behaviour gated by a patch applies (the workflow passes patched(); plain tests, always). */
  private readonly allows: (patch: string) => boolean;

  constructor(
    site: string,
    policy: IncidentPolicy,
    carried?: CarriedState,
    previous?: PreviousIncident,
    allows: (patch: string) => boolean = () => true,
  ) {
    this.failback = policy.failback;
    this.allows = allows;
    this.status = carried?.status ?? {
      site,
      phase: 'awaiting_trigger',
      startedAt: Date.now(),
      warnings: [],
      triggers: [],
      triggersDropped: 0,
      steps: [],
      failbackMode: policy.failback.mode,
    };
    this.undo = carried?.undo ?? {};
    this.log = new TriggerLog(this.status, previous, carried?.alerts);
    this.triggered = carried !== undefined;
    this.failbackRequestedBy = carried?.failbackRequestedBy;
    this.abortRequestedBy = carried?.undoWait?.abortedBy;
    const answers = carried?.attention ?? carried?.cleanup ?? carried?.undoWait;
    this.retryRequestedBy = answers?.retryRequestedBy;
    this.acknowledgedBy = answers?.acknowledgedBy;
    this.primaryRecovered = answers?.primaryRecovered ?? false;
  }

  /** 'again': a new outage while users are on the primary (failing back, or after a failed cleanup). */
  alertOpened(alert: AlertOpened): 'again' | undefined {
    const base = { kind: 'alert_opened', id: alert.alertId, source: alert.source } as const;
    const noNews = this.log.noNews(alert);
    if (noNews) return void this.log.record({ ...base, ignored: noNews });
    const phase = this.status.phase;
    const usersOnPrimary =
      phase === 'failing_back' ||
      (phase === 'needs_attention' &&
        this.status.attention?.onOutage === 'fail_over' &&
        this.allows(OUTAGE_IN_ATTENTION));
    if (usersOnPrimary && !this.outageAgain) {
      this.outageAgain = true;
      this.primaryRecovered = false;
      this.log.record(base);
      return 'again';
    }
    if (this.triggered) {
      const why = phase === 'awaiting_trigger' ? 'triggered' : this.outageAgain ? 'going back to the standby' : phase;
      return void this.log.record({ ...base, ignored: `incident already ${why}` });
    }
    this.triggered = true;
    this.triggerSource = alert.source;
    this.log.record(base);
    return undefined;
  }

  /** Nothing triggered the incident and every message so far was ignored (e.g. a stale alert). */
  get onlyIgnoredTriggers(): boolean {
    const { triggers } = this.status;
    return !this.triggered && triggers.length > 0 && triggers.every((t) => t.ignored);
  }

  alertClosed(alert: AlertClosed): void {
    const base = { kind: 'alert_closed', id: alert.alertId, source: alert.source } as const;
    this.log.record(this.log.close(alert) ? base : { ...base, ignored: 'duplicate' });
  }

  reportRecovered({ by }: Actor): void {
    this.primaryRecovered = true;
    this.log.record({ kind: 'primary_recovered', source: by });
  }

  /** A human's answer to needs_attention; recorded as ignored, with why, in any other phase. */
  steer(kind: 'retry' | 'acknowledge', { by }: Actor): void {
    const { phase } = this.status;
    if (phase !== 'needs_attention') {
      return this.log.record({ kind, source: by, ignored: `the incident is ${phase}, not needs_attention` });
    }
    if (kind === 'retry') this.retryRequestedBy ??= by;
    else this.acknowledgedBy ??= by;
    this.log.record({ kind, source: by });
  }

  /** Why a failback cannot be requested now, or undefined when it can. */
  failbackRefusal(): string | undefined {
    const { site, phase } = this.status;
    if (phase !== 'on_standby') return `site ${site} is ${phase}, not on_standby: there is nothing to fail back`;
    if (this.failbackRequestedBy) return `failback already requested by ${this.failbackRequestedBy}`;
    return undefined;
  }

  /** A failback by signal: recorded, and refused with the reason when it cannot be done. */
  approveFailback({ by }: Actor): void {
    const refusal = this.failbackRefusal();
    this.log.record({ kind: 'failback_requested', source: by, ...(refusal && { ignored: refusal }) });
    if (!refusal) this.failbackRequestedBy = by;
  }

  /** A failback by update, already validated with failbackRefusal(). */
  acceptFailback({ by }: Actor): void {
    this.log.record({ kind: 'failback_requested', source: by });
    this.failbackRequestedBy = by;
  }

  /** Returns whether the work in flight must be cancelled. */
  abort({ by }: Actor): boolean {
    const { phase } = this.status;
    if (phase === 'failing_back' && this.primaryVerified && this.allows(ABORT_AFTER_VERIFIED)) {
      const why = 'the primary is already verified: users are on it, only the cleanup is left; nothing to abort';
      this.log.record({ kind: 'abort', source: by, ignored: why });
      return false;
    }
    if (ABORTABLE_PHASES.includes(phase)) {
      this.abortRequestedBy ??= by;
      this.log.record({ kind: 'abort', source: by });
      return true;
    }
    this.log.record({
      kind: 'abort',
      source: by,
      ignored: `nothing in flight to abort (site is ${phase}); use failback`,
    });
    return false;
  }

  enterPhase(phase: Phase): void {
    if (phase !== 'failing_back' && phase !== 'needs_attention') this.primaryVerified = false;
    this.status.phase = phase;
    this.status.phaseSince = Date.now();
  }

  /**
   * What a continued run needs: the status, the snapshots, the alerts seen and an accepted failback
   * request. A step still running (the hold-down) is cut by continue-as-new: carried as cancelled,
   * so the status never shows it running for good; the new run starts it again.
   */
  carry(
    wait: {
      attention?: { first: boolean };
      cleanup?: Omit<CarriedCleanup, keyof CarriedAnswers>;
      undoWait?: Omit<CarriedUndoWait, keyof CarriedAnswers>;
    } = {},
  ): CarriedState {
    const { failbackRequestedBy: by } = this;
    for (const step of this.status.steps.filter((s) => s.outcome === 'running')) {
      Object.assign(step, { outcome: 'cancelled', endedAt: Date.now(), error: 'cut by continue-as-new' });
    }
    const carried: CarriedState = { status: this.status, undo: this.undo, alerts: this.log.seen() };
    if (by) carried.failbackRequestedBy = by;
    const answers = this.answers();
    if (wait.attention) carried.attention = { ...wait.attention, ...answers };
    if (wait.cleanup) carried.cleanup = { ...wait.cleanup, ...answers };
    if (wait.undoWait) carried.undoWait = { ...wait.undoWait, ...answers };
    return carried;
  }

  /** The answers to needs_attention accepted so far. */
  private answers(): CarriedAnswers {
    const { retryRequestedBy: retry, acknowledgedBy: ack, primaryRecovered: recovered } = this;
    return {
      ...(retry && { retryRequestedBy: retry }),
      ...(ack && { acknowledgedBy: ack }),
      ...(recovered && { primaryRecovered: true }),
    };
  }

  /** Keeps a lever's "before" for the failback, from its first read in the incident only. */
  keepBefore(lever: keyof UndoSnapshots, before: Snapshot): void {
    this.undo[lever] ??= before;
  }

  /** Ends the incident without a change: says why when every trigger was ignored. */
  dismiss(): void {
    if (this.onlyIgnoredTriggers) this.status.cause = this.status.triggers.at(-1)?.ignored;
  }

  /** The confirmation found the primary serving: the last step's summary says how. */
  notConfirmed(): void {
    this.status.cause = `not confirmed: ${this.status.steps.at(-1)?.summary ?? 'the primary serves'}`;
  }

  /** The public URL served from the primary (the check began at `since`): users are on it, only cleanup is left. */
  verifiedPrimary(since: number): void {
    this.primaryVerified = true;
    this.servedAt(since);
  }

  /** The primary was seen serving by a check that began at `since`: outages that started before are stale. */
  servedAt(since: number): void {
    this.status.primaryServingAt = Math.max(this.status.primaryServingAt ?? 0, since);
  }

  reachedStandby(): void {
    this.status.onStandbyAt = Date.now();
  }

  /** A failover step failed for good, or was cancelled: cancelling the workflow is an abort too. */
  failoverFailed(err: unknown, cancelled: boolean): void {
    this.lastFailoverError = err;
    if (cancelled) this.abortRequestedBy ??= 'a cancellation of the workflow';
    this.status.cause = this.abortRequestedBy
      ? `aborted by ${this.abortRequestedBy}`
      : failedStepMessage(this.status.steps, err);
  }

  /** Why the failback stopped; only a failed automatic one counts towards `maxAutoAttempts`. */
  failbackFailed(err: unknown, manual: boolean): void {
    const { status } = this;
    if (this.outageAgain) {
      status.cause = 'failback stopped: a new outage was reported';
      this.outageAgain = false;
      if (!manual && this.allows(RELAPSE_COUNTS)) this.countAutoFailure();
    } else if (this.abortRequestedBy) status.cause = `failback aborted by ${this.abortRequestedBy}`;
    else {
      status.cause = `failback failed: ${failedStepMessage(this.status.steps, err)}`;
      if (!manual) this.countAutoFailure();
    }
  }

  /** A new outage after the failback verified the primary; an automatic one counts as failed (backoff, cap). */
  relapsedAfterFailback(manual: boolean): void {
    this.status.cause = 'the primary failed again after the failback verified it: back to the standby';
    if (!manual && this.allows(RELAPSE_COUNTS)) this.countAutoFailure();
  }

  /** A human's retry of a cleanup found the primary down: the site goes back to the standby. */
  primaryDownOnRetry(): void {
    this.outageAgain = true;
    this.warn('retry: the primary does not serve; failing over again instead of cleaning up');
  }

  /** The incident's own watch found the primary down while the monitor stays paused (no alert can come). */
  primaryDownWhileMonitorPaused(summary: string | undefined): void {
    this.outageAgain = true;
    this.primaryRecovered = false;
    this.warn(`the primary failed while the monitor stays paused (${summary ?? 'down'}): failing over again`);
  }

  private countAutoFailure = (): number =>
    (this.status.autoFailbackFailures = (this.status.autoFailbackFailures ?? 0) + 1);

  /** A failback attempt is over: its request and any abort of it are used up. */
  failbackOver(): void {
    this.failbackRequestedBy = undefined;
    this.abortRequestedBy = undefined;
  }

  /** Whether a new outage came while failing back; it is answered (cleared) by asking. */
  takeOutageAgain(): boolean {
    const again = this.outageAgain;
    this.outageAgain = false;
    return again;
  }

  /** The next automatic failback, if any (none after too many failures: a warning says so), and its backoff. */
  nextAutoFailback(bounded = true): { backoffMs?: number } | undefined {
    // A run started before the bound: retried after each hold-down, as then.
    if (!bounded) return this.failback.mode === 'auto' ? {} : undefined;
    return nextAutoFailback(this.failback, this.status, (w) => this.warn(w));
  }

  /** Enters needs_attention: earlier answers and recoveries do not count for this wait. */
  needAttention(attention: Omit<Attention, 'since'>): void {
    this.status.attention = { ...attention, since: Date.now() };
    this.retryRequestedBy = this.acknowledgedBy = undefined;
    this.primaryRecovered = false;
  }

  /** A human answered (or, for a failed failover, the primary recovered; after a cleanup, a new outage came). */
  get attentionAnswered(): boolean {
    const { attention } = this.status;
    const recovered = attention?.retry === 'failover' && this.primaryRecovered;
    const outage = attention?.onOutage === 'fail_over' && this.outageAgain;
    return this.retryRequestedBy !== undefined || this.acknowledgedBy !== undefined || recovered || outage;
  }

  /** Leaves needs_attention with the answer; a new outage comes first: users must not stay on a dead primary. */
  endAttention(): AttentionAnswer {
    const outage = this.status.attention?.onOutage === 'fail_over' && this.outageAgain;
    delete this.status.attention;
    if (outage) return 'outage';
    return this.acknowledgedBy ? 'acknowledge' : this.retryRequestedBy ? 'retry' : 'recovered';
  }

  end(): void {
    this.status.endedAt = Date.now();
  }

  warn(warning: string): void {
    this.log.warn(warning);
  }
}

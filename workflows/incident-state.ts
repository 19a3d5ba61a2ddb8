// The incident's bookkeeping, apart from the workflow that drives it: the status and every change
// of it, the trigger list (deduplicated, repeats counted, bounded) and the rules that accept or
// refuse a message (docs/workflow.md invariant 7). Plain logic, no Temporal calls: unit-tested on
// its own (test/incident-state.test.ts).
import {
  ABORTABLE_PHASES,
  type Attention,
  type CarriedState,
  type FailbackPolicy,
  type IncidentPolicy,
  type IncidentStatus,
  type Phase,
  type PreviousIncident,
  type TriggerRecord,
  type UndoSnapshots,
} from './incident-types.ts';
import type { Actor, AlertClosed, AlertOpened, Snapshot } from './types.ts';
import { failureMessage } from './error-text.ts';

/** Bounds the history kept in the status (a flapping alert can send thousands of signals). */
export const MAX_TRIGGERS = 200;
const MAX_WARNINGS = 50;

export class IncidentState {
  readonly status: IncidentStatus;
  /** The "before" snapshots that the failback and the compensations restore. */
  readonly undo: UndoSnapshots;
  /** An alert has started the failover (a continued run was triggered long ago). */
  triggered: boolean;
  /** Where the alert that started the failover came from. */
  triggerSource: string | undefined;
  /** A new outage was reported while failing back: the site goes back to the standby. */
  outageAgain = false;
  /** The primary was reported healthy again since this was last cleared. */
  primaryRecovered = false;
  failbackRequestedBy: string | undefined;
  abortRequestedBy: string | undefined;
  retryRequestedBy: string | undefined;
  acknowledgedBy: string | undefined;
  private readonly failback: FailbackPolicy;
  private readonly previousEndedAt: number | undefined;
  private readonly opened: Set<string | undefined>;
  private readonly closed: Set<string | undefined>;

  /** Alerts the site's previous incident already acted on (a redelivery must not start another). */
  private readonly previousAlerts: Set<string>;

  constructor(site: string, policy: IncidentPolicy, carried?: CarriedState, previous?: PreviousIncident) {
    this.failback = policy.failback;
    this.previousEndedAt = previous?.endedAt;
    this.previousAlerts = new Set(previous?.alertIds ?? []);
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
    this.opened = new Set(this.status.triggers.filter((t) => t.kind === 'alert_opened').map((t) => t.id));
    this.closed = new Set(this.status.triggers.filter((t) => t.kind === 'alert_closed').map((t) => t.id));
    this.triggered = carried !== undefined;
  }

  record(trigger: Omit<TriggerRecord, 'at'>): void {
    const { status } = this;
    // A repeat of the last trigger (e.g. a watcher reporting "healthy" every few seconds) is counted, not listed.
    const last = status.triggers.at(-1);
    if (
      last &&
      last.kind === trigger.kind &&
      last.source === trigger.source &&
      last.id === trigger.id &&
      last.ignored === trigger.ignored
    ) {
      last.repeats = (last.repeats ?? 0) + 1;
      last.lastAt = Date.now();
    } else if (status.triggers.length >= MAX_TRIGGERS) status.triggersDropped++;
    else status.triggers.push({ ...trigger, at: Date.now() });
  }

  /**
   * Returns 'again' when the alert reports a new outage while failing back (the workflow sends the
   * site back to the standby); every alert that changes nothing is recorded with why.
   */
  alertOpened(alert: AlertOpened): 'again' | undefined {
    const base = { kind: 'alert_opened', id: alert.alertId, source: alert.source } as const;
    if (this.opened.has(alert.alertId)) return void this.record({ ...base, ignored: 'duplicate' });
    this.opened.add(alert.alertId);
    if (this.previousAlerts.has(alert.alertId)) {
      return void this.record({ ...base, ignored: "already handled by the site's previous incident" });
    }
    if (this.closed.has(alert.alertId)) {
      return void this.record({ ...base, ignored: 'already closed (arrived out of order)' });
    }
    const stale = this.staleness(alert);
    if (stale) return void this.record({ ...base, ignored: stale });
    const phase = this.status.phase;
    if (phase === 'failing_back' && !this.outageAgain) {
      this.outageAgain = true;
      this.primaryRecovered = false;
      this.record(base);
      return 'again';
    }
    if (this.triggered) {
      const why =
        phase === 'awaiting_trigger' ? 'triggered' : phase === 'failing_back' ? 'going back to the standby' : phase;
      return void this.record({ ...base, ignored: `incident already ${why}` });
    }
    this.triggered = true;
    this.triggerSource = alert.source;
    this.record(base);
    return undefined;
  }

  /** Why an alert is stale (its outage started before the site's previous incident ended), if it is. */
  private staleness(alert: AlertOpened): string | undefined {
    const started = alert.startedAt === undefined ? NaN : Date.parse(alert.startedAt);
    // Cloud Monitoring's times have a resolution of one second: within its second, such an alert is
    // taken as new (and a Pub/Sub alert is confirmed before it changes anything).
    const resolution = started % 1000 === 0 ? 1000 : 0;
    if (this.previousEndedAt === undefined || Number.isNaN(started) || started + resolution > this.previousEndedAt) {
      return undefined;
    }
    const ended = new Date(this.previousEndedAt).toISOString();
    return `stale: the outage started ${alert.startedAt}, before the site's previous incident ended ${ended}`;
  }

  /** Nothing has triggered the incident and every message so far was ignored (e.g. a stale alert). */
  get onlyIgnoredTriggers(): boolean {
    const { triggers } = this.status;
    return !this.triggered && triggers.length > 0 && triggers.every((t) => t.ignored);
  }

  alertClosed(alert: AlertClosed): void {
    const base = { kind: 'alert_closed', id: alert.alertId, source: alert.source } as const;
    if (this.closed.has(alert.alertId)) return this.record({ ...base, ignored: 'duplicate' });
    this.closed.add(alert.alertId);
    this.record(base);
  }

  reportRecovered({ by }: Actor): void {
    this.primaryRecovered = true;
    this.record({ kind: 'primary_recovered', source: by });
  }

  /** A human's answer to needs_attention; recorded as ignored, with why, in any other phase. */
  steer(kind: 'retry' | 'acknowledge', { by }: Actor): void {
    const { phase } = this.status;
    if (phase !== 'needs_attention') {
      return this.record({ kind, source: by, ignored: `the incident is ${phase}, not needs_attention` });
    }
    if (kind === 'retry') this.retryRequestedBy ??= by;
    else this.acknowledgedBy ??= by;
    this.record({ kind, source: by });
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
    this.record({ kind: 'failback_requested', source: by, ...(refusal && { ignored: refusal }) });
    if (!refusal) this.failbackRequestedBy = by;
  }

  /** A failback by update, already validated with failbackRefusal(). */
  acceptFailback({ by }: Actor): void {
    this.record({ kind: 'failback_requested', source: by });
    this.failbackRequestedBy = by;
  }

  /** Returns whether the work in flight must be cancelled. */
  abort({ by }: Actor): boolean {
    const { phase } = this.status;
    if (ABORTABLE_PHASES.includes(phase)) {
      this.abortRequestedBy ??= by;
      this.record({ kind: 'abort', source: by });
      return true;
    }
    this.record({ kind: 'abort', source: by, ignored: `nothing in flight to abort (site is ${phase}); use failback` });
    return false;
  }

  enterPhase(phase: Phase): void {
    this.status.phase = phase;
    this.status.phaseSince = Date.now();
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

  reachedStandby(): void {
    this.status.onStandbyAt = Date.now();
  }

  /** A failover step failed for good, or was cancelled: cancelling the workflow is an abort too. */
  failoverFailed(err: unknown, cancelled: boolean): void {
    if (cancelled) this.abortRequestedBy ??= 'a cancellation of the workflow';
    this.status.cause = this.abortRequestedBy ? `aborted by ${this.abortRequestedBy}` : this.failedStepMessage(err);
  }

  /** Why the failback stopped; only a failed automatic one counts towards `maxAutoAttempts`. */
  failbackFailed(err: unknown, manual: boolean): void {
    const { status } = this;
    if (this.outageAgain) {
      status.cause = 'failback stopped: a new outage was reported';
      this.outageAgain = false;
    } else if (this.abortRequestedBy) status.cause = `failback aborted by ${this.abortRequestedBy}`;
    else {
      status.cause = `failback failed: ${this.failedStepMessage(err)}`;
      if (!manual) status.autoFailbackFailures = (status.autoFailbackFailures ?? 0) + 1;
    }
  }

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
    if (this.failback.mode !== 'auto') return undefined;
    if (!bounded) return {}; // a run started before the bound: retried after each hold-down, as then
    const failures = this.status.autoFailbackFailures ?? 0;
    if (failures >= (this.failback.maxAutoAttempts ?? 3)) {
      this.warn(`automatic failback stopped after ${failures} failed attempts; fail back by hand`);
      return undefined;
    }
    if (failures === 0) return {};
    return { backoffMs: Math.min((this.failback.retryBackoffMs ?? 60_000) * 2 ** (failures - 1), 3_600_000) };
  }

  /** Enters needs_attention: earlier answers and recoveries do not count for this wait. */
  needAttention(attention: Omit<Attention, 'since'>): void {
    this.status.attention = { ...attention, since: Date.now() };
    this.retryRequestedBy = this.acknowledgedBy = undefined;
    this.primaryRecovered = false;
  }

  /** A human answered (or, for a failed failover, the primary recovered). */
  get attentionAnswered(): boolean {
    const recovered = this.status.attention?.retry === 'failover' && this.primaryRecovered;
    return this.retryRequestedBy !== undefined || this.acknowledgedBy !== undefined || recovered;
  }

  /** Leaves needs_attention with the answer. */
  endAttention(): 'retry' | 'acknowledge' | 'recovered' {
    delete this.status.attention;
    return this.acknowledgedBy ? 'acknowledge' : this.retryRequestedBy ? 'retry' : 'recovered';
  }

  end(): void {
    this.status.endedAt = Date.now();
  }

  warn(warning: string): void {
    const { status } = this;
    if (status.warnings.at(-1) === warning) return;
    if (status.warnings.length >= MAX_WARNINGS) status.warningsDropped = (status.warningsDropped ?? 0) + 1;
    else status.warnings.push(warning);
  }

  /** "<step>: <Type>: <message>" for the last step that failed or was cancelled. */
  failedStepMessage(err: unknown): string {
    const step = this.status.steps.findLast((s) => s.outcome === 'failed' || s.outcome === 'cancelled');
    return `${step ? `${step.name}: ` : ''}${failureMessage(err)}`;
  }
}

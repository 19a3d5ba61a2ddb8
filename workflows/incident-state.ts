// The incident's bookkeeping, apart from the workflow that drives it: the status, the trigger
// list (deduplicated, repeats counted, bounded) and the rules that accept or refuse a message.
// Plain logic, no Temporal calls: unit-tested on its own (test/incident-state.test.ts).
import type { CarriedState, IncidentPolicy, IncidentStatus, TriggerRecord, UndoSnapshots } from './incident-types.ts';
import { failureMessage } from './timeline.ts';
import type { Actor, AlertClosed, AlertOpened } from './types.ts';

/** Bounds the history kept in the status (a flapping alert can send thousands of signals). */
export const MAX_TRIGGERS = 200;

export class IncidentState {
  readonly status: IncidentStatus;
  /** The "before" snapshots that the failback and the compensations restore. */
  readonly undo: UndoSnapshots;
  /** An alert has started the failover (a continued run was triggered long ago). */
  triggered: boolean;
  failbackRequestedBy: string | undefined;
  abortRequestedBy: string | undefined;
  private readonly opened: Set<string | undefined>;
  private readonly closed: Set<string | undefined>;

  constructor(site: string, policy: IncidentPolicy, carried?: CarriedState) {
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

  /** A failover or failback is in flight. */
  get busy(): boolean {
    return this.status.phase === 'failing_over' || this.status.phase === 'failing_back';
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

  alertOpened(alert: AlertOpened): void {
    const base = { kind: 'alert_opened', id: alert.alertId, source: alert.source } as const;
    if (this.opened.has(alert.alertId)) return this.record({ ...base, ignored: 'duplicate' });
    this.opened.add(alert.alertId);
    if (this.closed.has(alert.alertId))
      return this.record({ ...base, ignored: 'already closed (arrived out of order)' });
    if (this.triggered) {
      const phase = this.status.phase;
      return this.record({
        ...base,
        ignored: `incident already ${phase === 'awaiting_trigger' ? 'triggered' : phase}`,
      });
    }
    this.triggered = true;
    this.record(base);
  }

  alertClosed(alert: AlertClosed): void {
    const base = { kind: 'alert_closed', id: alert.alertId, source: alert.source } as const;
    if (this.closed.has(alert.alertId)) return this.record({ ...base, ignored: 'duplicate' });
    this.closed.add(alert.alertId);
    this.record(base);
  }

  primaryRecovered({ by }: Actor): void {
    this.record({ kind: 'primary_recovered', source: by });
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
    if (phase === 'awaiting_trigger' || this.busy) {
      this.abortRequestedBy ??= by;
      this.record({ kind: 'abort', source: by });
      return true;
    }
    this.record({ kind: 'abort', source: by, ignored: `nothing in flight to abort (site is ${phase}); use failback` });
    return false;
  }

  warn(warning: string): void {
    this.status.warnings.push(warning);
  }

  /** "<step>: <Type>: <message>" for the last step that failed or was cancelled. */
  failedStepMessage(err: unknown): string {
    const step = this.status.steps.findLast((s) => s.outcome === 'failed' || s.outcome === 'cancelled');
    return `${step ? `${step.name}: ` : ''}${failureMessage(err)}`;
  }
}

// The incident's trigger list: every message recorded (repeats counted, the list bounded; the
// warnings bounded alike), and the checks that tell an opened alert that is no news (a duplicate,
// one the previous incident acted on, one already closed, a stale one) from a new outage
// (docs/workflow.md invariants 7 and 11).
import type { IncidentStatus, PreviousIncident, SeenAlerts, TriggerRecord } from './incident-types.ts';
import type { AlertClosed, AlertOpened } from './types.ts';

/** Bounds the history kept in the status (a flapping alert can send thousands of signals). */
export const MAX_TRIGGERS = 200;
/** Alert IDs carried into a continued run: far more than the trigger list keeps, still bounded. */
export const MAX_SEEN_ALERTS = 2000;
const MAX_WARNINGS = 50;

export class TriggerLog {
  private readonly status: IncidentStatus;
  private readonly previous: PreviousIncident;
  private readonly opened: Set<string | undefined>;
  private readonly closed: Set<string | undefined>;
  /** Alerts the site's previous incident already acted on (a redelivery must not start another). */
  private readonly previousAlerts: Set<string>;

  constructor(status: IncidentStatus, previous: PreviousIncident = {}, seen?: SeenAlerts) {
    this.status = status;
    this.previous = previous;
    this.previousAlerts = new Set(previous.alertIds ?? []);
    const listed = (kind: string) => status.triggers.filter((t) => t.kind === kind).map((t) => t.id);
    this.opened = new Set([...(seen?.opened ?? []), ...listed('alert_opened')]);
    this.closed = new Set([...(seen?.closed ?? []), ...listed('alert_closed')]);
  }

  /** The alert IDs seen, for a continued run (the trigger list alone is capped at MAX_TRIGGERS). */
  seen(): SeenAlerts {
    const ids = (set: Set<string | undefined>) =>
      [...set].filter((id): id is string => id !== undefined).slice(-MAX_SEEN_ALERTS);
    return { opened: ids(this.opened), closed: ids(this.closed) };
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

  /** Adds a warning, unless it repeats the last one; beyond the cap they are counted. */
  warn(warning: string): void {
    const { status } = this;
    if (status.warnings.at(-1) === warning) return;
    if (status.warnings.length >= MAX_WARNINGS) status.warningsDropped = (status.warningsDropped ?? 0) + 1;
    else status.warnings.push(warning);
  }

  /** Why an opened alert is no news, or undefined for a new outage; the alert is remembered either way. */
  noNews(alert: AlertOpened): string | undefined {
    if (this.opened.has(alert.alertId)) return 'duplicate';
    this.opened.add(alert.alertId);
    if (this.previousAlerts.has(alert.alertId)) return "already handled by the site's previous incident";
    if (this.closed.has(alert.alertId)) return 'already closed (arrived out of order)';
    return this.staleness(alert);
  }

  /** Records a close; returns false for a duplicate. */
  close(alert: AlertClosed): boolean {
    if (this.closed.has(alert.alertId)) return false;
    this.closed.add(alert.alertId);
    return true;
  }

  /**
   * Why an alert is stale, if it is: its outage started before the site's previous incident last
   * saw the primary serve (verified on the public URL, or checked after a rollback), or, when that
   * incident recorded no such time, before it ended. An outage that began after the primary was
   * verified is a new one, even if that incident was still cleaning up when it began.
   */
  private staleness(alert: AlertOpened): string | undefined {
    const started = alert.startedAt === undefined ? NaN : Date.parse(alert.startedAt);
    // Cloud Monitoring's times have a resolution of one second: within its second, such an alert is
    // taken as new (and a Pub/Sub alert is confirmed before it changes anything).
    const resolution = started % 1000 === 0 ? 1000 : 0;
    const { servingAt, endedAt } = this.previous;
    const limit = servingAt ?? endedAt;
    if (limit === undefined || Number.isNaN(started) || started + resolution > limit) return undefined;
    const when = new Date(limit).toISOString();
    const what =
      servingAt === undefined ? "the site's previous incident ended" : 'the primary was last verified serving';
    return `stale: the outage started ${alert.startedAt}, before ${what} ${when}`;
  }
}

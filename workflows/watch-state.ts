// The watcher's bookkeeping, apart from the workflow that drives it: each location's verdict,
// the quorum across locations, and the bounded list of events. Plain logic, no Temporal calls:
// unit-tested on its own (test/watch-state.test.ts).
import type { LocationState, ProbeVerdict, Verdict, WatchLocation, WatchPolicy, WatchStatus } from './watch-types.ts';

const MAX_EVENTS = 30;
/** The probe activity's schedule-to-start timeout: a location without a worker fails after this. */
export const PROBE_SCHEDULE_TO_START_MS = 60_000;

/** A probe worker that died is noticed after this long (its probe then resumes elsewhere). */
export function probeHeartbeatTimeoutMs(policy: WatchPolicy): number {
  return Math.max(2000, 3 * (policy.intervalMs + policy.timeoutMs));
}

/**
 * How long a location may stay silent before its vote stops counting: a probe reports at least
 * every maxProbeRunMs; a dead worker is noticed after the heartbeat timeout, and a location
 * without any worker after the schedule-to-start timeout.
 */
export function silentAfterMs(policy: WatchPolicy): number {
  return policy.maxProbeRunMs + probeHeartbeatTimeoutMs(policy) + PROBE_SCHEDULE_TO_START_MS;
}

/** What a location's probe activity came back with, in the generation of probes that ran it. */
export interface ProbeReport {
  location: string;
  generation: number;
  result?: ProbeVerdict;
  error?: string;
}

/** What wakes the watch loop. */
export type LoopEvent =
  | { kind: 'stop'; by: string }
  | { kind: 'reconfigure' }
  | { kind: 'continue_as_new' }
  | { kind: 'retrigger' }
  | { kind: 'silence_check' }
  | { kind: 'probe_failed'; location: WatchLocation; error: string | undefined }
  | { kind: 'probe_report'; location: WatchLocation; result: ProbeVerdict };

/** A change of the quorum's verdict, and the locations that made it. */
export interface Transition {
  previous: Verdict;
  next: Verdict;
  /** "<locations> (quorum q/n): <detail>", for events, alerts and the UI. */
  why: string;
}

export class WatchState {
  readonly status: WatchStatus;
  policy: WatchPolicy;
  /** Probes of an older generation (before a reconfiguration) are not listened to. */
  generation = 0;
  /** Set by the loop's timers: the primary is still down / a location may have fallen silent. */
  retriggerDue = false;
  silenceCheckDue = false;
  private readonly reports: ProbeReport[] = [];
  private reconfigured = false;
  private stopRequestedBy: string | undefined;

  constructor(site: string, policy: WatchPolicy, carried?: WatchStatus) {
    this.policy = policy;
    this.status = carried ?? {
      site,
      verdict: 'unknown',
      verdictSince: Date.now(),
      locations: {},
      triggers: 0,
      recoveries: 0,
      events: [],
      runs: 0,
    };
    this.status.runs++;
  }

  /** Takes a new policy (the probes restart with it); returns false when it is the same as the current one. */
  reconfigure(next: WatchPolicy): boolean {
    if (JSON.stringify(next) === JSON.stringify(this.policy)) return false;
    this.policy = next;
    this.reconfigured = true;
    return true;
  }

  requestStop(by: string): void {
    this.stopRequestedBy ??= by;
  }

  stop(by: string): void {
    this.status.stopped = true;
    this.note(`stopped by ${by}`);
  }

  /**
   * What the incident answered a trigger (`reached`; 'not needed …' when something already has the
   * site on the standby), or why it failed; a retrigger (`onlyIfNeeded`) that was not needed leaves no trace.
   */
  triggered(alertId: string, outcome: string, onlyIfNeeded: boolean, reached = true): void {
    const notNeeded = outcome.startsWith('not needed');
    if (reached && !notNeeded) this.status.triggers++;
    if (onlyIfNeeded && notNeeded) return;
    this.status.lastTrigger = { alertId, at: Date.now(), outcome };
    this.note(`incident: ${outcome}`);
  }

  /** What the incident answered the recovery report (`reached`), or why it failed. */
  recoveryReported(outcome: string, reached = true): void {
    if (reached) this.status.recoveries++;
    this.status.lastRecovery = { at: Date.now(), outcome };
    this.note(`recovery: ${outcome}`);
  }

  probeReturned(report: ProbeReport): void {
    this.reports.push(report);
  }

  /** Whether the loop has something to do (`timeToContinue`: the history is long enough to continue as new). */
  hasWork(timeToContinue: boolean): boolean {
    return (
      this.reports.length > 0 ||
      this.reconfigured ||
      this.stopRequestedBy !== undefined ||
      timeToContinue ||
      this.silenceCheckDue ||
      this.retriggerDue
    );
  }

  /**
   * What one wake-up of the loop handles, each taken as it is yielded: a stop; else a restart (a
   * new policy before continue-as-new); else the due retrigger, the due silence check and one
   * probe's report, in that order (what comes due while one is handled is seen in the same wake-up).
   */
  *wakeUp(timeToContinue: boolean): Generator<LoopEvent, void> {
    if (this.stopRequestedBy !== undefined) return yield { kind: 'stop', by: this.stopRequestedBy };
    if (this.reconfigured || timeToContinue) {
      // Reports of the stopped probes are dropped with their generation.
      this.generation++;
      this.reports.length = 0;
      if (!this.reconfigured) return yield { kind: 'continue_as_new' };
      this.reconfigured = false;
      return yield { kind: 'reconfigure' };
    }
    if (this.retriggerDue) {
      this.retriggerDue = false;
      yield { kind: 'retrigger' };
    }
    if (this.silenceCheckDue) {
      this.silenceCheckDue = false;
      yield { kind: 'silence_check' };
    }
    const report = this.reports.shift();
    if (report === undefined || report.generation !== this.generation) return;
    const location = this.policy.locations.find((l) => l.name === report.location);
    if (!location) return;
    if (report.error !== undefined || !report.result) yield { kind: 'probe_failed', location, error: report.error };
    else yield { kind: 'probe_report', location, result: report.result };
  }

  note(what: string): void {
    const { events } = this.status;
    events.push({ at: Date.now(), what });
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
  }

  /** The Temporal UI's "current details" of the watcher. */
  details(): string {
    const where = Object.entries(this.status.locations).map(
      ([name, l]) =>
        `${name}: ${l.verdict}${l.silentSince !== undefined ? ` (silent since ${new Date(l.silentSince).toISOString()}: vote not counted)` : ''}${l.error ? ` (${l.error})` : ''}`,
    );
    return `**${this.status.site}** primary is **${this.status.verdict}**\n\n${where.join('\n\n')}`;
  }

  /** Forgets locations no longer configured and adds new ones as unknown. */
  syncLocations(): void {
    const { locations } = this.status;
    for (const name of Object.keys(locations)) {
      if (!this.policy.locations.some((l) => l.name === name)) delete locations[name];
    }
    for (const location of this.policy.locations) locations[location.name] ??= { verdict: 'unknown', checks: 0 };
  }

  location(name: string): LocationState {
    return (this.status.locations[name] ??= { verdict: 'unknown', checks: 0 });
  }

  /** Records that a location's probe failed; returns whether the error is new (worth an event). */
  locationFailed(name: string, error: string | undefined): boolean {
    const state = this.location(name);
    const isNew = state.error !== error;
    state.error = error;
    return isNew;
  }

  /** Notes that a location's probe (re)started now: its silence is counted from here. */
  heard(name: string, now: number): void {
    this.location(name).heardAt = now;
  }

  /**
   * Drops a location's vote: it counts as unknown, not as its last verdict, until it reports
   * again. Returns whether it was counted until now.
   */
  dropVote(name: string, now: number): boolean {
    const state = this.location(name);
    if (state.silentSince !== undefined) return false;
    state.silentSince = now;
    const counted = state.verdict !== 'unknown';
    state.verdict = 'unknown';
    return counted;
  }

  /** Drops the votes of the locations silent for longer than the policy allows; returns their names. */
  expireSilent(now: number): string[] {
    const bound = silentAfterMs(this.policy);
    return this.policy.locations
      .map((l) => l.name)
      .filter((name) => {
        const state = this.location(name);
        if (state.silentSince !== undefined || state.heardAt === undefined || now - state.heardAt <= bound)
          return false;
        this.dropVote(name, now);
        return true;
      });
  }

  /** Drops the votes of the locations silent too long, with an event; returns whether any was dropped. */
  checkSilence(now: number): boolean {
    const silent = this.expireSilent(now);
    if (silent.length === 0) return false;
    const bound = Math.round(silentAfterMs(this.policy) / 1000);
    this.note(`${silent.join(', ')}: no report for over ${bound} s; vote no longer counted`);
    return true;
  }

  /**
   * A location's probe failed: a new error is noted, and (given `now`) its vote is dropped, since
   * a location that cannot probe has a stale verdict. Returns whether its vote was dropped.
   */
  probeFailed(name: string, error: string | undefined, now?: number): boolean {
    if (this.locationFailed(name, error)) this.note(`${name}: ${error}`);
    if (now === undefined || !this.dropVote(name, now)) return false;
    this.note(`${name}: vote no longer counted until it reports again`);
    return true;
  }

  /** How long until the next location could fall silent (at least 1 s). */
  nextSilenceCheckMs(now: number): number {
    const bound = silentAfterMs(this.policy);
    const due = this.policy.locations
      .map((l) => this.location(l.name))
      .filter((l) => l.silentSince === undefined && l.heardAt !== undefined)
      .map((l) => l.heardAt! + bound - now);
    return Math.max(1000, Math.min(bound, ...due) + 1);
  }

  /** Records a location's report; returns whether its verdict changed. */
  locationReported(name: string, result: ProbeVerdict, now?: number): boolean {
    const state = this.location(name);
    const { verdict, since, checks, detail } = result;
    delete state.error;
    delete state.silentSince;
    if (now !== undefined) state.heardAt = now;
    state.checks += checks;
    if (detail !== undefined) state.detail = detail;
    if (verdict === state.verdict) return false;
    state.verdict = verdict;
    if (since !== undefined) state.since = since;
    return true;
  }

  /** Whether a quorum of the locations' current votes says this (a kept verdict does not count). */
  quorumSays(verdict: Verdict): boolean {
    const { locations, quorum } = this.policy;
    return locations.filter((l) => this.status.locations[l.name]?.verdict === verdict).length >= quorum;
  }

  quorumVerdict(): Verdict {
    const { locations, quorum } = this.policy;
    const verdicts = locations.map((l) => this.status.locations[l.name]?.verdict ?? 'unknown');
    if (verdicts.filter((v) => v === 'down').length >= quorum) return 'down';
    if (verdicts.filter((v) => v === 'up').length >= quorum) return 'up';
    return this.status.verdict; // no quorum either way: keep the last verdict (no flapping)
  }

  /** Moves the quorum's verdict after a location's report; undefined when it did not change. */
  evaluate(reported: LocationState): Transition | undefined {
    const next = this.quorumVerdict();
    const previous = this.status.verdict;
    if (next === previous) return undefined;
    this.status.verdict = next;
    this.status.verdictSince = Date.now();
    const { locations, quorum } = this.policy;
    const agreeing = locations.filter((l) => this.status.locations[l.name]?.verdict === next).map((l) => l.name);
    const why = `${agreeing.join(', ')} (quorum ${quorum}/${locations.length}): ${reported.detail ?? ''}`;
    this.note(`primary ${previous} → ${next}: ${why}`);
    return { previous, next, why };
  }
}

/** How often the watcher makes sure an incident has the site while the primary stays down. */
export function retriggerEveryMs(policy: WatchPolicy): number {
  return Math.max(10_000, 3 * policy.failuresToTrigger * policy.intervalMs);
}

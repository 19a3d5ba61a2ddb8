// The health watcher's data: its input, policy, status, and what its probe activities take and return.

/** What the primary looks like: from one location, or by quorum of all of them. */
export type Verdict = 'unknown' | 'up' | 'down';

export interface WatchLocation {
  name: string;
  /** The probe activities of this location run on workers polling this task queue. */
  taskQueue: string;
}

export interface WatchPolicy {
  intervalMs: number;
  /** Bound on one check. */
  timeoutMs: number;
  failuresToTrigger: number;
  successesToRecover: number;
  locations: WatchLocation[];
  /** Locations that must agree before the quorum verdict changes. */
  quorum: number;
  /** Task queue of the incident workflows (and of the watcher's own trigger activities). */
  taskQueue: string;
  /** A probe activity returns at least this often, even without news (the workflow restarts it). */
  maxProbeRunMs: number;
  /** Continue as new past this many history events (also when the server suggests it). */
  historyLimit: number;
}

export interface WatchInput {
  site: string;
  policy: WatchPolicy;
  /** Set only by continue-as-new. */
  carried?: WatchStatus;
}

export interface LocationState {
  verdict: Verdict;
  /** First check of the streak that made the verdict (ms since epoch). */
  since?: number;
  checks: number;
  detail?: string;
  /** Why this location has no fresh verdict (no worker polls its task queue, probe failing...). */
  error?: string;
  /** Its last report (or its probe's start), workflow time in ms since epoch. */
  heardAt?: number;
  /**
   * Set while its vote does not count (shown as unknown): its probe failed, or it has not reported
   * for longer than the policy allows (`silentAfterMs`). Cleared by its next report.
   */
  silentSince?: number;
}

export interface WatchEvent {
  at: number;
  what: string;
}

export interface WatchStatus {
  site: string;
  /** The quorum's verdict. */
  verdict: Verdict;
  verdictSince: number;
  locations: Record<string, LocationState>;
  /** Incidents triggered (down transitions acted on). */
  triggers: number;
  lastTrigger?: { alertId: string; at: number; outcome: string };
  /** Recoveries seen (down → up transitions); each was reported to the incident. */
  recoveries: number;
  lastRecovery?: { at: number; outcome: string };
  /** The latest transitions, newest last (bounded). */
  events: WatchEvent[];
  /** Runs of this watcher so far (continue-as-new bounds each run's history). */
  runs: number;
  stopped?: boolean;
}

export interface ProbeOptions {
  intervalMs: number;
  timeoutMs: number;
  failuresToTrigger: number;
  successesToRecover: number;
  /** The location's verdict so far: the activity returns when it changes. */
  current: Verdict;
  maxRunMs: number;
}

export interface ProbeVerdict {
  /** Equal to `current` when the activity returned only because maxRunMs passed. */
  verdict: Verdict;
  since?: number;
  checks: number;
  detail?: string;
}

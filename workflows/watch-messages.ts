// The health watcher's public surface: its workflow ID, input, status, messages, and the
// activities it calls (declared here, implemented in activities/watch.ts).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AlertOpened } from './types.ts';

/** One watcher per site: the workflow ID is derived from the site alone. */
export function watchWorkflowId(site: string): string {
  return `watch-${site}`;
}

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

export interface WatchActivities {
  /** Probes the site's primary from this worker's location until the location's verdict changes. */
  watchPrimary(site: string, location: string, options: ProbeOptions): Promise<ProbeVerdict>;
  /** Signal-with-start of the site's incident; returns what was done, for the status. */
  triggerIncidentFromWatcher(site: string, alert: AlertOpened): Promise<string>;
  /** Tells the site's incident, when it is on standby, that the primary serves again. */
  reportPrimaryRecovered(site: string, detail: string): Promise<string>;
}

export const watchStatusQuery = defineQuery<WatchStatus>('watchStatus');
/** New policy (config change): probes restart with it. Sent by signal-with-start, so it also starts the watcher. */
export const reconfigureWatch = defineSignal<[WatchPolicy]>('reconfigureWatch');
export const stopWatch = defineSignal<[{ by: string }]>('stopWatch');

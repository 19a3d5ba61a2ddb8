// What a notification says and how the workflows deliver it (docs/notifications.md). No behaviour.
import type { Phase } from './incident-types.ts';

/** The phases notified unless the config says otherwise (awaiting_trigger and dismissed change nothing). */
export const NOTIFIED_PHASES: readonly Phase[] = [
  'failing_over',
  'on_standby',
  'needs_attention',
  'rolled_back',
  'failing_back',
  'resolved',
  'acknowledged',
];

/** One event, delivered to every channel; a redelivery carries the same `id`. */
export interface NotificationEvent {
  /** Deterministic (workflow ID, run ID, sequence): receivers de-duplicate on it. */
  id: string;
  /** `phase`: the incident entered a phase; `readiness`: a site turned not ready, or ready again. */
  kind: 'phase' | 'readiness';
  site: string;
  /** The phase entered (`phase`), or `ready` / `not_ready` (`readiness`). */
  state: string;
  /** The phase (or readiness) left, if any. */
  previous?: string;
  /** Why: the incident's cause or attention reason, a readiness check's finding. */
  cause?: string;
  /** When the state was entered (ms since epoch, workflow time). */
  at: number;
  timings: NotificationTimings;
  /** The workflow that emitted it: the notifier links to it in the Temporal UI. */
  workflow: { namespace: string; workflowId: string; runId: string };
}

export interface NotificationTimings {
  /** When the incident began (its first trigger's run). */
  startedAt?: number;
  /** How long the previous state lasted. */
  previousMs?: number;
  /** When users were first served by the standby, and how long after the start. */
  onStandbyAt?: number;
  failoverMs?: number;
  endedAt?: number;
}

/** The non-secret part of the notifications config that a workflow needs (it travels in the policy). */
export interface NotifyPolicy {
  /** The configured channels' names; the worker holds their URLs. */
  channels: string[];
  phases: Phase[];
  /** Each channel's delivery is retried with backoff for this long, then given up (schedule-to-close). */
  deliverForMs: number;
  /** Bound on one attempt. */
  attemptTimeoutMs: number;
}

/** What a delivery did: the channels it reached, and why the others gave up (never the URL). */
export interface NotificationOutcome {
  delivered: string[];
  failed: { channel: string; error: string }[];
}

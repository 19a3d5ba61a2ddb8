// The incident's activity stubs, one group per kind of step, each with the retry policy that suits
// its provider and typed to its own activities only.
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { IncidentActivities as A } from '../activities/index.ts';
import { NON_RETRYABLE } from './failure-types.ts';
import type { IncidentPolicy, StepName } from './incident-types.ts';

const nonRetryableErrorTypes = NON_RETRYABLE;

// Mutations are never abandoned mid-flight: a cancelled scope waits for the activity to
// finish, so its effect is known and can be compensated.
// Mutations heartbeat every second, so a cancel reaches them within ~8 s of this timeout.
const mutation = {
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  heartbeatTimeout: '10s',
} as const;

const SLACK_MS = 30_000;

/**
 * Retries are bounded by time, not by count: an attempt makes two or three API calls, so at a 30 %
 * fault rate ten attempts still fail together about once in a hundred steps. Ten minutes of
 * backoff (some thirty attempts) makes that negligible, and a step that fails for good then is
 * compensated, or waits in needs_attention.
 */
const CHANGE_BUDGET = '10m';
const READ_BUDGET = '5m';
const retries = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes };

/**
 * A probe heartbeats between checks (and while it waits or checks, where the activity can): the
 * timeout covers one interval and one check, so a slow cadence is not taken for a dead worker.
 * Cancellation reaches a probe with a heartbeat, at most 80% of this apart.
 */
export function probeHeartbeatMs(policy: IncidentPolicy): number {
  const interval = policy.probeIntervalMs ?? 1000;
  const check = policy.probeCheckTimeoutMs ?? 3000;
  return Math.min(Math.max(interval + check + 2000, 5000), 5 * 60_000);
}

/**
 * One stub per activity group and step: the step's name is the activity's summary, so the Temporal
 * UI's timeline reads `enable_standby_access`, not only `openStandbyAccess`.
 */
function perStep<T>(make: (summary: StepName) => T): (step: StepName) => T {
  const made = new Map<StepName, T>();
  return (step) => {
    let stub = made.get(step);
    if (!stub) made.set(step, (stub = make(step)));
    return stub;
  };
}

export function incidentActivities(policy: IncidentPolicy) {
  const heartbeatTimeout = probeHeartbeatMs(policy);
  return {
    // Reads of a provider's state before changing it: short, so local activities (no trip
    // through the task queue), with their result recorded in the history.
    read: perStep((summary) =>
      proxyLocalActivities<Pick<A, 'readStandbyAccess' | 'readTraffic' | 'readMonitor'>>({
        summary,
        startToCloseTimeout: '20s',
        scheduleToCloseTimeout: READ_BUDGET,
        retry: { ...retries, initialInterval: '500ms' },
      }),
    ),
    // Cloud Run IAM: etag conflicts and 5xx are common under concurrent edits.
    standbyAccess: perStep((summary) =>
      proxyActivities<Pick<A, 'openStandbyAccess' | 'restoreStandbyAccess'>>({
        summary,
        ...mutation,
        // Worst case of one attempt: a read and four etag rounds of 10 s calls (the attempt's
        // deadline stops the calls in time, so a late write cannot land after a compensation).
        startToCloseTimeout: '95s',
        scheduleToCloseTimeout: CHANGE_BUDGET,
        retry: retries,
      }),
    ),
    // Cloudflare: fast API, 429s carry Retry-After (honoured through nextRetryDelay).
    traffic: perStep((summary) =>
      proxyActivities<Pick<A, 'routeTraffic' | 'restoreTraffic'>>({
        summary,
        ...mutation,
        startToCloseTimeout: '25s', // a read and a write of 10 s each
        scheduleToCloseTimeout: CHANGE_BUDGET,
        retry: { ...retries, initialInterval: '500ms' },
      }),
    ),
    // Cloud Monitoring: off the critical path; the same 10 s cap keeps failures from stretching a failback.
    monitor: perStep((summary) =>
      proxyActivities<Pick<A, 'pauseMonitor' | 'restoreMonitor'>>({
        summary,
        ...mutation,
        startToCloseTimeout: '30s',
        scheduleToCloseTimeout: CHANGE_BUDGET,
        retry: retries,
      }),
    ),
    standbyProbe: perStep((summary) =>
      proxyActivities<Pick<A, 'awaitStandbyReady'>>({
        summary,
        startToCloseTimeout: policy.standbyReadyTimeoutMs + SLACK_MS,
        heartbeatTimeout,
        retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes },
      }),
    ),
    verifyProbe: perStep((summary) =>
      proxyActivities<Pick<A, 'verifyPublicUrl'>>({
        summary,
        startToCloseTimeout: policy.verifyTimeoutMs + SLACK_MS,
        heartbeatTimeout,
        retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes },
      }),
    ),
    primaryCheck: perStep((summary) =>
      proxyActivities<Pick<A, 'checkPrimaryHealthy' | 'confirmPrimaryDown'>>({
        summary,
        startToCloseTimeout: policy.primaryCheckTimeoutMs + SLACK_MS,
        heartbeatTimeout,
        retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes },
      }),
    ),
    // Waits for as long as the outage lasts (the origin's lasted 55 h); retried forever.
    holdDown: perStep((summary) =>
      proxyActivities<Pick<A, 'awaitPrimaryStable'>>({
        summary,
        startToCloseTimeout: '24h',
        heartbeatTimeout: '30s',
        retry: { initialInterval: '5s', maximumInterval: '1m', nonRetryableErrorTypes },
      }),
    ),
  };
}

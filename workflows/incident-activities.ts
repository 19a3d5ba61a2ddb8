// The incident's activity stubs, one group per kind of step, each with its retry policy (a lever's
// bounds come from its provider, through the policy) and typed to its own activities only.
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { IncidentActivities as A } from '../activities/index.ts';
import { NON_RETRYABLE } from './failure-types.ts';
import type { IncidentPolicy, LeverStepPolicy, StepName } from './incident-types.ts';

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

type LeverName = keyof NonNullable<IncidentPolicy['levers']>;

/**
 * Each lever's step when the policy does not say (runs started before `levers` existed, and
 * levers that make no remote call): the bounds every step had before they were derived.
 */
export const LEVER_STEP_DEFAULTS: Record<LeverName, LeverStepPolicy> = {
  standbyAccess: { startToCloseTimeoutMs: 95_000, initialIntervalMs: 1000 },
  traffic: { startToCloseTimeoutMs: 25_000, initialIntervalMs: 500 },
  monitor: { startToCloseTimeoutMs: 30_000, initialIntervalMs: 1000 },
};

/**
 * A change of a lever: bounded per attempt by its provider's worst case (the attempt's deadline
 * stops the calls in time, so a late write cannot land after a compensation), retried for
 * CHANGE_BUDGET. 429s that carry Retry-After are honoured through nextRetryDelay.
 */
function change(policy: IncidentPolicy, lever: LeverName, summary: StepName) {
  const step = policy.levers?.[lever] ?? LEVER_STEP_DEFAULTS[lever];
  return {
    summary,
    ...mutation,
    startToCloseTimeout: step.startToCloseTimeoutMs,
    scheduleToCloseTimeout: CHANGE_BUDGET,
    retry: { ...retries, initialInterval: step.initialIntervalMs },
  };
}

/**
 * The warm-up: a read, one update and its long-running operation polled until the service is
 * reconciled (seconds to a minute on Cloud Run), within one attempt.
 */
const WARMUP_ATTEMPT = '2m';

/** A probe bounded by its own timeout, heartbeating as it goes. */
const probe = (summary: StepName, timeoutMs: number, heartbeatTimeout: number) => ({
  summary,
  startToCloseTimeout: timeoutMs + SLACK_MS,
  heartbeatTimeout,
  retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes },
});

export function incidentActivities(policy: IncidentPolicy) {
  const heartbeat = probeHeartbeatMs(policy);
  return {
    // Reads of a provider's state before changing it: short, so local activities (no trip
    // through the task queue), with their result recorded in the history.
    read: perStep((summary) =>
      proxyLocalActivities<Pick<A, 'readStandbyAccess' | 'readTraffic' | 'readMonitor' | 'readWarmup'>>({
        summary,
        startToCloseTimeout: '20s',
        scheduleToCloseTimeout: READ_BUDGET,
        retry: { ...retries, initialInterval: '500ms' },
      }),
    ),
    standbyAccess: perStep((summary) =>
      proxyActivities<Pick<A, 'openStandbyAccess' | 'restoreStandbyAccess'>>(change(policy, 'standbyAccess', summary)),
    ),
    traffic: perStep((summary) =>
      proxyActivities<Pick<A, 'routeTraffic' | 'restoreTraffic'>>(change(policy, 'traffic', summary)),
    ),
    monitor: perStep((summary) =>
      proxyActivities<Pick<A, 'pauseMonitor' | 'restoreMonitor'>>(change(policy, 'monitor', summary)),
    ),
    warmup: perStep((summary) =>
      proxyActivities<Pick<A, 'warmStandby' | 'restoreWarmup'>>({
        summary,
        ...mutation,
        startToCloseTimeout: WARMUP_ATTEMPT,
        scheduleToCloseTimeout: CHANGE_BUDGET,
        retry: retries,
      }),
    ),
    standbyProbe: perStep((summary) =>
      proxyActivities<Pick<A, 'awaitStandbyReady'>>(probe(summary, policy.standbyReadyTimeoutMs, heartbeat)),
    ),
    verifyProbe: perStep((summary) =>
      proxyActivities<Pick<A, 'verifyPublicUrl'>>(probe(summary, policy.verifyTimeoutMs, heartbeat)),
    ),
    primaryCheck: perStep((summary) =>
      proxyActivities<Pick<A, 'checkPrimaryHealthy' | 'confirmPrimaryDown'>>(
        probe(summary, policy.primaryCheckTimeoutMs, heartbeat),
      ),
    ),
    // Waits for as long as the outage lasts (the origin's lasted 55 h), or the primary serves; retried forever.
    holdDown: perStep((summary) =>
      proxyActivities<Pick<A, 'awaitPrimaryStable' | 'awaitPrimaryDown'>>({
        summary,
        startToCloseTimeout: '24h',
        heartbeatTimeout: '30s',
        retry: { initialInterval: '5s', maximumInterval: '1m', nonRetryableErrorTypes },
      }),
    ),
  };
}

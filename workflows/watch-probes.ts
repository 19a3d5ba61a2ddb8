// The watcher's background work, all in one cancellation scope: a long-running probe activity per
// location, each report handed to the loop through WatchState, and the timers that wake the loop
// to retrigger a lasting outage or to expire the votes of silent locations.
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { WatchProbeActivities } from '../activities/index.ts';
import { NON_RETRYABLE } from './failure-types.ts';
import {
  PROBE_SCHEDULE_TO_START_MS,
  type WatchState,
  probeHeartbeatTimeoutMs,
  retriggerEveryMs,
} from './watch-state.ts';
import type { WatchLocation } from './watch-types.ts';
import { failureMessage } from './error-text.ts';

/** A reconfiguration during an outage starts the re-trigger timer again (older runs lost it there). */
const RETRIGGER_AFTER_RECONFIGURE = 'watch-retrigger-after-reconfigure';

/** Behaviours that older histories replay without (see watch.ts). */
export interface ProbeFeatures {
  votesExpire: boolean;
  retriggers: boolean;
}

export class Probes {
  private readonly state: WatchState;
  private readonly features: ProbeFeatures;
  private scope = new CancellationScope();
  /** A retrigger timer runs (one at a time, while the verdict is down). */
  private retriggering = false;
  /** Which timer is the current one: a cancelled one's end must not clear the flag of its successor. */
  private retriggerRun = 0;

  constructor(state: WatchState, features: ProbeFeatures) {
    this.state = state;
    this.features = features;
  }

  /** Starts every location's probe in the current generation, and the timers beside them. */
  start(): void {
    const { state, features } = this;
    state.syncLocations();
    for (const location of state.policy.locations) {
      if (features.votesExpire) state.heard(location.name, Date.now());
      this.launch(location);
    }
    if (features.votesExpire) this.watchSilence();
    this.watchRetrigger();
  }

  /** Cancels every probe and timer. */
  stop(): void {
    this.scope.cancel();
  }

  /** Cancels every probe and timer, and starts again with the current policy. */
  restart(): void {
    this.scope.cancel();
    this.scope = new CancellationScope();
    // The cancelled timer clears its flag only after this returns: start() would see it still set
    // and start none, so the outage would never be re-triggered again.
    if (this.retriggering && patched(RETRIGGER_AFTER_RECONFIGURE)) {
      this.retriggering = false;
      this.retriggerRun++;
    }
    this.start();
  }

  /** Starts (or, after a delay, restarts) one location's probe in the current generation. */
  launch(location: WatchLocation, delayMs = 0): void {
    const { state } = this;
    const report = { location: location.name, generation: state.generation };
    void this.scope.run(async () => {
      try {
        if (delayMs > 0) await sleep(delayMs);
        const { policy, status } = state;
        const current = status.locations[location.name]?.verdict ?? 'unknown';
        const result = await probes(state, location).watchPrimary(status.site, location.name, {
          intervalMs: policy.intervalMs,
          timeoutMs: policy.timeoutMs,
          failuresToTrigger: policy.failuresToTrigger,
          successesToRecover: policy.successesToRecover,
          current,
          maxRunMs: policy.maxProbeRunMs,
        });
        state.probeReturned({ ...report, result });
      } catch (err) {
        if (!isCancellation(err)) state.probeReturned({ ...report, error: failureMessage(err) });
      }
    });
  }

  /** While the verdict stays down, wakes the loop now and then to make sure an incident has the site. */
  watchRetrigger(): void {
    const { state } = this;
    if (!this.features.retriggers || this.retriggering || state.status.verdict !== 'down') return;
    this.retriggering = true;
    const run = this.retriggerRun;
    void this.scope
      .run(async () => {
        while (state.status.verdict === 'down') {
          await sleep(retriggerEveryMs(state.policy));
          if (state.status.verdict === 'down') state.retriggerDue = true;
        }
      })
      .catch((err) => {
        if (!isCancellation(err)) throw err;
      })
      .finally(() => {
        if (run === this.retriggerRun) this.retriggering = false;
      });
  }

  /** Wakes the loop when a location may have been silent for too long (its vote then expires). */
  private watchSilence(): void {
    const { state } = this;
    void this.scope.run(async () => {
      try {
        for (;;) {
          await sleep(state.nextSilenceCheckMs(Date.now()));
          state.silenceCheckDue = true;
        }
      } catch (err) {
        if (!isCancellation(err)) throw err;
      }
    });
  }
}

function probes({ policy }: WatchState, location: WatchLocation) {
  return proxyActivities<WatchProbeActivities>({
    taskQueue: location.taskQueue,
    // A location without a worker shows as such instead of waiting silently.
    scheduleToStartTimeout: PROBE_SCHEDULE_TO_START_MS,
    startToCloseTimeout: policy.maxProbeRunMs + 60_000,
    // A probe worker that died is noticed after this long, and its probe resumes elsewhere.
    heartbeatTimeout: probeHeartbeatTimeoutMs(policy),
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
  });
}

// The health watcher of one site: seconds-level detection that Cloud Monitoring cannot give.
// One long-running, heartbeating probe activity per location reports each change of its verdict
// (K consecutive failures → down, M consecutive successes → up). When a quorum of locations says
// down, the site's incident is triggered (signal-with-start, like every other trigger); when the
// quorum says up again, a site on standby is told its primary recovered. Continue-as-new bounds
// the history; the verdicts are carried, so a new run neither re-triggers nor forgets.
import {
  ActivityCancellationType,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { WatchProbeActivities, WatchTriggerActivities } from '../activities/index.ts';
import { NON_RETRYABLE } from './failure-types.ts';
import { failureMessage } from './timeline.ts';
import { reconfigureWatch, stopWatch, watchStatusQuery } from './watch-messages.ts';
import {
  PROBE_SCHEDULE_TO_START_MS,
  WatchState,
  probeHeartbeatTimeoutMs,
  retriggerEveryMs,
  silentAfterMs,
} from './watch-state.ts';
import type { LocationState, ProbeVerdict, WatchInput, WatchLocation, WatchStatus } from './watch-types.ts';

/** Before a location whose probe failed (no worker, bad config) is tried again. */
const RETRY_LOCATION_MS = 15_000;

/** Votes expire: a location whose probe fails, or that is silent too long, counts as unknown. */
const VOTE_EXPIRY = 'watch-vote-expiry';
/** While the primary stays down, the incident is triggered again if nothing has it on the standby. */
const RETRIGGER = 'watch-retrigger';

export async function watch(input: WatchInput): Promise<WatchStatus> {
  const { site } = input;
  // Histories recorded before votes expired replay on the old path (no silence timer, errors keep the vote).
  const votesExpire = patched(VOTE_EXPIRY);
  const retriggers = patched(RETRIGGER);
  const state = new WatchState(site, input.policy, input.carried);
  const { status } = state;
  let reconfigured = false;
  let stopRequestedBy: string | undefined;

  setHandler(watchStatusQuery, () => status);
  setHandler(reconfigureWatch, (next) => {
    if (state.reconfigure(next)) reconfigured = true;
  });
  setHandler(stopWatch, ({ by }) => void (stopRequestedBy ??= by));

  const control = proxyActivities<WatchTriggerActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
  });

  function probes(location: WatchLocation) {
    const policy = state.policy;
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

  const note = (what: string): void => state.note(what);
  const details = (): void => setCurrentDetails(state.details());

  interface Report {
    location: string;
    generation: number;
    result?: ProbeVerdict;
    error?: string;
  }
  const reports: Report[] = [];
  let generation = 0;
  let scope = new CancellationScope();

  /** Starts (or, after a delay, restarts) one location's probe in the current generation. */
  function launch(location: WatchLocation, delayMs = 0): void {
    const gen = generation;
    void scope.run(async () => {
      try {
        if (delayMs > 0) await sleep(delayMs);
        const { policy } = state;
        const current = status.locations[location.name]?.verdict ?? 'unknown';
        const result = await probes(location).watchPrimary(site, location.name, {
          intervalMs: policy.intervalMs,
          timeoutMs: policy.timeoutMs,
          failuresToTrigger: policy.failuresToTrigger,
          successesToRecover: policy.successesToRecover,
          current,
          maxRunMs: policy.maxProbeRunMs,
        });
        reports.push({ location: location.name, generation: gen, result });
      } catch (err) {
        if (!isCancellation(err))
          reports.push({ location: location.name, generation: gen, error: failureMessage(err) });
      }
    });
  }

  function launchAll(): void {
    state.syncLocations();
    for (const location of state.policy.locations) {
      if (votesExpire) state.heard(location.name, Date.now());
      launch(location);
    }
    if (votesExpire) watchSilence();
    watchRetrigger();
  }

  let retriggerDue = false;
  let retriggerLoop = false;
  /** While the verdict stays down, wakes the loop now and then to make sure an incident has the site. */
  function watchRetrigger(): void {
    if (!retriggers || retriggerLoop || status.verdict !== 'down') return;
    retriggerLoop = true;
    void scope
      .run(async () => {
        while (status.verdict === 'down') {
          await sleep(retriggerEveryMs(state.policy));
          if (status.verdict === 'down') retriggerDue = true;
        }
      })
      .catch((err) => {
        if (!isCancellation(err)) throw err;
      })
      .finally(() => void (retriggerLoop = false));
  }

  /** Triggers the incident; with `onlyIfNeeded`, only when nothing has the site on (or going to) the standby. */
  async function triggerIncident(summary: string, startedAt: string, onlyIfNeeded: boolean): Promise<void> {
    const alertId = `watcher:${site}:${new Date(Date.now()).toISOString()}`;
    let outcome: string;
    try {
      outcome = await control.triggerIncidentFromWatcher(
        site,
        { alertId, source: 'watcher', summary, startedAt },
        onlyIfNeeded,
      );
      if (!outcome.startsWith('not needed')) status.triggers++;
    } catch (err) {
      outcome = `trigger failed: ${failureMessage(err)}`;
    }
    if (onlyIfNeeded && outcome.startsWith('not needed')) return;
    status.lastTrigger = { alertId, at: Date.now(), outcome };
    note(`incident: ${outcome}`);
  }

  let silenceCheckDue = false;
  /** Wakes the loop when a location may have been silent for too long (its vote then expires). */
  function watchSilence(): void {
    void scope.run(async () => {
      try {
        for (;;) {
          await sleep(state.nextSilenceCheckMs(Date.now()));
          silenceCheckDue = true;
        }
      } catch (err) {
        if (!isCancellation(err)) throw err;
      }
    });
  }

  async function evaluate(reported: LocationState): Promise<void> {
    const transition = state.evaluate(reported);
    if (!transition) return;
    const { next, why } = transition;
    const { policy } = state;
    details();
    if (next === 'down') {
      const startedAt = new Date(reported.since ?? Date.now()).toISOString();
      const summary = `primary failed ${policy.failuresToTrigger} consecutive checks every ${policy.intervalMs} ms from ${why}`;
      await triggerIncident(summary, startedAt, false);
      watchRetrigger();
    } else if (next === 'up') {
      let outcome: string;
      try {
        outcome = await control.reportPrimaryRecovered(
          site,
          `primary healthy for ${policy.successesToRecover} checks from ${why}`,
        );
        status.recoveries++;
      } catch (err) {
        outcome = `report failed: ${failureMessage(err)}`;
      }
      status.lastRecovery = { at: Date.now(), outcome };
      note(`recovery: ${outcome}`);
    }
  }

  const timeToContinue = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > state.policy.historyLimit;

  details();
  launchAll();
  for (;;) {
    await condition(
      () =>
        reports.length > 0 ||
        reconfigured ||
        stopRequestedBy !== undefined ||
        timeToContinue() ||
        silenceCheckDue ||
        retriggerDue,
    );
    if (stopRequestedBy !== undefined) {
      scope.cancel();
      status.stopped = true;
      note(`stopped by ${stopRequestedBy}`);
      await condition(allHandlersFinished);
      return status;
    }
    if (reconfigured || timeToContinue()) {
      scope.cancel();
      generation++;
      reports.length = 0;
      if (!reconfigured) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof watch>({ site, policy: state.policy, carried: status });
      }
      reconfigured = false;
      note('reconfigured');
      scope = new CancellationScope();
      launchAll();
      continue;
    }
    if (retriggerDue) {
      retriggerDue = false;
      // The outage goes on: a failback that met it, or an incident that ended, must not leave users on
      // a dead primary. The alert is new (now), so it is not taken as stale.
      if (status.verdict === 'down') {
        await triggerIncident(
          `primary still down (verdict down since ${new Date(status.verdictSince).toISOString()})`,
          new Date(Date.now()).toISOString(),
          true,
        );
      }
      if (reports.length === 0 && !silenceCheckDue) continue;
    }
    if (silenceCheckDue) {
      silenceCheckDue = false;
      const silent = state.expireSilent(Date.now());
      if (silent.length > 0) {
        note(
          `${silent.join(', ')}: no report for over ${Math.round(silentAfterMs(state.policy) / 1000)} s; vote no longer counted`,
        );
        details();
      }
      if (reports.length === 0) continue;
    }
    const report = reports.shift()!;
    if (report.generation !== generation) continue;
    const location = state.policy.locations.find((l) => l.name === report.location);
    if (!location) continue;
    if (report.error !== undefined || !report.result) {
      if (state.locationFailed(location.name, report.error)) note(`${location.name}: ${report.error}`);
      // A location that cannot probe does not vote: its last verdict is stale.
      if (votesExpire && state.dropVote(location.name, Date.now())) {
        note(`${location.name}: vote no longer counted until it reports again`);
        details();
      }
      launch(location, RETRY_LOCATION_MS);
      continue;
    }
    if (state.locationReported(location.name, report.result, votesExpire ? Date.now() : undefined)) details();
    launch(location);
    await evaluate(state.location(location.name));
  }
}

// The health watcher of one site: seconds-level detection that Cloud Monitoring cannot give.
// One long-running, heartbeating probe activity per location reports each change of its verdict
// (K consecutive failures → down, M consecutive successes → up). When a quorum of locations says
// down, the site's incident is triggered (signal-with-start, like every other trigger); when the
// quorum says up again, a site on standby is told its primary recovered. Continue-as-new bounds
// the history; the verdicts are carried, so a new run neither re-triggers nor forgets.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { WatchTriggerActivities } from '../activities/index.ts';
import { NON_RETRYABLE } from './failure-types.ts';
import { reconfigureWatch, stopWatch, watchStatusQuery } from './watch-messages.ts';
import { Probes } from './watch-probes.ts';
import { WatchState } from './watch-state.ts';
import type { LocationState, WatchInput, WatchStatus } from './watch-types.ts';
import { failureMessage } from './error-text.ts';

/** Before a location whose probe failed (no worker, bad config) is tried again. */
const RETRY_LOCATION_MS = 15_000;

/** Votes expire: a location whose probe fails, or that is silent too long, counts as unknown. */
const VOTE_EXPIRY = 'watch-vote-expiry';
/** While the primary stays down, the incident is triggered again if nothing has it on the standby. */
const RETRIGGER = 'watch-retrigger';
/** A re-trigger needs a quorum that says down now, not a verdict kept because every vote expired. */
const RETRIGGER_NEEDS_QUORUM = 'watch-retrigger-needs-quorum';

const control = proxyActivities<WatchTriggerActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function watch(input: WatchInput): Promise<WatchStatus> {
  // Histories recorded before votes expired replay on the old path (no silence timer, errors keep the vote).
  const votesExpire = patched(VOTE_EXPIRY);
  const retriggers = patched(RETRIGGER);
  const state = new WatchState(input.site, input.policy, input.carried);
  const { status } = state;
  setHandler(watchStatusQuery, () => status);
  setHandler(reconfigureWatch, (next) => void state.reconfigure(next));
  setHandler(stopWatch, ({ by }) => state.requestStop(by));

  const probes = new Probes(state, { votesExpire, retriggers });
  const details = (): void => setCurrentDetails(state.details());
  /** When a report was heard: tracked only where votes expire (older histories replay without it). */
  const heardAt = () => (votesExpire ? Date.now() : undefined);
  const timeToContinue = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > state.policy.historyLimit;

  details();
  probes.start();
  for (;;) {
    await condition(() => state.hasWork(timeToContinue()));
    for (const event of state.wakeUp(timeToContinue())) {
      switch (event.kind) {
        case 'stop':
          probes.stop();
          state.stop(event.by);
          await condition(allHandlersFinished);
          return status;
        case 'continue_as_new':
          probes.stop();
          await condition(allHandlersFinished);
          return continueAsNew<typeof watch>({ site: input.site, policy: state.policy, carried: status });
        case 'reconfigure':
          state.note('reconfigured');
          probes.restart();
          break;
        case 'retrigger':
          // The outage goes on: a failback that met it, or an incident that ended, must not leave users
          // on a dead primary. The alert is new (now), so it is not taken as stale.
          if (status.verdict === 'down' && !state.quorumSays('down') && patched(RETRIGGER_NEEDS_QUORUM)) {
            state.note('re-trigger skipped: no quorum of locations says down now (their votes expired)');
          } else if (status.verdict === 'down') {
            const since = new Date(status.verdictSince).toISOString();
            await triggerIncident(state, `primary still down (verdict down since ${since})`, Date.now(), true);
          }
          break;
        case 'silence_check':
          if (state.checkSilence(Date.now())) details();
          break;
        case 'probe_failed':
          if (state.probeFailed(event.location.name, event.error, heardAt())) details();
          probes.launch(event.location, RETRY_LOCATION_MS);
          break;
        case 'probe_report':
          if (state.locationReported(event.location.name, event.result, heardAt())) details();
          probes.launch(event.location);
          await evaluate(state, probes, state.location(event.location.name));
          break;
      }
    }
  }
}

/** Acts on a change of the quorum's verdict: down triggers the incident, up reports the recovery. */
async function evaluate(state: WatchState, probes: Probes, reported: LocationState): Promise<void> {
  const transition = state.evaluate(reported);
  if (!transition) return;
  const { next, why } = transition;
  const { policy, status } = state;
  setCurrentDetails(state.details());
  if (next === 'down') {
    const summary = `primary failed ${policy.failuresToTrigger} consecutive checks every ${policy.intervalMs} ms from ${why}`;
    await triggerIncident(state, summary, reported.since ?? Date.now(), false);
    probes.watchRetrigger();
  } else if (next === 'up') {
    try {
      const summary = `primary healthy for ${policy.successesToRecover} checks from ${why}`;
      state.recoveryReported(await control.reportPrimaryRecovered(status.site, summary));
    } catch (err) {
      state.recoveryReported(`report failed: ${failureMessage(err)}`, false);
    }
  }
}

/** Triggers the incident; with `onlyIfNeeded`, only when nothing has the site on (or going to) the standby. */
async function triggerIncident(state: WatchState, summary: string, startedAt: number, onlyIfNeeded: boolean) {
  const { site } = state.status;
  const alertId = `watcher:${site}:${new Date(Date.now()).toISOString()}`;
  const alert = { alertId, source: 'watcher', summary, startedAt: new Date(startedAt).toISOString() } as const;
  try {
    state.triggered(alertId, await control.triggerIncidentFromWatcher(site, alert, onlyIfNeeded), onlyIfNeeded);
  } catch (err) {
    state.triggered(alertId, `trigger failed: ${failureMessage(err)}`, onlyIfNeeded, false);
  }
}

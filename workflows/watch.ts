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
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { NON_RETRYABLE } from './failure-types.ts';
import { failureMessage } from './timeline.ts';
import {
  type LocationState,
  type ProbeVerdict,
  type Verdict,
  type WatchActivities,
  type WatchInput,
  type WatchLocation,
  type WatchPolicy,
  type WatchStatus,
  reconfigureWatch,
  stopWatch,
  watchStatusQuery,
} from './watch-messages.ts';

const MAX_EVENTS = 30;
/** Before a location whose probe failed (no worker, bad config) is tried again. */
const RETRY_LOCATION_MS = 15_000;

export async function watch(input: WatchInput): Promise<WatchStatus> {
  const { site } = input;
  let policy: WatchPolicy = input.policy;
  const status: WatchStatus = input.carried ?? {
    site,
    verdict: 'unknown',
    verdictSince: Date.now(),
    locations: {},
    triggers: 0,
    recoveries: 0,
    events: [],
    runs: 0,
  };
  status.runs++;
  let reconfigured = false;
  let stopRequestedBy: string | undefined;

  setHandler(watchStatusQuery, () => status);
  setHandler(reconfigureWatch, (next) => {
    if (JSON.stringify(next) === JSON.stringify(policy)) return;
    policy = next;
    reconfigured = true;
  });
  setHandler(stopWatch, ({ by }) => void (stopRequestedBy ??= by));

  const control = proxyActivities<WatchActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
  });

  function probes(location: WatchLocation) {
    return proxyActivities<WatchActivities>({
      taskQueue: location.taskQueue,
      // A location without a worker shows as such instead of waiting silently.
      scheduleToStartTimeout: '1m',
      startToCloseTimeout: policy.maxProbeRunMs + 60_000,
      // A probe worker that died is noticed after this long, and its probe resumes elsewhere.
      heartbeatTimeout: Math.max(2000, 3 * (policy.intervalMs + policy.timeoutMs)),
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
    });
  }

  function note(what: string): void {
    status.events.push({ at: Date.now(), what });
    if (status.events.length > MAX_EVENTS) status.events.splice(0, status.events.length - MAX_EVENTS);
  }

  function details(): void {
    const where = Object.entries(status.locations).map(([name, l]) => `${name}: ${l.verdict}${l.error ? ` (${l.error})` : ''}`);
    setCurrentDetails(`**${site}** primary is **${status.verdict}**\n\n${where.join('\n\n')}`);
  }

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
        if (!isCancellation(err)) reports.push({ location: location.name, generation: gen, error: failureMessage(err) });
      }
    });
  }

  function launchAll(): void {
    for (const name of Object.keys(status.locations)) {
      if (!policy.locations.some((l) => l.name === name)) delete status.locations[name];
    }
    for (const location of policy.locations) {
      status.locations[location.name] ??= { verdict: 'unknown', checks: 0 };
      launch(location);
    }
  }

  function quorumVerdict(): Verdict {
    const verdicts = policy.locations.map((l) => status.locations[l.name]?.verdict ?? 'unknown');
    if (verdicts.filter((v) => v === 'down').length >= policy.quorum) return 'down';
    if (verdicts.filter((v) => v === 'up').length >= policy.quorum) return 'up';
    return status.verdict; // no quorum either way: keep the last verdict (no flapping)
  }

  async function evaluate(trigger: { location: string; state: LocationState }): Promise<void> {
    const next = quorumVerdict();
    if (next === status.verdict) return;
    const previous = status.verdict;
    status.verdict = next;
    status.verdictSince = Date.now();
    const agreeing = policy.locations.filter((l) => status.locations[l.name]?.verdict === next).map((l) => l.name);
    const why = `${agreeing.join(', ')} (quorum ${policy.quorum}/${policy.locations.length}): ${trigger.state.detail ?? ''}`;
    note(`primary ${previous} → ${next}: ${why}`);
    details();
    if (next === 'down') {
      const startedAt = new Date(trigger.state.since ?? Date.now()).toISOString();
      const alertId = `watcher:${site}:${new Date(Date.now()).toISOString()}`;
      const summary = `primary failed ${policy.failuresToTrigger} consecutive checks every ${policy.intervalMs} ms from ${why}`;
      let outcome: string;
      try {
        outcome = await control.triggerIncidentFromWatcher(site, { alertId, source: 'watcher', summary, startedAt });
        status.triggers++;
      } catch (err) {
        outcome = `trigger failed: ${failureMessage(err)}`;
      }
      status.lastTrigger = { alertId, at: Date.now(), outcome };
      note(`incident: ${outcome}`);
    } else if (next === 'up') {
      let outcome: string;
      try {
        outcome = await control.reportPrimaryRecovered(site, `primary healthy for ${policy.successesToRecover} checks from ${why}`);
        status.recoveries++;
      } catch (err) {
        outcome = `report failed: ${failureMessage(err)}`;
      }
      status.lastRecovery = { at: Date.now(), outcome };
      note(`recovery: ${outcome}`);
    }
  }

  const timeToContinue = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > policy.historyLimit;

  details();
  launchAll();
  for (;;) {
    await condition(() => reports.length > 0 || reconfigured || stopRequestedBy !== undefined || timeToContinue());
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
        return continueAsNew<typeof watch>({ site, policy, carried: status });
      }
      reconfigured = false;
      note('reconfigured');
      scope = new CancellationScope();
      launchAll();
      continue;
    }
    const report = reports.shift()!;
    if (report.generation !== generation) continue;
    const location = policy.locations.find((l) => l.name === report.location);
    if (!location) continue;
    const state = (status.locations[location.name] ??= { verdict: 'unknown', checks: 0 });
    if (report.error !== undefined || !report.result) {
      if (state.error !== report.error) note(`${location.name}: ${report.error}`);
      state.error = report.error;
      launch(location, RETRY_LOCATION_MS);
      continue;
    }
    const { verdict, since, checks, detail } = report.result;
    delete state.error;
    state.checks += checks;
    if (detail !== undefined) state.detail = detail;
    if (verdict !== state.verdict) {
      state.verdict = verdict;
      if (since !== undefined) state.since = since;
      details();
    }
    launch(location);
    await evaluate({ location: location.name, state });
  }
}

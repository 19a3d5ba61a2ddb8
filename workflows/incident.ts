// One incident of one site: failover saga, wait on standby, failback saga.
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { incidentActivities } from './incident-activities.ts';
import * as messages from './incident-messages.ts';
import { IncidentState } from './incident-state.ts';
import { Saga } from './saga.ts';
import { phaseAttribute, siteAttribute } from './search-attributes.ts';
import { Timeline, failureMessage } from './timeline.ts';
import type { IncidentInput, IncidentStatus, Phase, StepName } from './incident-types.ts';
import type { Snapshot, StepOutcome } from './types.ts';

export async function incident(input: IncidentInput): Promise<IncidentStatus> {
  const { site, policy } = input;
  const state = new IncidentState(site, policy, input.carried);
  const { status, undo } = state;
  /** The failover or failback in flight; abort cancels it and its compensation runs. */
  let inFlight: CancellationScope | undefined;

  const act = incidentActivities(policy);
  const timeline = new Timeline(status.steps);

  function setPhase(phase: Phase): void {
    status.phase = phase;
    upsertSearchAttributes([{ key: phaseAttribute, value: phase }]);
    setCurrentDetails(
      `**${site}**: ${phase.replaceAll('_', ' ')}${status.cause ? `\n\nlast problem: ${status.cause}` : ''}`,
    );
  }

  setHandler(messages.statusQuery, () => status);
  setHandler(messages.alertOpened, (alert) => state.alertOpened(alert));
  setHandler(messages.alertClosed, (alert) => state.alertClosed(alert));
  setHandler(messages.primaryRecovered, (actor) => state.primaryRecovered(actor));
  setHandler(messages.approveFailback, (actor) => state.approveFailback(actor));
  setHandler(
    messages.requestFailback,
    (actor) => {
      state.acceptFailback(actor);
      return { accepted: true, phase: status.phase };
    },
    {
      validator: (_actor) => {
        const refusal = state.failbackRefusal();
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(messages.abort, (actor) => {
    if (state.abort(actor)) inFlight?.cancel();
  });

  /**
   * One change of a saga: read the state (recorded in history), register its undo, then change
   * it. The undo is registered first because a change can land even when its step fails.
   */
  async function change(
    saga: Saga,
    name: StepName,
    undoName: StepName,
    read: () => Promise<Snapshot>,
    apply: () => Promise<StepOutcome>,
    restore: (before: Snapshot) => Promise<StepOutcome>,
  ): Promise<Snapshot> {
    let before: Snapshot = {};
    await timeline.run(name, async () => {
      before = await read();
      saga.add(undoName, () => restore(before));
      return apply();
    });
    return before;
  }

  async function failover(): Promise<boolean> {
    setPhase('failing_over');
    const saga = new Saga();
    let monitorPaused: Promise<void> = Promise.resolve();
    inFlight = new CancellationScope();
    try {
      await inFlight.run(async () => {
        // Off the critical path: a monitor that cannot be paused must not keep users on a dead primary.
        monitorPaused = change(
          saga,
          'pause_monitor',
          'undo_pause_monitor',
          () => act.read.readMonitor(site),
          () => act.monitor.pauseMonitor(site),
          (before) => act.monitor.restoreMonitor(site, before),
        ).then(
          (before) => void (undo.monitor = before),
          (err) => void state.warn(`monitor not paused: ${failureMessage(err)}`),
        );
        undo.standbyAccess = await change(
          saga,
          'enable_standby_access',
          'undo_enable_standby_access',
          () => act.read.readStandbyAccess(site),
          () => act.standbyAccess.openStandbyAccess(site),
          (before) => act.standbyAccess.restoreStandbyAccess(site, before),
        );
        // Never route users to something that has not served: probe the standby directly first.
        await timeline.run('await_standby_ready', () =>
          act.standbyProbe.awaitStandbyReady(site, policy.standbyReadyTimeoutMs),
        );
        undo.traffic = await change(
          saga,
          'route_traffic_to_standby',
          'undo_route_traffic_to_standby',
          () => act.read.readTraffic(site),
          () => act.traffic.routeTraffic(site, 'standby'),
          (before) => act.traffic.restoreTraffic(site, before),
        );
        await timeline.run('verify_public_url_on_standby', () =>
          act.verifyProbe.verifyPublicUrl(site, 'standby', policy.verifyTimeoutMs),
        );
        await monitorPaused;
      });
      status.onStandbyAt = Date.now();
      return true;
    } catch (err) {
      status.cause = state.abortRequestedBy ? `aborted by ${state.abortRequestedBy}` : state.failedStepMessage(err);
      await CancellationScope.nonCancellable(() => monitorPaused);
      const failed = await saga.compensate(timeline);
      for (const f of failed) state.warn(`compensation failed, check by hand: ${f}`);
      return false;
    } finally {
      inFlight = undefined;
    }
  }

  /** Resolves when it is time to fail back, or to continue as new to bound the history. */
  async function awaitFailbackGo(): Promise<'failback' | 'continue_as_new'> {
    let primaryStable = false;
    const holdDown = new CancellationScope();
    if (policy.failback.mode === 'auto') {
      holdDown
        .run(() =>
          timeline.run('await_primary_healthy', () =>
            act.holdDown.awaitPrimaryStable(site, policy.failback.holdDownMs),
          ),
        )
        .then(
          () => void (primaryStable = true),
          (err) => {
            if (!isCancellation(err)) state.warn(`automatic failback disabled: ${failureMessage(err)}`);
          },
        );
    }
    await condition(
      () => primaryStable || state.failbackRequestedBy !== undefined || workflowInfo().continueAsNewSuggested,
    );
    if (!primaryStable) holdDown.cancel();
    return primaryStable || state.failbackRequestedBy !== undefined ? 'failback' : 'continue_as_new';
  }

  async function failback(): Promise<boolean> {
    const manual = state.failbackRequestedBy !== undefined;
    setPhase('failing_back');
    const saga = new Saga();
    inFlight = new CancellationScope();
    try {
      await inFlight.run(async () => {
        if (manual)
          await timeline.run('await_primary_healthy', () =>
            act.primaryCheck.checkPrimaryHealthy(site, policy.primaryCheckTimeoutMs),
          );
        await change(
          saga,
          'route_traffic_to_primary',
          // Users keep a working site if the primary fails verification: back to the standby.
          'undo_route_traffic_to_primary',
          () => act.read.readTraffic(site),
          () => act.traffic.routeTraffic(site, 'primary'),
          (before) => act.traffic.restoreTraffic(site, before),
        );
        await timeline.run('verify_public_url_on_primary', () =>
          act.verifyProbe.verifyPublicUrl(site, 'primary', policy.verifyTimeoutMs),
        );
      });
    } catch (err) {
      status.cause = state.abortRequestedBy
        ? `failback aborted by ${state.abortRequestedBy}`
        : `failback failed: ${state.failedStepMessage(err)}`;
      for (const f of await saga.compensate(timeline)) state.warn(`compensation failed, check by hand: ${f}`);
      return false;
    } finally {
      inFlight = undefined;
      state.failbackRequestedBy = undefined;
      state.abortRequestedBy = undefined;
    }
    // Users are on the verified primary now: the rest is cleanup, retried but never undone.
    await cleanup('close_standby_access', undo.standbyAccess, (before) =>
      act.standbyAccess.restoreStandbyAccess(site, before),
    );
    await cleanup('resume_monitor', undo.monitor, (before) => act.monitor.restoreMonitor(site, before));
    return true;
  }

  async function cleanup(
    name: 'close_standby_access' | 'resume_monitor',
    before: Snapshot | undefined,
    restore: (before: Snapshot) => Promise<StepOutcome>,
  ): Promise<void> {
    if (!before) return;
    try {
      await timeline.run(name, () => restore(before));
    } catch (err) {
      state.warn(`${name} failed, check by hand: ${failureMessage(err)}`);
    }
  }

  function finish(phase: Phase): IncidentStatus {
    status.endedAt = Date.now();
    setPhase(phase);
    return status;
  }

  // --- main ---
  if (!input.carried) {
    upsertSearchAttributes([{ key: siteAttribute, value: site }]);
    setPhase('awaiting_trigger');
    await condition(() => state.triggered || state.abortRequestedBy !== undefined);
    if (!state.triggered || state.abortRequestedBy !== undefined) return finish('dismissed');
    if (!(await failover())) return finish('rolled_back');
  }
  for (;;) {
    setPhase('on_standby');
    if ((await awaitFailbackGo()) === 'continue_as_new') {
      await condition(allHandlersFinished);
      return continueAsNew<typeof incident>({ site, policy, carried: { status, undo } });
    }
    if (await failback()) return finish('resolved');
  }
}

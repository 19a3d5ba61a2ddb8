// One incident of one site: failover saga, wait on standby, failback saga. Where the world cannot
// be made serving and consistent again, the incident waits in needs_attention for a human; it
// never ends with users sent to a target that does not serve (DESIGN.md, invariants 7-10).
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { incidentActivities } from './incident-activities.ts';
import * as messages from './incident-messages.ts';
import { IncidentState } from './incident-state.ts';
import { HumanGate } from './attention.ts';
import type { IncidentInput, IncidentStatus, Phase, UndoSnapshots } from './incident-types.ts';
import { type ChangeStep, Saga } from './saga.ts';
import { phaseAttribute, siteAttribute } from './search-attributes.ts';
import { Timeline, failureMessage } from './timeline.ts';

/** Gates for runs recorded before these behaviours (replay of older histories). */
const PATCH_ROLLBACK_CHECKS_PRIMARY = 'rollback-checks-primary';

type Ending = 'rolled_back' | 'dismissed' | 'acknowledged';

export async function incident(input: IncidentInput): Promise<IncidentStatus> {
  const { site, policy } = input;
  const state = new IncidentState(site, policy, input.carried, {
    ...(input.previousEndedAt !== undefined && { endedAt: input.previousEndedAt }),
    ...(input.previousAlertIds && { alertIds: input.previousAlertIds }),
  });
  const { status, undo } = state;
  /** The failover or failback in flight; abort (or a new outage while failing back) cancels it. */
  let inFlight: CancellationScope | undefined;
  /** The monitor pause runs beside the failover and may finish after it: off the critical path. */
  let monitorPaused: Promise<void> = Promise.resolve();

  const act = incidentActivities(policy);
  const timeline = new Timeline(status);
  function setPhase(phase: Phase): void {
    status.phase = phase;
    status.phaseSince = Date.now();
    upsertSearchAttributes([{ key: phaseAttribute, value: phase }]);
    const problem = status.attention?.reason ?? status.cause;
    setCurrentDetails(`**${site}**: ${phase.replaceAll('_', ' ')}${problem ? `\n\nlast problem: ${problem}` : ''}`);
  }

  setHandler(messages.statusQuery, () => status);
  setHandler(messages.alertOpened, (alert) => {
    if (state.alertOpened(alert) === 'again') inFlight?.cancel();
  });
  setHandler(messages.alertClosed, (alert) => state.alertClosed(alert));
  setHandler(messages.primaryRecovered, (actor) => state.reportRecovered(actor));
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
  setHandler(messages.retry, (actor) => state.steer('retry', actor));
  setHandler(messages.acknowledge, (actor) => state.steer('acknowledge', actor));

  /** One change: its "before" is kept as the incident's when it is the first read of that lever. */
  const change = (saga: Saga, step: ChangeStep, lever?: keyof UndoSnapshots) =>
    saga.change(timeline, step, lever && ((before) => void (undo[lever] ??= before)));
  const gate = new HumanGate(site, state, timeline, setPhase);

  /** Does the primary serve (after a rolled-back failover)? A probe, recorded in the history. */
  async function primaryServes(): Promise<boolean> {
    try {
      await timeline.run('check_primary_serves', (step) =>
        act.primaryCheck(step).checkPrimaryHealthy(site, policy.primaryCheckTimeoutMs),
      );
      return true;
    } catch {
      return false;
    }
  }

  /** 'on_standby' when users are on a verified standby; 'failed' once the attempt was undone. */
  async function failover(confirm: boolean): Promise<'on_standby' | 'failed' | 'unconfirmed' | 'acknowledged'> {
    setPhase('failing_over');
    const saga = new Saga();
    inFlight = new CancellationScope();
    try {
      let confirmed = true;
      await inFlight.run(async () => {
        // A Cloud Monitoring alert may be late or re-evaluated: see the outage from here first.
        if (confirm && state.triggerSource === 'pubsub' && policy.confirmOutage !== false) {
          const check = await timeline.run('confirm_primary_down', (step) =>
            act.primaryCheck(step).confirmPrimaryDown(site),
          );
          if (!check.down) return void (confirmed = false);
        }
        // Off the critical path: a monitor that cannot be paused must not keep users on a dead primary.
        monitorPaused = change(
          saga,
          {
            name: 'pause_monitor',
            undoName: 'undo_pause_monitor',
            read: (step) => act.read(step).readMonitor(site),
            apply: (step) => act.monitor(step).pauseMonitor(site),
            restore: (step, before) => act.monitor(step).restoreMonitor(site, before),
          },
          'monitor',
        ).catch((err) => void state.warn(`monitor not paused: ${failureMessage(err)}`));
        // The standby is never closed while traffic may still reach it (`after`).
        await change(
          saga,
          {
            name: 'enable_standby_access',
            undoName: 'undo_enable_standby_access',
            read: (step) => act.read(step).readStandbyAccess(site),
            apply: (step) => act.standbyAccess(step).openStandbyAccess(site),
            restore: (step, before) => act.standbyAccess(step).restoreStandbyAccess(site, before),
            after: ['undo_route_traffic_to_standby'],
          },
          'standbyAccess',
        );
        // Never route users to something that has not served: probe the standby directly first.
        await timeline.run('await_standby_ready', (step) =>
          act.standbyProbe(step).awaitStandbyReady(site, policy.standbyReadyTimeoutMs),
        );
        await change(
          saga,
          {
            name: 'route_traffic_to_standby',
            undoName: 'undo_route_traffic_to_standby',
            read: (step) => act.read(step).readTraffic(site),
            apply: (step) => act.traffic(step).routeTraffic(site, 'standby'),
            restore: (step, before) => act.traffic(step).restoreTraffic(site, before),
          },
          'traffic',
        );
        await timeline.run('verify_public_url_on_standby', (step) =>
          act.verifyProbe(step).verifyPublicUrl(site, 'standby', policy.verifyTimeoutMs),
        );
      });
      if (!confirmed) {
        status.cause = `not confirmed: ${status.steps.at(-1)?.summary ?? 'the primary serves'}`;
        return 'unconfirmed';
      }
      status.onStandbyAt = Date.now();
      return 'on_standby';
    } catch (err) {
      // Cancelling the workflow from Temporal is an abort too: undo, and end.
      if (isCancellation(err)) state.abortRequestedBy ??= 'a cancellation of the workflow';
      status.cause = state.abortRequestedBy ? `aborted by ${state.abortRequestedBy}` : state.failedStepMessage(err);
      await CancellationScope.nonCancellable(() => monitorPaused);
      const settled = await gate.settle(saga, `failover failed (${status.cause}); undoing it`, 'failing_over');
      return settled ? 'failed' : 'acknowledged';
    } finally {
      inFlight = undefined;
    }
  }

  /**
   * Fails over. A failover that failed and was undone ends the incident, unless the primary does
   * not serve either: then users get errors, and the incident waits for a human to retry.
   */
  async function failoverUntilSettled(first: boolean): Promise<'on_standby' | Ending> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await failover(first && attempt === 0);
      if (outcome === 'on_standby' || outcome === 'acknowledged') return outcome;
      if (outcome === 'unconfirmed') return 'dismissed';
      if (state.abortRequestedBy || !patched(PATCH_ROLLBACK_CHECKS_PRIMARY) || (await primaryServes())) {
        return 'rolled_back';
      }
      const reason = `the failover failed (${status.cause}) and was undone, and the primary does not serve: users get errors`;
      const answer = await gate.awaitHuman({ reason, retry: 'failover', pending: [] });
      if (answer !== 'retry') return 'rolled_back'; // the world is as before the incident
    }
  }

  /** Resolves when it is time to fail back, or to continue as new to bound the history. */
  async function awaitFailbackGo(): Promise<'failback' | 'continue_as_new'> {
    let primaryStable = false;
    const holdDown = new CancellationScope();
    const failures = status.autoFailbackFailures ?? 0;
    const maxAuto = policy.failback.maxAutoAttempts ?? 3;
    if (policy.failback.mode === 'auto' && failures < maxAuto) {
      holdDown
        .run(async () => {
          // Back off after a failed automatic failback: the next one waits longer.
          if (failures > 0)
            await sleep(Math.min((policy.failback.retryBackoffMs ?? 60_000) * 2 ** (failures - 1), 3_600_000));
          await timeline.run('await_primary_healthy', (step) =>
            act.holdDown(step).awaitPrimaryStable(site, policy.failback.holdDownMs),
          );
        })
        .then(
          () => void (primaryStable = true),
          (err) => {
            if (!isCancellation(err)) state.warn(`automatic failback disabled: ${failureMessage(err)}`);
          },
        );
    } else if (policy.failback.mode === 'auto') {
      state.warn(`automatic failback stopped after ${failures} failed attempts; fail back by hand`);
    }
    await condition(
      () => primaryStable || state.failbackRequestedBy !== undefined || workflowInfo().continueAsNewSuggested,
    );
    if (!primaryStable) holdDown.cancel();
    return primaryStable || state.failbackRequestedBy !== undefined ? 'failback' : 'continue_as_new';
  }

  /**
   * 'resolved' once users are on the verified primary and the standby is closed again; 'on_standby'
   * when the failback failed and users were kept on the standby; 'again' when a new outage came
   * after the primary was verified (fail over again).
   */
  async function failback(): Promise<'resolved' | 'on_standby' | 'again' | 'acknowledged'> {
    const manual = state.failbackRequestedBy !== undefined;
    setPhase('failing_back');
    const saga = new Saga();
    inFlight = new CancellationScope();
    try {
      await inFlight.run(async () => {
        if (manual) {
          await timeline.run('await_primary_healthy', (step) =>
            act.primaryCheck(step).checkPrimaryHealthy(site, policy.primaryCheckTimeoutMs),
          );
        }
        // Users keep a working site if the primary fails verification: back to the standby.
        await change(saga, {
          name: 'route_traffic_to_primary',
          undoName: 'undo_route_traffic_to_primary',
          read: (step) => act.read(step).readTraffic(site),
          apply: (step) => act.traffic(step).routeTraffic(site, 'primary'),
          restore: (step, before) => act.traffic(step).restoreTraffic(site, before),
        });
        await timeline.run('verify_public_url_on_primary', (step) =>
          act.verifyProbe(step).verifyPublicUrl(site, 'primary', policy.verifyTimeoutMs),
        );
      });
    } catch (err) {
      if (state.outageAgain) {
        status.cause = 'failback stopped: a new outage was reported';
        state.outageAgain = false;
      } else if (state.abortRequestedBy) status.cause = `failback aborted by ${state.abortRequestedBy}`;
      else {
        status.cause = `failback failed: ${state.failedStepMessage(err)}`;
        if (!manual) status.autoFailbackFailures = (status.autoFailbackFailures ?? 0) + 1;
      }
      const settled = await gate.settle(
        saga,
        'the failback could not be undone: traffic may be on the primary',
        'failing_back',
      );
      return settled ? 'on_standby' : 'acknowledged';
    } finally {
      inFlight = undefined;
      state.failbackRequestedBy = undefined;
      state.abortRequestedBy = undefined;
    }
    // Users are on the verified primary: the rest is cleanup, never undone, and skipped when the
    // primary failed again meanwhile (the standby must stay open for the next failover).
    await CancellationScope.nonCancellable(() => monitorPaused);
    // Resolvers keep a DNS answer for its TTL: users still reach the standby that long.
    const drainMs = policy.drainBeforeCloseMs ?? 0;
    if (drainMs > 0 && !state.outageAgain) {
      await timeline.run('drain_standby', async () => {
        await condition(() => state.outageAgain, drainMs);
        return { summary: `kept the standby open ${drainMs / 1000} s for resolvers' cached answers` };
      });
    }
    const cleanup = new Saga();
    const { monitor, standbyAccess } = undo;
    if (monitor) cleanup.add('resume_monitor', (step) => act.monitor(step).restoreMonitor(site, monitor));
    if (standbyAccess) {
      cleanup.add('close_standby_access', (step) => act.standbyAccess(step).restoreStandbyAccess(site, standbyAccess));
    }
    if (
      !state.outageAgain &&
      !(await gate.settle(cleanup, 'the failback succeeded, but cleanup did not', 'failing_back'))
    ) {
      return 'acknowledged';
    }
    if (state.outageAgain) {
      state.outageAgain = false;
      return 'again';
    }
    return 'resolved';
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
    await condition(() => state.triggered || state.abortRequestedBy !== undefined || state.onlyIgnoredTriggers);
    if (!state.triggered || state.abortRequestedBy !== undefined) {
      if (state.onlyIgnoredTriggers) status.cause = status.triggers.at(-1)?.ignored;
      return finish('dismissed');
    }
    const first = await failoverUntilSettled(true);
    if (first !== 'on_standby') return finish(first);
  }
  for (;;) {
    setPhase('on_standby');
    if ((await awaitFailbackGo()) === 'continue_as_new') {
      await monitorPaused;
      await condition(allHandlersFinished);
      return continueAsNew<typeof incident>({ site, policy, carried: { status, undo } });
    }
    const result = await failback();
    if (result === 'resolved' || result === 'acknowledged') return finish(result);
    if (result === 'again') {
      const again = await failoverUntilSettled(false);
      if (again !== 'on_standby') return finish(again);
    }
  }
}

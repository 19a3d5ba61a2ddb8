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
import { activityProxies } from './activity-proxies.ts';
import * as messages from './messages.ts';
import { Saga } from './saga.ts';
import { phaseAttribute, siteAttribute } from './search-attributes.ts';
import { Timeline, failureMessage } from './timeline.ts';
import type { IncidentInput, IncidentStatus, Phase, Snapshot, StepName, StepOutcome, TriggerRecord, UndoSnapshots } from './types.ts';

/** Bounds the history kept in the status (a flapping alert can send thousands of signals). */
const MAX_TRIGGERS = 200;

export async function incident(input: IncidentInput): Promise<IncidentStatus> {
  const { site, policy } = input;
  const status: IncidentStatus = input.carried?.status ?? {
    site,
    phase: 'awaiting_trigger',
    startedAt: Date.now(),
    warnings: [],
    triggers: [],
    triggersDropped: 0,
    steps: [],
    failbackMode: policy.failback.mode,
  };
  const undo: UndoSnapshots = input.carried?.undo ?? {};
  const opened = new Set(status.triggers.filter((t) => t.kind === 'alert_opened').map((t) => t.id));
  const closed = new Set(status.triggers.filter((t) => t.kind === 'alert_closed').map((t) => t.id));
  let triggered = input.carried !== undefined;
  let failbackRequestedBy: string | undefined;
  let abortRequestedBy: string | undefined;
  /** The failover or failback in flight; abort cancels it and its compensation runs. */
  let inFlight: CancellationScope | undefined;

  const act = activityProxies(policy);
  const timeline = new Timeline(status.steps);

  function record(trigger: Omit<TriggerRecord, 'at'>): void {
    // A repeat of the last trigger (e.g. a watcher reporting "healthy" every few seconds) is counted, not listed.
    const last = status.triggers.at(-1);
    if (last && last.kind === trigger.kind && last.source === trigger.source && last.id === trigger.id && last.ignored === trigger.ignored) {
      last.repeats = (last.repeats ?? 0) + 1;
      last.lastAt = Date.now();
    } else if (status.triggers.length >= MAX_TRIGGERS) status.triggersDropped++;
    else status.triggers.push({ ...trigger, at: Date.now() });
  }

  function setPhase(phase: Phase): void {
    status.phase = phase;
    upsertSearchAttributes([{ key: phaseAttribute, value: phase }]);
    setCurrentDetails(`**${site}**: ${phase.replaceAll('_', ' ')}${status.cause ? `\n\nlast problem: ${status.cause}` : ''}`);
  }

  const busy = (): boolean => status.phase === 'failing_over' || status.phase === 'failing_back';

  setHandler(messages.statusQuery, () => status);

  setHandler(messages.alertOpened, (alert) => {
    const base = { kind: 'alert_opened', id: alert.alertId, source: alert.source } as const;
    if (opened.has(alert.alertId)) return record({ ...base, ignored: 'duplicate' });
    opened.add(alert.alertId);
    if (closed.has(alert.alertId)) return record({ ...base, ignored: 'already closed (arrived out of order)' });
    if (triggered) return record({ ...base, ignored: `incident already ${status.phase === 'awaiting_trigger' ? 'triggered' : status.phase}` });
    triggered = true;
    record(base);
  });

  setHandler(messages.alertClosed, (alert) => {
    const base = { kind: 'alert_closed', id: alert.alertId, source: alert.source } as const;
    if (closed.has(alert.alertId)) return record({ ...base, ignored: 'duplicate' });
    closed.add(alert.alertId);
    record(base);
  });

  setHandler(messages.primaryRecovered, ({ by }) => record({ kind: 'primary_recovered', source: by }));

  setHandler(messages.approveFailback, ({ by }) => {
    const refusal = failbackRefusal();
    record({ kind: 'failback_requested', source: by, ...(refusal && { ignored: refusal }) });
    if (!refusal) failbackRequestedBy = by;
  });

  setHandler(
    messages.requestFailback,
    ({ by }) => {
      record({ kind: 'failback_requested', source: by });
      failbackRequestedBy = by;
      return { accepted: true, phase: status.phase };
    },
    {
      validator: (_actor) => {
        const refusal = failbackRefusal();
        if (refusal) throw new Error(refusal);
      },
    },
  );

  setHandler(messages.abort, ({ by }) => {
    if (status.phase === 'awaiting_trigger' || busy()) {
      abortRequestedBy ??= by;
      inFlight?.cancel();
      record({ kind: 'abort', source: by });
    } else {
      record({ kind: 'abort', source: by, ignored: `nothing in flight to abort (site is ${status.phase}); use failback` });
    }
  });

  function failbackRefusal(): string | undefined {
    if (status.phase !== 'on_standby') return `site ${site} is ${status.phase}, not on_standby: there is nothing to fail back`;
    if (failbackRequestedBy) return `failback already requested by ${failbackRequestedBy}`;
    return undefined;
  }

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
          (err) => void status.warnings.push(`monitor not paused: ${failureMessage(err)}`),
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
        await timeline.run('await_standby_ready', () => act.standbyProbe.awaitStandbyReady(site, policy.standbyReadyTimeoutMs));
        undo.traffic = await change(
          saga,
          'route_traffic_to_standby',
          'undo_route_traffic_to_standby',
          () => act.read.readTraffic(site),
          () => act.traffic.routeTraffic(site, 'standby'),
          (before) => act.traffic.restoreTraffic(site, before),
        );
        await timeline.run('verify_public_url_on_standby', () => act.verifyProbe.verifyPublicUrl(site, 'standby', policy.verifyTimeoutMs));
        await monitorPaused;
      });
      status.onStandbyAt = Date.now();
      return true;
    } catch (err) {
      status.cause = abortRequestedBy ? `aborted by ${abortRequestedBy}` : failedStepMessage(err);
      await CancellationScope.nonCancellable(() => monitorPaused);
      const failed = await saga.compensate(timeline);
      for (const f of failed) status.warnings.push(`compensation failed, check by hand: ${f}`);
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
        .run(() => timeline.run('await_primary_healthy', () => act.holdDown.awaitPrimaryStable(site, policy.failback.holdDownMs)))
        .then(
          () => void (primaryStable = true),
          (err) => {
            if (!isCancellation(err)) status.warnings.push(`automatic failback disabled: ${failureMessage(err)}`);
          },
        );
    }
    await condition(() => primaryStable || failbackRequestedBy !== undefined || workflowInfo().continueAsNewSuggested);
    if (!primaryStable) holdDown.cancel();
    return primaryStable || failbackRequestedBy !== undefined ? 'failback' : 'continue_as_new';
  }

  async function failback(): Promise<boolean> {
    const manual = failbackRequestedBy !== undefined;
    setPhase('failing_back');
    const saga = new Saga();
    inFlight = new CancellationScope();
    try {
      await inFlight.run(async () => {
        if (manual) await timeline.run('await_primary_healthy', () => act.primaryCheck.checkPrimaryHealthy(site, policy.primaryCheckTimeoutMs));
        await change(
          saga,
          'route_traffic_to_primary',
          // Users keep a working site if the primary fails verification: back to the standby.
          'undo_route_traffic_to_primary',
          () => act.read.readTraffic(site),
          () => act.traffic.routeTraffic(site, 'primary'),
          (before) => act.traffic.restoreTraffic(site, before),
        );
        await timeline.run('verify_public_url_on_primary', () => act.verifyProbe.verifyPublicUrl(site, 'primary', policy.verifyTimeoutMs));
      });
    } catch (err) {
      status.cause = abortRequestedBy ? `failback aborted by ${abortRequestedBy}` : `failback failed: ${failedStepMessage(err)}`;
      for (const f of await saga.compensate(timeline)) status.warnings.push(`compensation failed, check by hand: ${f}`);
      return false;
    } finally {
      inFlight = undefined;
      failbackRequestedBy = undefined;
      abortRequestedBy = undefined;
    }
    // Users are on the verified primary now: the rest is cleanup, retried but never undone.
    await cleanup('close_standby_access', undo.standbyAccess, (before) => act.standbyAccess.restoreStandbyAccess(site, before));
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
      status.warnings.push(`${name} failed, check by hand: ${failureMessage(err)}`);
    }
  }

  function finish(phase: Phase): IncidentStatus {
    status.endedAt = Date.now();
    setPhase(phase);
    return status;
  }

  function failedStepMessage(err: unknown): string {
    const step = status.steps.findLast((s) => s.outcome === 'failed' || s.outcome === 'cancelled');
    return `${step ? `${step.name}: ` : ''}${failureMessage(err)}`;
  }

  // --- main ---
  if (!input.carried) {
    upsertSearchAttributes([{ key: siteAttribute, value: site }]);
    setPhase('awaiting_trigger');
    await condition(() => triggered || abortRequestedBy !== undefined);
    if (!triggered || abortRequestedBy !== undefined) return finish('dismissed');
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

// On standby until it is time to fail back, then the failback saga: route users to the primary,
// verify, and only then clean up (resume the monitor, close the standby). A failback that fails, or
// meets a new outage, sends users back to the standby (docs/workflow.md invariants 2, 4, 8).
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { routeTraffic } from './change-steps.ts';
import type { IncidentContext } from './incident-context.ts';
import type { CarriedUndoWait, IncidentInput, IncidentStatus, StepName } from './incident-types.ts';
import {
  CLEANUP_CONTINUES_AS_NEW,
  DRAIN_SURVIVES_CANCEL,
  OUTAGE_CANCELS_CLEANUP,
  OUTAGE_SKIPS_PAUSE_WAIT,
  PAUSE_WAIT_SURVIVES_CANCEL,
  RETRY_CHECKS_PRIMARY,
} from './incident-patches.ts';
import { primaryServes, restoreBeforeIncident } from './restore.ts';
import { Saga } from './saga.ts';
import { resumedSaga, settleUndo } from './undo-wait.ts';
import { failureMessage } from './error-text.ts';

/**
 * Gate for runs started before automatic failback backed off and stopped after a bound. Those
 * shipped without a marker; the same release added maxAutoAttempts to the policy, so a history
 * without the marker is bounded when its input has it (docs/workflow.md, Upgrades).
 */
const PATCH_AUTO_FAILBACK_BOUNDED = 'auto-failback-bounded';

/** Resolves when it is time to fail back, or to continue as new to bound the history. */
export async function awaitFailbackGo(ctx: IncidentContext): Promise<'failback' | 'continue_as_new'> {
  const { state, site, policy, act, timeline } = ctx;
  let primaryStable = false;
  const holdDown = new CancellationScope();
  const bounded =
    policy.failback.mode === 'auto' &&
    (patched(PATCH_AUTO_FAILBACK_BOUNDED) || policy.failback.maxAutoAttempts !== undefined);
  const auto = state.nextAutoFailback(bounded);
  if (auto) {
    holdDown
      .run(async () => {
        // Back off after a failed automatic failback: the next one waits longer.
        if (auto.backoffMs !== undefined) await sleep(auto.backoffMs);
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
export async function failback(ctx: IncidentContext): Promise<'resolved' | 'on_standby' | 'again' | 'acknowledged'> {
  const { state } = ctx;
  const manual = state.failbackRequestedBy !== undefined;
  ctx.setPhase('failing_back');
  const saga = new Saga();
  ctx.inFlight = new CancellationScope();
  try {
    await ctx.inFlight.run(() => failbackSteps(ctx, saga, manual));
  } catch (err) {
    state.failbackFailed(err, manual);
    return await undoFailback(ctx, saga, manual);
  } finally {
    ctx.inFlight = undefined;
    state.failbackOver();
  }
  // Users are on the verified primary: the rest is cleanup, never undone, and skipped when the
  // primary failed again meanwhile (the standby must stay open for the next failover).
  // A cancel meanwhile does not end the run: like the drain, the cleanup must still run.
  const pauseWait = () => monitorPausedOrOutage(ctx);
  await (patched(PAUSE_WAIT_SURVIVES_CANCEL) ? CancellationScope.nonCancellable(pauseWait) : pauseWait());
  // Resolvers keep a DNS answer for its TTL: users still reach the standby that long.
  const drainMs = ctx.policy.drainBeforeCloseMs ?? 0;
  if (drainMs > 0 && !state.outageAgain) {
    // A cancelled workflow still drains and cleans up: users are on the verified primary, and
    // cutting the drain short would leave the standby open (and the monitor paused) for good.
    const drain = () => condition(() => state.outageAgain, drainMs);
    await ctx.timeline.run('drain_standby', async () => {
      await (patched(DRAIN_SURVIVES_CANCEL) ? CancellationScope.nonCancellable(drain) : drain());
      return { summary: `kept the standby open ${drainMs / 1000} s for resolvers' cached answers` };
    });
  }
  if (!state.outageAgain && (await cleanUp(ctx, manual)) === 'acknowledged') return 'acknowledged';
  return afterCleanup(ctx, manual);
}

/** Undoes a failed failback: users back on the standby ('on_standby'), unless a human acknowledges first. */
async function undoFailback(
  ctx: IncidentContext,
  saga: Saga,
  manual: boolean,
  resumed = false,
): Promise<'on_standby' | 'acknowledged'> {
  const what = 'the failback could not be undone: traffic may be on the primary';
  const wait = { saga: 'failback', first: false, manual } as const;
  return (await settleUndo(ctx, saga, what, 'failing_back', wait, resumed)) === 'done' ? 'on_standby' : 'acknowledged';
}

/** The run before this one continued as new while a failed failback's undo waited in needs_attention. */
export function resumeFailbackUndo(
  ctx: IncidentContext,
  wait: CarriedUndoWait,
): Promise<'on_standby' | 'acknowledged'> {
  return undoFailback(ctx, resumedSaga(ctx, wait), wait.manual, true);
}

/** The run before this one continued as new while its cleanup waited in needs_attention: wait on. */
export async function resumeCleanup(
  ctx: IncidentContext,
  { pending, manual }: { pending: StepName[]; manual: boolean },
): Promise<'resolved' | 'again' | 'acknowledged'> {
  if ((await cleanUp(ctx, manual, pending)) === 'acknowledged') return 'acknowledged';
  return afterCleanup(ctx, manual);
}

/** Users are on the primary: resolved, unless it failed again meanwhile (fail over again). */
function afterCleanup({ state }: IncidentContext, manual: boolean): 'resolved' | 'again' {
  if (!state.takeOutageAgain()) return 'resolved';
  state.relapsedAfterFailback(manual);
  return 'again';
}

/**
 * Resumes the monitor and closes the standby, restored to what the incident first read. A new
 * outage cancels it: closing the standby only to open it again would cost users the IAM
 * propagation (2-7 min) on the way back. A workflow cancel does not: the cleanup finishes. A long
 * wait in needs_attention continues as new (`resumed`: the steps the previous run had left).
 */
async function cleanUp(
  ctx: IncidentContext,
  manual: boolean,
  resumed?: StepName[],
): Promise<'done' | 'acknowledged' | 'outage'> {
  // A human's retry of a failed cleanup must not close the standby behind users on a dead primary.
  const primary = async () => !patched(RETRY_CHECKS_PRIMARY) || (await primaryServes(ctx));
  let scope: CancellationScope | undefined;
  if (patched(OUTAGE_CANCELS_CLEANUP)) {
    // Its parent is non-cancellable: only a new outage (through ctx.inFlight) cancels it.
    await CancellationScope.nonCancellable(async () => void (scope = new CancellationScope()));
  }
  ctx.inFlight = scope;
  try {
    const what = 'the failback succeeded, but cleanup did not';
    const saga = restoreBeforeIncident(ctx, resumed);
    const settled = await ctx.gate.settle(
      saga,
      what,
      'failing_back',
      {
        primaryServes: primary,
        watchPrimary: () =>
          ctx.timeline.run('watch_primary', (step) => ctx.act.holdDown(step).awaitPrimaryDown(ctx.site)),
        ...(scope && { scope }),
      },
      {
        cut: () => (patched(CLEANUP_CONTINUES_AS_NEW) ? () => workflowInfo().continueAsNewSuggested : undefined),
        resumed: resumed !== undefined,
      },
    );
    if (settled !== 'continue_as_new') return settled;
    ctx.inFlight = undefined;
    return await continueInCleanup(ctx, { pending: saga.pendingNames, manual });
  } finally {
    ctx.inFlight = undefined;
  }
}

/** Continues as new in the cleanup's needs_attention: status (with the attention), snapshots, steps left, answers. */
async function continueInCleanup(
  { site, policy, state }: IncidentContext,
  cleanup: { pending: StepName[]; manual: boolean },
): Promise<never> {
  await condition(allHandlersFinished);
  return continueAsNew<(input: IncidentInput) => Promise<IncidentStatus>>({
    site,
    policy,
    carried: state.carry({ cleanup }),
  });
}

/**
 * Waits for the failover's monitor pause (it may still be retrying, for up to 10 min), but not
 * when a new outage comes meanwhile: the site fails over again at once (older runs waited).
 */
async function monitorPausedOrOutage({ state, monitorPaused }: IncidentContext): Promise<void> {
  let done = false;
  const paused = CancellationScope.nonCancellable(() => monitorPaused).then(() => void (done = true));
  // Settles once either comes, so no wait is left behind; the gate is asked only if the outage came first.
  const outage = condition(() => state.outageAgain || done).then(() =>
    done || patched(OUTAGE_SKIPS_PAUSE_WAIT) ? undefined : paused,
  );
  await Promise.race([paused, outage]);
}

/** Routes users to the primary and verifies it; if it fails verification, the route's undo sends them back to the standby. */
async function failbackSteps(ctx: IncidentContext, saga: Saga, manual: boolean): Promise<void> {
  const { site, policy, act, timeline } = ctx;
  if (manual) {
    await timeline.run('await_primary_healthy', (step) =>
      act.primaryCheck(step).checkPrimaryHealthy(site, policy.primaryCheckTimeoutMs),
    );
  }
  await ctx.change(saga, routeTraffic(ctx, 'primary'));
  const since = Date.now();
  await timeline.run('verify_public_url_on_primary', (step) =>
    act.verifyProbe(step).verifyPublicUrl(site, 'primary', policy.verifyTimeoutMs),
  );
  ctx.state.verifiedPrimary(since);
}

// The failover saga: open the standby, wait until it serves, route users to it and verify, with
// the monitor paused beside it. A failover that fails is undone; one undone while the primary does
// not serve either waits for a human (docs/workflow.md invariants 1, 3-6).
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttentionAnswer } from './incident-state.ts';
import type { CarriedUndoWait, IncidentInput, IncidentStatus } from './incident-types.ts';
import { enableStandbyAccess, pauseMonitor, routeTraffic, warmStandby } from './change-steps.ts';
import type { IncidentContext } from './incident-context.ts';
import { autoFailoverRetryMs } from './auto-retry.ts';
import {
  ATTENTION_CONTINUES_AS_NEW,
  FAILOVER_AUTO_RETRY,
  REFAILOVER_RESTORES,
  WARM_STANDBY,
} from './incident-patches.ts';
import { primaryServes, restoreBeforeIncident } from './restore.ts';
import { Saga } from './saga.ts';
import { resumedSaga, settleUndo } from './undo-wait.ts';
import { failureMessage } from './error-text.ts';

/** Gate for runs recorded before a rolled-back failover checked the primary (replay of older histories). */
const PATCH_ROLLBACK_CHECKS_PRIMARY = 'rollback-checks-primary';
/**
 * Gate for runs started before confirm_primary_down existed. It shipped without a marker, so a
 * history without one is either older (no check) or from that ungated release (check): their
 * inputs tell them apart, as the same release added policy.confirmOutage (docs/workflow.md, Upgrades).
 */
const PATCH_CONFIRM_OUTAGE = 'confirm-outage';

/** How an incident ends when its failover does not leave users on the standby. */
export type FailoverEnding = 'rolled_back' | 'dismissed' | 'acknowledged';

/**
 * Fails over. A failover that failed and was undone ends the incident, unless the primary does
 * not serve either: then users get errors, and the incident waits for a human to retry. A long
 * wait continues as new; the next run (`resumed`: the attention, or an undo's) waits on where this
 * one stopped.
 */
export async function failoverUntilSettled(
  ctx: IncidentContext,
  first: boolean,
  resumed?: 'attention' | CarriedUndoWait,
): Promise<'on_standby' | FailoverEnding> {
  const { state, status, gate } = ctx;
  if (typeof resumed === 'object' && resumed.saga === 'restore') return rolledBack(ctx, first, false, resumed);
  for (let attempt = 0; ; attempt++) {
    let answer: AttentionAnswer | 'continue_as_new';
    if (resumed === 'attention' && attempt === 0) answer = await gate.resumeWait(cutWhenSuggested());
    else {
      const outcome =
        typeof resumed === 'object' && attempt === 0
          ? await undoFailover(ctx, resumedSaga(ctx, resumed), first, true)
          : await failover(ctx, first && attempt === 0, first);
      if (outcome === 'on_standby' || outcome === 'acknowledged') return outcome;
      if (outcome === 'unconfirmed') return 'dismissed';
      if (state.abortRequestedBy || !patched(PATCH_ROLLBACK_CHECKS_PRIMARY) || (await primaryServes(ctx))) {
        return rolledBack(ctx, first);
      }
      const reason = `the failover failed (${status.cause}) and was undone, and the primary does not serve: users get errors`;
      const attention = { reason, retry: 'failover' as const, pending: [] };
      answer = await gate.awaitHumanOrCut(attention, autoRetryMs(ctx), cutWhenSuggested());
    }
    if (answer === 'continue_as_new') return continueInAttention(ctx, first);
    if (answer !== 'retry') return rolledBack(ctx, first, answer === 'acknowledge');
  }
}

/** The wait is cut when the server suggests continue-as-new (never in runs started before that). */
function cutWhenSuggested(): (() => boolean) | undefined {
  return patched(ATTENTION_CONTINUES_AS_NEW) ? () => workflowInfo().continueAsNewSuggested : undefined;
}

/** Continues as new in needs_attention: the status (with the attention), snapshots, alerts seen and answers carried. */
async function continueInAttention({ site, policy, state, monitorPaused }: IncidentContext, first: boolean) {
  await monitorPaused;
  await condition(allHandlersFinished);
  return continueAsNew<(input: IncidentInput) => Promise<IncidentStatus>>({
    site,
    policy,
    carried: state.carry({ attention: { first } }),
  });
}

/** When to retry the failover on our own (the policy says whether and how often), if at all. */
function autoRetryMs({ policy, status, state }: IncidentContext): number | undefined {
  const ms = autoFailoverRetryMs(policy, status, state.lastFailoverError);
  return ms !== undefined && patched(FAILOVER_AUTO_RETRY) ? ms : undefined;
}

/**
 * The failover was undone and users are on the primary. The first failover's undo restored the world
 * as before the incident; a later one's only restored it as before itself (standby open, monitor
 * paused, as a failback's drain or cleanup left them), so the pre-incident snapshots are applied.
 */
async function rolledBack(
  ctx: IncidentContext,
  first: boolean,
  acknowledged = false,
  resumed?: CarriedUndoWait,
): Promise<FailoverEnding> {
  if (!resumed && (first || !patched(REFAILOVER_RESTORES))) return 'rolled_back';
  if (acknowledged) return 'acknowledged'; // a human accepted the world as it is
  const what = 'the failover again was undone, but the standby and monitor could not be put back';
  const saga = resumed ? resumedSaga(ctx, resumed) : restoreBeforeIncident(ctx);
  const wait = { saga: 'restore', first, manual: false } as const;
  return (await settleUndo(ctx, saga, what, 'failing_over', wait, resumed !== undefined)) === 'done'
    ? 'rolled_back'
    : 'acknowledged';
}

/** Undoes a failed failover ('failed' once done), unless a human acknowledges first. */
async function undoFailover(ctx: IncidentContext, saga: Saga, first: boolean, resumed = false) {
  const what = `failover failed (${ctx.status.cause}); undoing it`;
  const wait = { saga: 'failover', first, manual: false } as const;
  return (await settleUndo(ctx, saga, what, 'failing_over', wait, resumed)) === 'done' ? 'failed' : 'acknowledged';
}

/** 'on_standby' when users are on a verified standby; 'failed' once the attempt was undone. */
async function failover(
  ctx: IncidentContext,
  confirm: boolean,
  first: boolean,
): Promise<'on_standby' | 'failed' | 'unconfirmed' | 'acknowledged'> {
  const { state } = ctx;
  ctx.setPhase('failing_over');
  const saga = new Saga();
  ctx.inFlight = new CancellationScope();
  try {
    const confirmed = await ctx.inFlight.run(() => failoverSteps(ctx, saga, confirm));
    if (!confirmed) {
      state.notConfirmed();
      return 'unconfirmed';
    }
    state.reachedStandby();
    return 'on_standby';
  } catch (err) {
    state.failoverFailed(err, isCancellation(err));
    await CancellationScope.nonCancellable(() => ctx.monitorPaused);
    return await undoFailover(ctx, saga, first);
  } finally {
    ctx.inFlight = undefined;
  }
}

/** The saga's steps; false when the outage was not confirmed (nothing changed). */
async function failoverSteps(ctx: IncidentContext, saga: Saga, confirm: boolean): Promise<boolean> {
  const { state, policy, site, act, timeline } = ctx;
  // A Cloud Monitoring alert may be late or re-evaluated: see the outage from here first.
  const confirms = confirm && state.triggerSource === 'pubsub' && policy.confirmOutage !== false;
  if (confirms && (patched(PATCH_CONFIRM_OUTAGE) || policy.confirmOutage !== undefined)) {
    const check = await timeline.run('confirm_primary_down', (step) => act.primaryCheck(step).confirmPrimaryDown(site));
    if (!check.down) return false;
  }
  // Off the critical path: a monitor that cannot be paused must not keep users on a dead primary.
  // An earlier pause may still be retrying (a failover again did not wait for it): wait for both.
  const earlier = ctx.monitorPaused;
  const paused = ctx
    .change(saga, pauseMonitor(ctx), 'monitor')
    .catch((err) => void state.warn(`monitor not paused: ${failureMessage(err)}`));
  ctx.monitorPaused = Promise.all([earlier, paused]).then(() => undefined);
  // A warmed standby: instances started before users come (standby.warmup; its own first read is kept).
  if (policy.warmStandby && patched(WARM_STANDBY)) await ctx.change(saga, warmStandby(ctx), 'warmup');
  await ctx.change(saga, enableStandbyAccess(ctx), 'standbyAccess');
  // Never route users to something that has not served: probe the standby directly first.
  await timeline.run('await_standby_ready', (step) =>
    act.standbyProbe(step).awaitStandbyReady(site, policy.standbyReadyTimeoutMs),
  );
  await ctx.change(saga, routeTraffic(ctx, 'standby'), 'traffic');
  await timeline.run('verify_public_url_on_standby', (step) =>
    act.verifyProbe(step).verifyPublicUrl(site, 'standby', policy.verifyTimeoutMs),
  );
  return true;
}

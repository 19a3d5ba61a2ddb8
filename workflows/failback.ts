// On standby until it is time to fail back, then the failback saga: route users to the primary,
// verify, and only then clean up (resume the monitor, close the standby). A failback that fails, or
// meets a new outage, sends users back to the standby (docs/workflow.md invariants 2, 4, 8).
import { CancellationScope, condition, isCancellation, patched, sleep, workflowInfo } from '@temporalio/workflow';
import { routeTraffic } from './change-steps.ts';
import type { IncidentContext } from './incident-context.ts';
import { Saga } from './saga.ts';
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
    const what = 'the failback could not be undone: traffic may be on the primary';
    return (await ctx.gate.settle(saga, what, 'failing_back')) ? 'on_standby' : 'acknowledged';
  } finally {
    ctx.inFlight = undefined;
    state.failbackOver();
  }
  // Users are on the verified primary: the rest is cleanup, never undone, and skipped when the
  // primary failed again meanwhile (the standby must stay open for the next failover).
  await CancellationScope.nonCancellable(() => ctx.monitorPaused);
  // Resolvers keep a DNS answer for its TTL: users still reach the standby that long.
  const drainMs = ctx.policy.drainBeforeCloseMs ?? 0;
  if (drainMs > 0 && !state.outageAgain) {
    await ctx.timeline.run('drain_standby', async () => {
      await condition(() => state.outageAgain, drainMs);
      return { summary: `kept the standby open ${drainMs / 1000} s for resolvers' cached answers` };
    });
  }
  if (
    !state.outageAgain &&
    !(await ctx.gate.settle(cleanup(ctx), 'the failback succeeded, but cleanup did not', 'failing_back'))
  ) {
    return 'acknowledged';
  }
  return state.takeOutageAgain() ? 'again' : 'resolved';
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
  await timeline.run('verify_public_url_on_primary', (step) =>
    act.verifyProbe(step).verifyPublicUrl(site, 'primary', policy.verifyTimeoutMs),
  );
}

/** Resumes the monitor and closes the standby, each restored to what the incident first read. */
function cleanup({ site, act, state }: IncidentContext): Saga {
  const saga = new Saga();
  const { monitor, standbyAccess } = state.undo;
  if (monitor) saga.add('resume_monitor', (step) => act.monitor(step).restoreMonitor(site, monitor));
  if (standbyAccess) {
    saga.add('close_standby_access', (step) => act.standbyAccess(step).restoreStandbyAccess(site, standbyAccess));
  }
  return saga;
}

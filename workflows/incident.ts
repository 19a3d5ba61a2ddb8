// One incident of one site: its messages, and the phases from trigger to end (failover, on standby,
// failback; workflows/failover.ts and failback.ts run them). Where the world cannot be made serving
// and consistent again, the incident waits in needs_attention for a human; it never ends with users
// sent to a target that does not serve (docs/workflow.md invariants 4-5).
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { awaitFailbackGo, failback, resumeCleanup, resumeFailbackUndo } from './failback.ts';
import { failoverUntilSettled } from './failover.ts';
import { IncidentContext } from './incident-context.ts';
import * as messages from './incident-messages.ts';
import type { IncidentInput, IncidentStatus } from './incident-types.ts';
import { siteAttribute } from './search-attributes.ts';

export async function incident(input: IncidentInput): Promise<IncidentStatus> {
  const ctx = new IncidentContext(input);
  handleMessages(ctx);
  try {
    return await run(ctx, input);
  } finally {
    // A notification's start must not be lost with the run (ended or continued as new); its delivery is its own.
    await ctx.notifier.started();
  }
}

/** From the trigger to the end (or a continue-as-new). */
async function run(ctx: IncidentContext, input: IncidentInput): Promise<IncidentStatus> {
  const { site, policy, state } = ctx;

  if (!input.carried) {
    upsertSearchAttributes([{ key: siteAttribute, value: site }]);
    ctx.setPhase('awaiting_trigger');
    await condition(() => state.triggered || state.abortRequestedBy !== undefined || state.onlyIgnoredTriggers);
    if (!state.triggered || state.abortRequestedBy !== undefined) {
      state.dismiss();
      return ctx.finish('dismissed');
    }
    const first = await failoverUntilSettled(ctx, true);
    if (first !== 'on_standby') return ctx.finish(first);
  } else if (input.carried.attention) {
    // The previous run continued as new while waiting in needs_attention after a failed failover.
    const settled = await failoverUntilSettled(ctx, input.carried.attention.first, 'attention');
    if (settled !== 'on_standby') return ctx.finish(settled);
  } else if (input.carried.undoWait?.saga === 'failback') {
    // ... or on a failed failback's undo (users may be on the primary).
    if ((await resumeFailbackUndo(ctx, input.carried.undoWait)) === 'acknowledged') return ctx.finish('acknowledged');
  } else if (input.carried.undoWait) {
    // ... or on a failed failover's undo, or the restore after a failover again.
    const settled = await failoverUntilSettled(ctx, input.carried.undoWait.first, input.carried.undoWait);
    if (settled !== 'on_standby') return ctx.finish(settled);
  } else if (input.carried.cleanup) {
    // ... or after a failed cleanup: users are on the primary.
    const cleaned = await resumeCleanup(ctx, input.carried.cleanup);
    if (cleaned !== 'again') return ctx.finish(cleaned);
    const again = await failoverUntilSettled(ctx, false);
    if (again !== 'on_standby') return ctx.finish(again);
  }
  for (;;) {
    ctx.setPhase('on_standby');
    if ((await awaitFailbackGo(ctx)) === 'continue_as_new') {
      await ctx.monitorPaused;
      await condition(allHandlersFinished);
      // A failback requested meanwhile is carried, not dropped (it was accepted: the caller was told so).
      return continueAsNew<typeof incident>({ site, policy, carried: state.carry() });
    }
    const result = await failback(ctx);
    if (result === 'resolved' || result === 'acknowledged') return ctx.finish(result);
    if (result === 'again') {
      const again = await failoverUntilSettled(ctx, false);
      if (again !== 'on_standby') return ctx.finish(again);
    }
  }
}

/** Signals, query and update: each is a rule of IncidentState; abort and a new outage cancel the work in flight. */
function handleMessages(ctx: IncidentContext): void {
  const { state } = ctx;
  setHandler(messages.statusQuery, () => state.status);
  setHandler(messages.alertOpened, (alert) => {
    if (state.alertOpened(alert) === 'again') ctx.inFlight?.cancel();
  });
  setHandler(messages.alertClosed, (alert) => state.alertClosed(alert));
  setHandler(messages.primaryRecovered, (actor) => state.reportRecovered(actor));
  setHandler(messages.approveFailback, (actor) => state.approveFailback(actor));
  setHandler(
    messages.requestFailback,
    (actor) => {
      state.acceptFailback(actor);
      return { accepted: true, phase: state.status.phase };
    },
    {
      validator: (_actor) => {
        const refusal = state.failbackRefusal();
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(messages.abort, (actor) => {
    if (state.abort(actor)) ctx.inFlight?.cancel();
  });
  setHandler(messages.retry, (actor) => state.steer('retry', actor));
  setHandler(messages.acknowledge, (actor) => state.steer('acknowledge', actor));
}

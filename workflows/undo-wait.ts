// A wait in needs_attention on a saga's undo steps that continues as new when Temporal suggests it:
// the steps left are carried as data (lever and snapshot) and rebuilt in the next run, which waits
// on (docs/workflow.md, "Every event in every phase": continue-as-new).
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { restoreLever } from './change-steps.ts';
import type { IncidentContext } from './incident-context.ts';
import { UNDO_CONTINUES_AS_NEW } from './incident-patches.ts';
import type { CarriedAnswers, CarriedUndoWait, IncidentInput, IncidentStatus } from './incident-types.ts';
import { Saga } from './saga.ts';

/** Which undo it is, and what the next run needs to go on from it. */
export type UndoWait = Omit<CarriedUndoWait, 'pending' | keyof CarriedAnswers>;

/** Runs `saga`'s undo steps until done or acknowledged (HumanGate.settle); `resumed`: a continued run's wait. */
export async function settleUndo(
  ctx: IncidentContext,
  saga: Saga,
  what: string,
  phase: 'failing_over' | 'failing_back',
  wait: UndoWait,
  resumed = false,
): Promise<'done' | 'acknowledged'> {
  const carriable = () => saga.carried !== undefined && patched(UNDO_CONTINUES_AS_NEW);
  const settled = await ctx.gate.settle(saga, what, phase, undefined, {
    cut: () => (carriable() ? () => workflowInfo().continueAsNewSuggested : undefined),
    resumed,
  });
  if (settled === 'continue_as_new') return continueInUndo(ctx, { ...wait, pending: saga.carried! });
  return settled === 'done' ? 'done' : 'acknowledged';
}

/** The saga a continued run waits on: the carried steps, each putting its lever back. */
export function resumedSaga(ctx: IncidentContext, wait: CarriedUndoWait): Saga {
  return Saga.resume(wait.pending, restoreLever(ctx));
}

async function continueInUndo(
  { site, policy, state, monitorPaused }: IncidentContext,
  undoWait: Omit<CarriedUndoWait, keyof CarriedAnswers>,
): Promise<never> {
  // An aborted failover is rolled back once undone; a failback whose undo waits is over: its
  // request (and any abort of it) must not act again in the next run.
  const abortedBy = undoWait.saga === 'failover' ? state.abortRequestedBy : undefined;
  if (abortedBy) undoWait = { ...undoWait, abortedBy };
  state.failbackOver();
  await monitorPaused;
  await condition(allHandlersFinished);
  return continueAsNew<(input: IncidentInput) => Promise<IncidentStatus>>({
    site,
    policy,
    carried: state.carry({ undoWait }),
  });
}

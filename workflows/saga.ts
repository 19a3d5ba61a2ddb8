// Compensations of completed steps, run newest first. Each is attempted unless a compensation it
// depends on failed (the standby is never closed while traffic may still reach it); what failed
// or was held back stays pending, so a later `compensate` (a human's retry) runs just that
// (docs/workflow.md invariants 2-4).
import { CancellationScope } from '@temporalio/workflow';
import type { CarriedUndo, StepName, UndoSnapshots } from './incident-types.ts';
import type { Snapshot, StepOutcome } from './types.ts';
import { type Timeline } from './timeline.ts';
import { failureMessage } from './error-text.ts';

interface Compensation {
  name: StepName;
  run: (step: StepName) => Promise<StepOutcome>;
  /** Compensations that must have succeeded (when registered at all) before this one may run. */
  after: StepName[];
  /** The lever it puts back, and to what: continue-as-new carries it as data. */
  restores?: { lever: keyof UndoSnapshots; before: Snapshot };
}

/** Runs the restore of a lever to a snapshot, as step `step`. */
export type LeverRestore = (lever: keyof UndoSnapshots, step: StepName, before: Snapshot) => Promise<StepOutcome>;

/** A change step: read the state, register its undo, then change it. */
export interface ChangeStep {
  name: StepName;
  lever: keyof UndoSnapshots;
  undoName: StepName;
  read: (step: StepName) => Promise<Snapshot>;
  apply: (step: StepName) => Promise<StepOutcome>;
  restore: (step: StepName, before: Snapshot) => Promise<StepOutcome>;
  /** Compensations that must have succeeded before this one's undo may run. */
  after?: StepName[];
}

export interface CompensationResult {
  /** "<step>: <why>" for each compensation that failed or was held back. */
  problems: string[];
}

export class Saga {
  private pending: Compensation[] = [];

  add(
    name: StepName,
    run: (step: StepName) => Promise<StepOutcome>,
    after: StepName[] = [],
    restores?: Compensation['restores'],
  ): void {
    this.pending.push({ name, run, after, ...(restores && { restores }) });
  }

  /** A saga holding compensations carried by a run that continued as new. */
  static resume(carried: CarriedUndo[], restore: LeverRestore): Saga {
    const saga = new Saga();
    for (const { name, lever, before, after } of carried)
      saga.add(name, (step) => restore(lever, step, before), after, { lever, before });
    return saga;
  }

  /** The pending compensations as data, in registration order; undefined when one cannot be carried. */
  get carried(): CarriedUndo[] | undefined {
    const out: CarriedUndo[] = [];
    for (const { name, after, restores } of this.pending) {
      if (!restores) return undefined;
      out.push({ name, after, ...restores });
    }
    return out;
  }

  /**
   * One change of the saga: read the state (recorded in history), hand it to `remember`, register
   * the undo, then change it. The undo comes first because a change can land even when its step
   * fails (a lost reply).
   */
  async change(timeline: Timeline, c: ChangeStep, remember?: (before: Snapshot) => void): Promise<void> {
    await timeline.run(c.name, async () => {
      const before = await c.read(c.name);
      remember?.(before);
      this.add(c.undoName, () => c.restore(c.undoName, before), c.after, { lever: c.lever, before });
      return c.apply(c.name);
    });
  }

  /** The compensations not yet done, in the order they would run. */
  get pendingNames(): StepName[] {
    return [...this.pending].reverse().map((c) => c.name);
  }

  /**
   * Runs the pending compensations in a non-cancellable scope (or in `scope`, which may cancel
   * them: a cleanup that a new outage makes pointless); what did not succeed stays pending.
   */
  async compensate(timeline: Timeline, scope?: CancellationScope): Promise<CompensationResult> {
    const problems: string[] = [];
    const left: Compensation[] = [];
    const run = (body: () => Promise<void>) => (scope ? scope.run(body) : CancellationScope.nonCancellable(body));
    await run(async () => {
      for (const c of [...this.pending].reverse()) {
        const blocker = c.after.find((name) => left.some((l) => l.name === name));
        if (blocker) {
          left.push(c);
          problems.push(`${c.name}: not run, because ${blocker} did not succeed`);
          continue;
        }
        try {
          await timeline.run(c.name, c.run);
        } catch (err) {
          left.push(c);
          problems.push(`${c.name}: ${failureMessage(err)}`);
        }
      }
    });
    this.pending = left.reverse();
    return { problems };
  }
}

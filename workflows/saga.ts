// Compensations of completed steps, run newest first, each one attempted even if another fails.
import { CancellationScope } from '@temporalio/workflow';
import type { StepName } from './incident-types.ts';
import type { StepOutcome } from './types.ts';
import { failureMessage, type Timeline } from './timeline.ts';

interface Compensation {
  name: StepName;
  run: () => Promise<StepOutcome>;
}

export class Saga {
  private readonly compensations: Compensation[] = [];

  add(name: StepName, run: () => Promise<StepOutcome>): void {
    this.compensations.push({ name, run });
  }

  /** Runs in a non-cancellable scope; returns the compensations that failed. */
  async compensate(timeline: Timeline): Promise<string[]> {
    const failed: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      for (const { name, run } of [...this.compensations].reverse()) {
        try {
          await timeline.run(name, run);
        } catch (err) {
          failed.push(`${name}: ${failureMessage(err)}`);
        }
      }
    });
    this.compensations.length = 0;
    return failed;
  }
}

// Records each step's start, end, attempts, outcome and change for the `status` query.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { failureMessage } from './error-text.ts';
import type { StepName, StepRecord } from './incident-types.ts';
import type { StepOutcome } from './types.ts';

/** The timeline keeps the first steps (the failover) and the latest ones; those between are counted. */
const KEEP_FIRST_STEPS = 20;
const MAX_STEPS = 100;

export class Timeline {
  private readonly status: { steps: StepRecord[]; stepsDropped?: number };
  constructor(status: { steps: StepRecord[]; stepsDropped?: number }) {
    this.status = status;
  }

  /** Runs one step; `act` gets the step's name (activities carry it as their summary in the UI). */
  async run<T extends Partial<StepOutcome>>(name: StepName, act: (step: StepName) => Promise<T>): Promise<T> {
    const record: StepRecord = { name, startedAt: Date.now(), outcome: 'running' };
    const { steps } = this.status;
    steps.push(record);
    if (steps.length > MAX_STEPS) {
      // Only a finished step is dropped: the oldest one after the first failover's.
      const i = steps.findIndex((s, j) => j >= KEEP_FIRST_STEPS && s.outcome !== 'running');
      if (i >= 0) {
        steps.splice(i, 1);
        this.status.stepsDropped = (this.status.stepsDropped ?? 0) + 1;
      }
    }
    try {
      const result = await act(name);
      Object.assign(record, {
        endedAt: Date.now(),
        outcome: 'ok',
        attempts: result.attempt,
        changed: result.changed,
        summary: result.summary,
      });
      return result;
    } catch (err) {
      Object.assign(record, {
        endedAt: Date.now(),
        outcome: isCancellation(err) ? 'cancelled' : 'failed',
        attempts: attemptOf(err),
        error: failureMessage(err),
      });
      throw err;
    }
  }
}

function attemptOf(err: unknown): number | undefined {
  let e: unknown = err;
  while (e instanceof Error) {
    if (e instanceof ApplicationFailure) {
      const detail = e.details?.[0] as { attempt?: number } | undefined;
      if (typeof detail?.attempt === 'number') return detail.attempt;
    }
    e = e.cause;
  }
  return undefined;
}

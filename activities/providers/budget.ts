// What one activity attempt allows the provider calls it makes: its cancellation and its deadline.
// Every call checks the budget before it is sent (a cancelled or expired attempt sends nothing
// more), is bounded by what is left of it, and stops waiting the moment the attempt is cancelled.
// So an attempt Temporal has given up on cannot land a write after the compensation that
// followed it (issue 8, item 9).
import { ProviderError } from '../errors.ts';

export interface CallBudget {
  /** Aborted when the activity is cancelled (Context.cancellationSignal). */
  signal?: AbortSignal;
  /** When the attempt must be done (ms since epoch), a little inside its start-to-close timeout. */
  deadline?: number;
}

/**
 * The timeout for the next call of `what`: the per-call bound, cut to what is left of the attempt.
 * Throws (retryable: the next attempt starts afresh) when the attempt is cancelled or out of time.
 */
export function callTimeout(budget: CallBudget | undefined, perCallMs: number, what: string): number {
  if (budget?.signal?.aborted)
    throw new ProviderError('unavailable', `${what}: not sent, the activity attempt was cancelled`);
  if (budget?.deadline === undefined) return perCallMs;
  const left = Math.floor(budget.deadline - Date.now());
  if (left <= 0) throw new ProviderError('unavailable', `${what}: not sent, the activity attempt is out of time`);
  return Math.min(perCallMs, left);
}

/**
 * Settles like `call`, or rejects as soon as the budget's signal aborts: for SDK calls whose
 * promise cannot be cancelled (google-gax's are bounded by their timeout, never left waiting on).
 */
export function abortable<T>(call: Promise<T>, budget: CallBudget | undefined, what: string): Promise<T> {
  const signal = budget?.signal;
  if (!signal) return call;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new ProviderError('unavailable', `${what}: abandoned, the activity attempt was cancelled`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

/** The attempt's deadline: its start-to-close from now, less a margin so it ends before Temporal times it out. */
export function attemptDeadline(startToCloseMs: number | undefined, now = Date.now()): number | undefined {
  if (!startToCloseMs || !Number.isFinite(startToCloseMs)) return undefined;
  return now + startToCloseMs - Math.min(2000, Math.floor(startToCloseMs / 10));
}

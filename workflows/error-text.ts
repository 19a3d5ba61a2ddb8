// The text of anything thrown, for every layer (pure: the workflows use it too, and every layer
// may import workflows/). What it returns reaches workflow history (step errors, causes, probe
// details): it must not change, or recorded histories stop replaying.
import { ApplicationFailure } from '@temporalio/common';

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** "Type: message" of anything thrown (an ApplicationFailure by its type), for logs. */
export function errorText(err: unknown): string {
  if (err instanceof ApplicationFailure) return `${err.type ?? 'Error'}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** The innermost cause's failure type (an ApplicationFailure's), if it has one. */
export function failureType(err: unknown): string | undefined {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof ApplicationFailure ? (e.type ?? undefined) : undefined;
}

/** The innermost cause, as "Type: message" (activity failures wrap the real one). */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return errorText(e);
}

/** "<step>: <Type>: <message>" for the last step that failed or was cancelled. */
export function failedStepMessage(steps: readonly { name: string; outcome: string }[], err: unknown): string {
  const step = steps.findLast((s) => s.outcome === 'failed' || s.outcome === 'cancelled');
  return `${step ? `${step.name}: ` : ''}${failureMessage(err)}`;
}

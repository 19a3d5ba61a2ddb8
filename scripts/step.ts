// A named step of a long set-up: a progress line when it starts and ends, and a budget. A step
// over its budget fails with its name and the time it took, instead of a runner's anonymous
// hook time-out somewhere later.
const t0 = Date.now();
const since = (t: number) => `${((Date.now() - t) / 1000).toFixed(0)} s`;

export function progress(scope: string, msg: string): void {
  console.error(`[${scope} +${since(t0)}] ${msg}`);
}

export class StepTimeout extends Error {}

/**
 * Runs `fn` as step `name` of `scope`. `fn` gets an AbortSignal that fires at the budget: pass it
 * to the child processes it runs (scripts/exec.ts) so a slow step is stopped, not left behind.
 */
export async function step<T>(
  scope: string,
  name: string,
  budgetMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const start = Date.now();
  progress(scope, `${name} …`);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const overBudget = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new StepTimeout(`${scope}: step "${name}" did not finish within ${budgetMs / 1000} s (stopped)`);
      abort.abort(err);
      reject(err);
    }, budgetMs);
  });
  try {
    const result = await Promise.race([fn(abort.signal), overBudget]);
    progress(scope, `${name}: done in ${since(start)}`);
    return result;
  } catch (err) {
    if (err instanceof StepTimeout) throw err;
    throw new Error(`${scope}: step "${name}" failed after ${since(start)}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

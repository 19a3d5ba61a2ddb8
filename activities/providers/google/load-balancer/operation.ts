// Waiting for a Compute global operation to be DONE: polled with GlobalOperationsClient.get, a
// bounded number of times, each poll and each pause within the activity's budget. An operation
// that ends with an error is a ProviderError of the kind its HTTP status says.
import type { GlobalOperationsClient, protos } from '@google-cloud/compute';
import { ProviderError, kindOfHttpStatus } from '../../../errors.ts';
import { type CallBudget, callTimeout } from '../../budget.ts';
import { LB_ROLE, computeCall } from './errors.ts';

type Operation = protos.google.cloud.compute.v1.IOperation;

export interface OperationWait {
  client: GlobalOperationsClient;
  project: string;
  /** The resource the operation changes (for messages). */
  resource: string;
  polls: number;
  intervalMs: number;
  timeoutMs: number;
}

const isDone = (op: Operation) => op.status === 'DONE' || (op.status as unknown) === 2104194;

/** Sleeps `ms`, cut to the budget's deadline; rejects at once when the attempt is cancelled. */
function pause(ms: number, budget: CallBudget | undefined, what: string): Promise<void> {
  const left = budget?.deadline === undefined ? ms : Math.min(ms, Math.max(0, budget.deadline - Date.now()));
  return new Promise((resolve, reject) => {
    const signal = budget?.signal;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ProviderError('unavailable', `${what}: abandoned, the activity attempt was cancelled`));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, left);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error of an operation that ended with one, naming each error it reports. */
function operationFailure(op: Operation, resource: string): ProviderError | undefined {
  const errors = op.error?.errors ?? [];
  if (errors.length === 0 && !op.httpErrorStatusCode) return undefined;
  const http = op.httpErrorStatusCode ?? undefined;
  const kind = http ? kindOfHttpStatus(http) : 'unavailable';
  const what = errors.map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}`.trim()).join('; ') || 'no detail';
  return new ProviderError(
    kind,
    `operation ${op.name} on ${resource} ended with an error${http ? ` (HTTP ${http})` : ''}: ${what}`,
  );
}

/** Polls until the operation is DONE; returns how many polls it took. */
export async function awaitOperation(first: Operation, wait: OperationWait, budget?: CallBudget): Promise<number> {
  let op = first;
  const name = op.name;
  if (!name)
    throw new ProviderError('unavailable', `${wait.resource}: the API answered a write without an operation name`);
  const what = `Compute wait for operation ${name}`;
  for (let poll = 0; ; poll++) {
    if (isDone(op)) {
      const failed = operationFailure(op, wait.resource);
      if (failed) throw failed;
      return poll;
    }
    if (poll >= wait.polls) {
      throw new ProviderError(
        'unavailable',
        `${what} on ${wait.resource}: still ${op.status} after ${poll} polls, ${wait.intervalMs} ms apart; the next attempt reads the URL map again`,
      );
    }
    callTimeout(budget, wait.timeoutMs, what); // nothing more once the attempt is cancelled or out of time
    await pause(wait.intervalMs, budget, what);
    [op] = await computeCall(
      {
        what: 'Compute get global operation',
        resource: `projects/${wait.project}/global/operations/${name}`,
        permission: 'compute.globalOperations.get',
        role: LB_ROLE,
      },
      (options) => wait.client.get({ project: wait.project, operation: name }, options),
      budget,
      wait.timeoutMs,
    );
  }
}

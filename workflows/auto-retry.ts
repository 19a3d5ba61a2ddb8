// The bounds of the automatic retry of a failover that was undone while the primary does not serve
// either (users get errors whatever the orchestrator does): how long to wait for a human first, and
// when not to retry at all (docs/workflow.md "needs_attention").
import { failureType } from './error-text.ts';
import { FailureType } from './failure-types.ts';
import type { IncidentPolicy, IncidentStatus } from './incident-types.ts';

/** Causes that a retry would meet again (a refused permission, a wrong config): a human must act. */
const PERMANENT: string[] = [
  FailureType.PermissionDenied,
  FailureType.NotFound,
  FailureType.InvalidConfig,
  FailureType.Unsupported,
];

/** The wait before the next automatic retry of the failover, or undefined when none is due. */
export function autoFailoverRetryMs(
  policy: IncidentPolicy,
  status: IncidentStatus,
  cause: unknown,
): number | undefined {
  const retry = policy.failoverRetry;
  const done = status.autoFailoverRetries ?? 0;
  if (!retry || done >= retry.maxAttempts) return undefined;
  const type = failureType(cause);
  if (type !== undefined && PERMANENT.includes(type)) return undefined;
  return retry.backoffMs * 2 ** done;
}

// Which answers from Temporal no retry can change: a namespace that does not exist, a request it
// refuses as invalid (e.g. an unregistered search attribute), an identity it does not let in.
// Retrying them only hands the message back for ever; the bridge dead-letters them instead.
import { isGrpcServiceError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { errorMessage } from '../../workflows/error-text.ts';

/** The `reason` a refused message is dead-lettered and counted with. */
export type TemporalRefusal =
  | 'temporal_namespace_not_found'
  | 'temporal_invalid_argument'
  | 'temporal_permission_denied'
  | 'temporal_unauthenticated';

/** gRPC status codes (google.rpc.Code). */
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/** The refusal `err` is, or undefined when it may pass (a timeout, an outage, anything else). */
export function temporalRefusal(err: unknown): TemporalRefusal | undefined {
  if (err instanceof NamespaceNotFoundError) return 'temporal_namespace_not_found';
  const code = grpcCode(err);
  const message = err instanceof Error ? err.message : '';
  if (code === NOT_FOUND && /namespace/i.test(message)) return 'temporal_namespace_not_found';
  if (code === INVALID_ARGUMENT) return 'temporal_invalid_argument';
  if (code === PERMISSION_DENIED) return 'temporal_permission_denied';
  if (code === UNAUTHENTICATED) return 'temporal_unauthenticated';
  return undefined;
}

/** Thrown out of the retry loop at once: the message is dead-lettered, not handed back. */
export class TemporalRefused extends Error {
  override readonly name = 'TemporalRefused';
  readonly reason: TemporalRefusal;
  constructor(reason: TemporalRefusal, cause: unknown) {
    super(errorMessage(cause), { cause });
    this.reason = reason;
  }
}

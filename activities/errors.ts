// One error mapping for every provider: what is retried, what is not, and what the message says.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../workflows/failure-types.ts';
import { redact } from './secrets.ts';

export type ProviderErrorKind =
  | 'permission' // 401/403: names the resource and the permission missing
  | 'not_found' // 404: names the resource
  | 'invalid_config' // names the field
  | 'unsupported' // the resource cannot be driven the way the config asks
  | 'probe_failed' // the target never served within its bound
  | 'rate_limited' // 429: honours Retry-After
  | 'conflict' // 409 / ABORTED: etag raced with another writer
  | 'unavailable'; // 5xx, timeouts, resets

const TYPE: Record<ProviderErrorKind, FailureType> = {
  permission: FailureType.PermissionDenied,
  not_found: FailureType.NotFound,
  invalid_config: FailureType.InvalidConfig,
  unsupported: FailureType.Unsupported,
  probe_failed: FailureType.ProbeFailed,
  rate_limited: FailureType.RateLimited,
  conflict: FailureType.Conflict,
  unavailable: FailureType.Unavailable,
};

const RETRYABLE = new Set<ProviderErrorKind>(['rate_limited', 'conflict', 'unavailable']);

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly retryAfterMs: number | undefined;
  constructor(kind: ProviderErrorKind, message: string, retryAfterMs?: number) {
    super(message);
    this.kind = kind;
    this.retryAfterMs = retryAfterMs;
  }
  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Classifies an HTTP status the way every provider API uses it. */
export function kindOfHttpStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 400 || status === 422) return 'invalid_config';
  return 'unavailable';
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Turns anything an adapter threw into the ApplicationFailure Temporal should see. */
export function toFailure(err: unknown, attempt: number): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const details = [{ attempt }];
  if (err instanceof ProviderError) {
    return ApplicationFailure.create({
      type: TYPE[err.kind],
      message: redact(err.message),
      nonRetryable: !err.retryable,
      details,
      ...(err.retryAfterMs !== undefined && { nextRetryDelay: err.retryAfterMs }),
    });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({ type: e.name || 'Error', message: redact(e.message), details });
}

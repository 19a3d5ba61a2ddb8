// Compute Engine's errors, mapped to ProviderError. Compute answers in its own JSON
// (`{error: {code, message, errors: [{reason}]}}`, mostly without a google.rpc status), so the
// client turns a stale fingerprint (412 conditionNotMet) into FAILED_PRECONDITION: it is a
// concurrent change here, not a bad config. A 403 names the permission it lacked, which may be
// compute.backendServices.use on a backend service rather than one on the URL map.
import { ProviderError } from '../../../errors.ts';
import type { CallBudget } from '../../budget.ts';
import { googleCall, googleError, retryDelayMs, type GoogleCall } from '../errors.ts';

/** Where google-gax (6.x) keeps the body of a failed REST response; absent in other versions. */
const RAW_PAYLOAD = Symbol.for('google-gax.rawHttpResponsePayload');
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
export const LB_ROLE = 'roles/compute.loadBalancerAdmin';

interface RestError {
  message: string;
  httpStatusCode?: number;
  statusDetails?: unknown[];
}

/** The `errors[].reason` values of a Compute error body, when the client kept it. */
export function reasonsOf(err: unknown): string[] {
  const raw = err !== null && typeof err === 'object' ? (err as Record<symbol, unknown>)[RAW_PAYLOAD] : undefined;
  if (typeof raw !== 'string') return [];
  try {
    const errors = (JSON.parse(raw) as { error?: { errors?: { reason?: unknown }[] } }).error?.errors;
    return Array.isArray(errors) ? errors.map((e) => String(e?.reason ?? '')).filter(Boolean) : [];
  } catch {
    return [];
  }
}

/** Maps a Compute API failure; anything not Compute-specific goes to the shared Google mapping. */
export function computeError(err: unknown, call: GoogleCall): unknown {
  if (err instanceof ProviderError || !(err instanceof Error)) return err;
  const e = err as Error & RestError;
  const head = `${call.what} on ${call.resource}`;
  const said = e.message.replace(/\s+/g, ' ').trim();
  const reasons = reasonsOf(err);
  if (e.httpStatusCode === 412 || reasons.includes('conditionNotMet')) {
    return new ProviderError(
      'conflict',
      `${head}: the URL map's fingerprint changed since it was read (someone else changed the map); will read again and retry (${said})`,
    );
  }
  // Compute's older rate-limit answer is a 403 with reason rateLimitExceeded: not a permission.
  if (e.httpStatusCode === 403 && reasons.some((r) => RATE_LIMIT_REASONS.has(r)))
    return new ProviderError('rate_limited', `${head}: rate limited (${said})`, retryDelayMs(e.statusDetails));
  const denied = /Required '([\w.]+)' permission for '([^']+)'/.exec(said);
  if (e.httpStatusCode === 403 && denied) {
    return new ProviderError(
      'permission',
      `${head}: permission ${denied[1]} denied on ${denied[2]}; grant the worker's identity a role with it, e.g. ${LB_ROLE} (or a custom role with compute.urlMaps.get, compute.urlMaps.update, compute.backendServices.use, compute.globalOperations.get) (${said})`,
    );
  }
  return googleError(err, call);
}

/** One Compute API call: the shared Google call (budget, one attempt, timeout) with Compute's errors. */
export function computeCall<T>(
  call: GoogleCall & { write?: boolean },
  run: (options: { timeout: number; retry: null }) => Promise<T>,
  budget: CallBudget | undefined,
  perCallMs: number,
): Promise<T> {
  return googleCall(
    call,
    (options) =>
      run(options).catch((err: unknown) => {
        throw computeError(err, call);
      }),
    budget,
    perCallMs,
  );
}

// The mapping of google-gax errors to ProviderError, shared by the Google Cloud adapters: each
// message names the resource and the permission or field.
import { ProviderError, type ProviderErrorKind } from '../../errors.ts';
import { type CallBudget, abortable, callTimeout } from '../budget.ts';
import { callOptions } from './options.ts';

/** google.rpc.Code values. */
const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface GaxErrorShape {
  message: string;
  code?: number;
  httpStatusCode?: number;
  statusDetails?: unknown[];
}

function isGaxError(err: unknown): err is GaxErrorShape & Error {
  return err instanceof Error && typeof (err as GaxErrorShape).code === 'number';
}

function kindOf(code: number, http?: number): ProviderErrorKind {
  if (http === 429) return 'rate_limited';
  switch (code) {
    case Code.UNAUTHENTICATED:
    case Code.PERMISSION_DENIED:
      return 'permission';
    case Code.NOT_FOUND:
      return 'not_found';
    case Code.INVALID_ARGUMENT:
    case Code.FAILED_PRECONDITION:
    case Code.OUT_OF_RANGE:
      return 'invalid_config';
    case Code.ABORTED:
    case Code.ALREADY_EXISTS:
      return 'conflict';
    case Code.RESOURCE_EXHAUSTED:
      return 'rate_limited';
    case Code.UNIMPLEMENTED:
      return 'unsupported';
    default:
      return 'unavailable'; // UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, CANCELLED, resets
  }
}

/** The delay a google.rpc.RetryInfo detail asks for, in milliseconds. */
export function retryDelayMs(details: unknown[] | undefined): number | undefined {
  for (const d of details ?? []) {
    const delay = (d as { retryDelay?: { seconds?: unknown; nanos?: unknown } } | null)?.retryDelay;
    if (delay && typeof delay === 'object') {
      const seconds = Number(delay.seconds ?? 0);
      const nanos = Number(delay.nanos ?? 0);
      if (Number.isFinite(seconds) && Number.isFinite(nanos)) return Math.round(seconds * 1000 + nanos / 1e6);
    }
  }
  return undefined;
}

export interface GoogleCall {
  /** e.g. "Cloud Run setIamPolicy". */
  what: string;
  /** The resource, as the API names it. */
  resource: string;
  /** The IAM permission the call needs, e.g. run.services.setIamPolicy. */
  permission: string;
  /** A predefined role that holds it, e.g. roles/run.admin. */
  role: string;
  /** A refusal this call knows better than the generic mapping (e.g. an organization policy); undefined: not one. */
  refine?: (err: GaxErrorShape & Error) => ProviderError | undefined;
}

/** Turns a google-gax error into a ProviderError naming the resource and the permission or field. */
export function googleError(err: unknown, call: GoogleCall): ProviderError | unknown {
  if (err instanceof ProviderError || !isGaxError(err)) return err;
  const refined = call.refine?.(err);
  if (refined) return refined;
  const code = err.code!;
  const kind = kindOf(code, err.httpStatusCode);
  const said = err.message.replace(/\s+/g, ' ').trim();
  const head = `${call.what} on ${call.resource}`;
  switch (kind) {
    case 'permission':
      return new ProviderError(
        'permission',
        code === Code.UNAUTHENTICATED
          ? `${head}: not authenticated; the worker needs Application Default Credentials for an identity with ${call.permission} (${said})`
          : `${head}: permission ${call.permission} denied; grant the worker's identity a role with it, e.g. ${call.role}, on the resource (${said})`,
      );
    case 'not_found':
      return new ProviderError('not_found', `${head}: not found; check the resource in the site's config (${said})`);
    case 'invalid_config':
      return new ProviderError('invalid_config', `${head}: the request was refused as invalid (${said})`);
    case 'conflict':
      return new ProviderError(
        'conflict',
        `${head}: concurrent change (etag conflict); will read again and retry (${said})`,
      );
    case 'rate_limited': {
      const after = retryDelayMs(err.statusDetails);
      return new ProviderError(
        'rate_limited',
        `${head}: rate limited${after !== undefined ? `, retry after ${after} ms` : ''} (${said})`,
        after,
      );
    }
    case 'unsupported':
      return new ProviderError('unsupported', `${head}: not supported by this endpoint (${said})`);
    default:
      return new ProviderError('unavailable', `${head}: unavailable (${said})`);
  }
}

/**
 * Runs one Google API call on a resource, mapping its failure. `run` gets the gax call options:
 * one attempt, with a timeout cut to what is left of the budget; nothing is sent once the attempt
 * is cancelled or out of time. On cancel a read stops being waited for at once (the request itself
 * ends at its timeout: the generated clients' promises cannot be cancelled); a write already sent
 * is waited for (within its timeout), so it cannot land after the compensation that follows.
 */
export async function googleCall<T>(
  call: GoogleCall & { write?: boolean },
  run: (options: { timeout: number; retry: null }) => Promise<T>,
  budget?: CallBudget,
  perCallMs = 10_000,
): Promise<T> {
  const head = `${call.what} on ${call.resource}`;
  const timeout = callTimeout(budget, perCallMs, head);
  try {
    const sent = run(callOptions(timeout));
    return await (call.write ? sent : abortable(sent, budget, head));
  } catch (err) {
    throw googleError(err, call);
  }
}

/** googleCall bound to one resource and its per-call timeout: the call an adapter makes. */
export function googleCaller(resource: string, perCallMs = 10_000) {
  return <T>(
    call: Omit<GoogleCall, 'resource'> & { write?: boolean },
    budget: CallBudget | undefined,
    run: (options: { timeout: number; retry: null }) => Promise<T>,
  ): Promise<T> => googleCall({ ...call, resource }, run, budget, perCallMs);
}

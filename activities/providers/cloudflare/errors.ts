// The mapping of Cloudflare SDK errors to ProviderError, shared by the Cloudflare adapters: each
// message names the resource and the token permission.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'cloudflare';
import { ProviderError, parseRetryAfter } from '../../errors.ts';
import { type CallBudget, callTimeout } from '../budget.ts';

export interface CloudflareCall {
  /** e.g. "Cloudflare edit page rule". */
  what: string;
  resource: string;
  /** The token permission, as the dashboard names it, e.g. "Zone.Page Rules:Edit". */
  permission: string;
  /** The same permission group as the API names it, e.g. "Page Rules Write". */
  apiPermission: string;
}

/** Cloudflare error codes that mean the token itself is missing, malformed or invalid. */
const TOKEN_CODES = new Set([1000, 6003, 6111, 9106, 9109, 10000]);

/** Turns a Cloudflare SDK error into a ProviderError naming the resource and the token permission. */
export function cloudflareError(err: unknown, call: CloudflareCall): ProviderError | unknown {
  if (err instanceof ProviderError) return err;
  const head = `${call.what} on ${call.resource}`;
  if (err instanceof APIConnectionTimeoutError) return new ProviderError('unavailable', `${head}: timed out`);
  if (err instanceof APIUserAbortError) return new ProviderError('unavailable', `${head}: aborted`);
  if (err instanceof APIConnectionError) {
    const cause = (err as { cause?: unknown }).cause;
    return new ProviderError(
      'unavailable',
      `${head}: connection failed (${cause instanceof Error ? cause.message : err.message})`,
    );
  }
  if (!(err instanceof APIError) || err.status === undefined) return err;
  const status = err.status;
  const errors = (err.errors ?? []) as Array<{ code?: number; message?: string }>;
  const said = errors.length
    ? errors.map((e) => `${e.code ?? '?'} ${e.message ?? ''}`.trim()).join('; ')
    : `HTTP ${status}`;
  const retryAfter = parseRetryAfter(err.headers?.['retry-after']);
  if (
    status === 401 ||
    status === 403 ||
    (status === 400 && errors.some((e) => e.code !== undefined && TOKEN_CODES.has(e.code)))
  ) {
    return new ProviderError(
      'permission',
      `${head}: Cloudflare refused the API token (HTTP ${status}: ${said}); CLOUDFLARE_API_TOKEN needs ${call.permission} (API: "${call.apiPermission}") on this zone`,
    );
  }
  if (status === 404)
    return new ProviderError(
      'not_found',
      `${head}: not found (${said}); check the zone and resource ids in the site's config`,
    );
  if (status === 429)
    return new ProviderError(
      'rate_limited',
      `${head}: rate limited (${said})${retryAfter !== undefined ? `, retry after ${retryAfter} ms` : ''}`,
      retryAfter,
    );
  if (status === 409) return new ProviderError('conflict', `${head}: conflict (${said})`, retryAfter);
  if (status === 400 || status === 422)
    return new ProviderError('invalid_config', `${head}: refused as invalid (HTTP ${status}: ${said})`);
  return new ProviderError('unavailable', `${head}: HTTP ${status} (${said})`, retryAfter);
}

/** Per-request options of the SDK: the attempt's cancellation, and a timeout cut to what is left of it. */
export interface CfRequestOptions {
  timeout: number;
  signal?: AbortSignal;
}

/**
 * Runs one SDK call, mapping its failure. With a budget, nothing is sent once the attempt is
 * cancelled or out of time, and the request's timeout is cut to what is left. A read is also
 * aborted at once on cancel; a write already sent is waited for (within its timeout): abandoned,
 * it could land after the compensation that follows the cancel.
 */
export async function cfCall<T>(
  call: CloudflareCall & { write?: boolean },
  run: (options: CfRequestOptions) => Promise<T>,
  budget?: CallBudget,
  perCallMs = 10_000,
): Promise<T> {
  const timeout = callTimeout(budget, perCallMs, `${call.what} on ${call.resource}`);
  try {
    return await run({ timeout, ...(budget?.signal && !call.write && { signal: budget.signal }) });
  } catch (err) {
    throw cloudflareError(err, call);
  }
}

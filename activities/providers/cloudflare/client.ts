// The Cloudflare client the adapters share: the official `cloudflare` SDK, the token from the
// environment, no SDK-side retries.
import Cloudflare from 'cloudflare';
import { ProviderError } from '../../errors.ts';
import { registerSecret } from '../../secrets.ts';
import type { BuildContext } from '../descriptor.ts';

export interface CloudflareClientOptions {
  /** From CLOUDFLARE_API_TOKEN; never from the config file. */
  token: string;
  /** Default: https://api.cloudflare.com/client/v4 */
  baseURL?: string;
  /** Bound on each API call. */
  timeoutMs?: number;
}

/**
 * A Cloudflare client that never holds the token itself: it is added to each request at the
 * fetch layer, so the SDK's own debug logging (DEBUG=true) and its errors cannot show it.
 * SDK retries are off: Temporal retries the step, honouring Retry-After, and shows every attempt.
 */
export function cloudflareClient(opts: CloudflareClientOptions): Cloudflare {
  registerSecret(opts.token);
  const authorization = `Bearer ${opts.token}`;
  const withToken: typeof fetch = (url, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', authorization);
    return fetch(url, { ...init, headers });
  };
  return new Cloudflare({
    apiToken: null,
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    ...(opts.baseURL && { baseURL: opts.baseURL }),
    maxRetries: 0,
    timeout: opts.timeoutMs ?? CLOUDFLARE_CALL_TIMEOUT_MS,
    fetch: withToken as never,
  });
}

/** Bound on one Cloudflare API call: `apis.cloudflare.timeout`, default 10 s. */
export const CLOUDFLARE_CALL_TIMEOUT_MS = 10_000;

/** The process's one Cloudflare client, made on first use; the token comes only from the environment. */
export function sharedCloudflareClient(ctx: BuildContext): Cloudflare {
  return ctx.shared('cloudflare', () => {
    const token = ctx.env.CLOUDFLARE_API_TOKEN;
    if (!token) {
      throw new ProviderError(
        'invalid_config',
        `sites.${ctx.site}.traffic: CLOUDFLARE_API_TOKEN is not set in the worker's environment (a token with Zone.Page Rules, Single Redirect or DNS Edit on the zone)`,
      );
    }
    const apis = ctx.apis.cloudflare;
    return cloudflareClient({ token, ...(apis && { baseURL: apis.baseURL, timeoutMs: apis.timeout }) });
  });
}

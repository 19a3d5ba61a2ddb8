// The Cloudflare client the adapters share: the official `cloudflare` SDK, the token from the
// environment, no SDK-side retries.
import Cloudflare from 'cloudflare';
import { registerSecret } from '../../secrets.ts';

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
    timeout: opts.timeoutMs ?? 10_000,
    fetch: withToken as never,
  });
}

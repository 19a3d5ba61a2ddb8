// One JSON POST to a secret URL: 2xx is delivered; anything else is a ProviderError whose message
// names the channel and the answer, never the URL (it is the secret).
import { ProviderError, kindOfHttpStatus, parseRetryAfter } from '../errors.ts';
import { redact } from '../secrets.ts';

export async function postJson(
  label: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
      redirect: 'error',
    });
  } catch (err) {
    // Only the error's code: a network error's text names the address.
    throw new ProviderError('unavailable', `${label}: the request failed (${failureCode(err)})`);
  }
  if (res.ok) {
    await res.body?.cancel();
    return;
  }
  const text = redact((await res.text().catch(() => '')).slice(0, 120).replace(/\s+/g, ' ').trim());
  const kind = res.status === 408 ? 'unavailable' : kindOfHttpStatus(res.status);
  throw new ProviderError(
    kind,
    `${label}: answered HTTP ${res.status}${text ? ` (${text})` : ''}`,
    parseRetryAfter(res.headers.get('retry-after')),
  );
}

function failureCode(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timed out';
  return 'no answer';
}

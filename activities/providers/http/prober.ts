// The HTTP probe: one check of the primary, the standby or the public URL per call, with Node's
// fetch. A target serves when it answers the expected status and its body holds its marker (and
// not the other target's marker), within the timeout. The AbortSignal (activity cancellation)
// ends a check at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Target } from '../../../workflows/types.ts';
import type { Endpoint, ProbeResult, Prober } from '../types.ts';

export interface HttpProbeTarget {
  url: string;
  /** A string only this target's pages contain, e.g. "served-by: standby". */
  marker?: string;
  expectStatus: number;
}

export interface HttpProberOptions {
  primary: HttpProbeTarget;
  standby: HttpProbeTarget;
  publicUrl: string;
  /** Per request. */
  timeoutMs: number;
  /** Requests per check; the check passes if one of them does. */
  attempts?: number;
  /** Pause between those requests. */
  attemptDelayMs?: number;
  /** Follow redirects (the public URL usually redirects to the standby); if not, a redirect to the expected target passes. */
  followRedirects?: boolean;
  /** Bytes of body read to look for the marker. */
  maxBodyBytes?: number;
}

const USER_AGENT = 'failover-probe/1 (+https://github.com/; health check)';

async function readText(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}

export class HttpProber implements Prober {
  private readonly opts: Required<Omit<HttpProberOptions, 'primary' | 'standby' | 'publicUrl'>> &
    Pick<HttpProberOptions, 'primary' | 'standby' | 'publicUrl'>;

  constructor(opts: HttpProberOptions) {
    this.opts = { attempts: 1, attemptDelayMs: 250, followRedirects: true, maxBodyBytes: 256 * 1024, ...opts };
  }

  urlOf(endpoint: Endpoint): string {
    return endpoint === 'primary'
      ? this.opts.primary.url
      : endpoint === 'standby'
        ? this.opts.standby.url
        : this.opts.publicUrl;
  }

  async check(endpoint: Endpoint, expect: Target, signal?: AbortSignal): Promise<ProbeResult> {
    let result: ProbeResult = { ok: false, detail: 'not checked' };
    for (let attempt = 1; attempt <= this.opts.attempts; attempt++) {
      if (signal?.aborted) return { ok: false, detail: 'probe cancelled' };
      result = await this.once(endpoint, expect, signal);
      if (result.ok) return result;
      if (attempt < this.opts.attempts) {
        try {
          await sleep(this.opts.attemptDelayMs, undefined, signal ? { signal } : {});
        } catch {
          return { ok: false, detail: 'probe cancelled' };
        }
      }
    }
    return this.opts.attempts > 1 ? { ok: false, detail: `${result.detail} (${this.opts.attempts} attempts)` } : result;
  }

  private async once(endpoint: Endpoint, expect: Target, signal?: AbortSignal): Promise<ProbeResult> {
    const url = this.urlOf(endpoint);
    const target = expect === 'primary' ? this.opts.primary : this.opts.standby;
    const other: Target = expect === 'primary' ? 'standby' : 'primary';
    const otherMarker = this.opts[other].marker;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const started = Date.now();
    const elapsed = () => `${Date.now() - started} ms`;
    try {
      const res = await fetch(url, {
        redirect: this.opts.followRedirects ? 'follow' : 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headers: { 'user-agent': USER_AGENT, 'cache-control': 'no-cache' },
      });
      const via = res.redirected ? ` (redirected to ${res.url})` : '';
      if (!this.opts.followRedirects && res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        const to = location ? new URL(location, url) : undefined;
        const expected = new URL(target.url);
        const ok =
          to !== undefined &&
          to.origin === expected.origin &&
          to.pathname.startsWith(expected.pathname.replace(/[^/]*$/, ''));
        return {
          ok,
          detail: `${res.status} redirect to ${to?.href ?? '(no location)'} in ${elapsed()}${ok ? '' : `, expected the ${expect} at ${expected.origin}`}`,
        };
      }
      if (res.status !== target.expectStatus) {
        await res.body?.cancel();
        return {
          ok: false,
          detail: `${res.status} ${res.statusText} in ${elapsed()}${via}, expected ${target.expectStatus}`,
        };
      }
      const body = await readText(res, this.opts.maxBodyBytes);
      if (target.marker && !body.includes(target.marker)) {
        const servedBy = otherMarker && body.includes(otherMarker) ? `; this is the ${other}` : '';
        return {
          ok: false,
          detail: `${res.status} in ${elapsed()}${via} but "${target.marker}" not in the body${servedBy}`,
        };
      }
      if (!target.marker && otherMarker && body.includes(otherMarker)) {
        return {
          ok: false,
          detail: `${res.status} in ${elapsed()}${via} but served by the ${other} ("${otherMarker}")`,
        };
      }
      return { ok: true, detail: `${res.status} in ${elapsed()}${target.marker ? ', marker found' : ''}${via}` };
    } catch (err) {
      if (signal?.aborted) return { ok: false, detail: 'probe cancelled' };
      if (timeout.aborted) return { ok: false, detail: `no answer from ${url} within ${this.opts.timeoutMs} ms` };
      return { ok: false, detail: `${url}: ${describeFailure(err)} after ${elapsed()}` };
    }
  }
}

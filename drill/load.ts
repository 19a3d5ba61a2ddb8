// The drill's load generator: a few virtual users request the public URL continuously, as
// browsers would, and every request is recorded (start, latency, status, error kind, who served).
//
// Bounded: `users` loops, each at most one request in flight, paced to `rate` requests/s in
// total, every request bounded by `timeoutMs`. Built on undici (one Agent, keep-alive like a
// browser). Redirects are followed by hand (max 3 hops) so a redirect to a closed standby is
// seen as what it is: a 403 from Cloud Run.
//
// DNS-switched sites: the record is DNS-only (not proxied), so users connect straight to the
// host it names, and each user's resolver caches the answer for the record's TTL (expiry phases
// spread over the TTL, as different resolvers' are). `resolve` reads the authoritative record.
import { Agent, request, errors } from 'undici';

export type ErrorKind =
  'ok' | 'timeout' | 'reset' | 'refused' | '5xx' | 'standby-closed-403' | '4xx' | 'wrong-body' | 'other-error';

export interface Sample {
  /** Request start, ms since epoch. */
  t: number;
  /** Latency in ms (until the whole body, or the error). */
  ms: number;
  /** Final HTTP status, 0 when there was none (connection error, timeout). */
  status: number;
  kind: ErrorKind;
  /** Whose page it was, from the body's marker. */
  servedBy?: 'primary' | 'standby';
  /** Redirect hops followed. */
  hops: number;
  user: number;
}

export interface DnsAnswer {
  /** The record's content (a host name). */
  content: string;
  ttlSeconds: number;
}

export interface LoadOptions {
  /** The public URL (redirect / page-rule modes), requested through the edge. */
  url: string;
  /** Total request rate, requests/s (default 40). */
  rate?: number;
  /** Concurrent virtual users (default 8). */
  users?: number;
  /** Per request (default 2000 ms): what a user waits before giving up. */
  timeoutMs?: number;
  markers?: { primary: string; standby: string };
  /** DNS mode: reads the authoritative record; users cache it for its TTL. */
  dns?: { resolve: () => Promise<DnsAnswer>; hosts: Record<string, string> };
  /** Only loopback addresses, unless explicitly allowed (a real drill). */
  allowNonLoopback?: boolean;
}

export interface LoadGenerator {
  readonly samples: Sample[];
  /** Samples since index n (for progress). */
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

function classify(err: unknown): ErrorKind {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  if (
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    err instanceof errors.ConnectTimeoutError
  )
    return 'timeout';
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || code === 'UND_ERR_ABORTED') return 'timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || err instanceof errors.SocketError)
    return 'reset';
  return 'other-error';
}

export function startLoad(opts: LoadOptions): LoadGenerator {
  const rate = opts.rate ?? 40;
  const users = opts.users ?? 8;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const markers = opts.markers ?? { primary: 'served-by: primary', standby: 'served-by: standby' };
  const checkHost = (u: URL) => {
    if (!opts.allowNonLoopback && !LOOPBACK.test(u.hostname))
      throw new Error(`the sandbox drill only sends load to loopback addresses, not ${u.hostname}`);
  };
  checkHost(new URL(opts.url));
  for (const h of Object.values(opts.dns?.hosts ?? {})) checkHost(new URL(h));

  const agent = new Agent({
    keepAliveTimeout: 800, // below the sandbox servers' 1 s, as browsers keep it below servers'
    connections: users * 2,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const samples: Sample[] = [];
  let running = true;
  const period = (1000 * users) / rate;

  async function once(user: number, cache: { answer?: DnsAnswer; expires: number }): Promise<void> {
    const t = Date.now();
    const deadline = AbortSignal.timeout(timeoutMs);
    let hops = 0;
    let target = opts.url;
    try {
      if (opts.dns) {
        if (!cache.answer || Date.now() >= cache.expires) {
          cache.answer = await opts.dns.resolve();
          cache.expires = Date.now() + cache.answer.ttlSeconds * 1000;
        }
        const base = opts.dns.hosts[cache.answer.content];
        if (!base) throw Object.assign(new Error(`NXDOMAIN ${cache.answer.content}`), { code: 'ENOTFOUND' });
        target = new URL(new URL(opts.url).pathname, base).toString();
      }
      for (;;) {
        const res = await request(target, {
          dispatcher: agent,
          signal: deadline,
          headers: { 'user-agent': 'failover-drill' },
        });
        const body = await res.body.text();
        const location = res.headers.location;
        if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string' && hops < 3) {
          hops++;
          target = new URL(location, target).toString();
          continue;
        }
        const servedBy = body.includes(markers.standby)
          ? 'standby'
          : body.includes(markers.primary)
            ? 'primary'
            : undefined;
        const status = res.statusCode;
        const kind: ErrorKind =
          status >= 200 && status < 300
            ? servedBy
              ? 'ok'
              : 'wrong-body'
            : status >= 500
              ? '5xx'
              : status === 403 && /Forbidden/.test(body)
                ? 'standby-closed-403'
                : '4xx';
        samples.push({ t, ms: Date.now() - t, status, kind, ...(servedBy && { servedBy }), hops, user });
        return;
      }
    } catch (err) {
      samples.push({ t, ms: Date.now() - t, status: 0, kind: classify(err), hops, user });
    }
  }

  const loops = Array.from({ length: users }, async (_, user) => {
    // Users start spread over one period, and resolvers' caches expire at spread-out moments.
    const cache: { answer?: DnsAnswer; expires: number } = { expires: 0 };
    if (opts.dns) {
      cache.answer = await opts.dns.resolve();
      cache.expires = Date.now() + Math.random() * cache.answer.ttlSeconds * 1000;
    }
    await sleep((period * user) / users);
    let next = Date.now();
    while (running) {
      await once(user, cache);
      next += period;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now(); // behind: do not burst to catch up
    }
  });

  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

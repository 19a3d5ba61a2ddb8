// A simulated edge in front of one site: the public URL. On each request it asks the site's
// traffic mode (sandbox/traffic/) where the simulator's current state sends it and, like the real
// edge, either redirects (e.g. an active page rule, an enabled single redirect rule) or proxies to
// the origin (the primary, or for DNS-switched sites whatever host the record points to).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EdgeDecision, EdgeRoute, RequestFacts } from './traffic/mode.ts';

const DOWN_PAGE = (code: number, title: string) =>
  `<html><head><title>${code}: ${title}</title></head><body><h1>Error ${code}</h1><p>${title}</p><p>simulated Cloudflare edge</p></body></html>\n`;

export class Edge {
  readonly site: string;
  private readonly route: EdgeRoute;
  private readonly host: string;
  private port: number;
  private server: Server | undefined;
  override: number | undefined;
  requests = 0;
  /** Requests the edge forwarded, for tests that want to see where traffic went. */
  readonly served: { at: number; to: 'redirect' | 'proxy'; target: string; status: number }[] = [];

  private note(entry: Edge['served'][number]): void {
    this.served.push(entry);
    if (this.served.length > 1_000) this.served.shift();
  }

  constructor(opts: { site: string; route: EdgeRoute; host?: string; port?: number }) {
    this.site = opts.site;
    this.route = opts.route;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
  }

  get url(): string {
    return `http://${this.host}:${this.port}/`;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.answer(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`edge error: ${String(err)}\n`);
      });
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Where a request goes now: a redirect, or the origin it is proxied to. */
  decide(facts: RequestFacts): EdgeDecision {
    return this.route(facts);
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    if (this.override !== undefined) {
      res.writeHead(this.override, { 'content-type': 'text/plain' });
      res.end(`${this.override} from the edge of ${this.site}\n`);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://edge');
    const facts: RequestFacts = {
      host: (req.headers.host ?? '').replace(/:\d+$/, ''),
      path: url.pathname,
      query: url.search.slice(1),
    };
    const decision = this.decide(facts);
    if ('error' in decision) {
      res.writeHead(530, { 'content-type': 'text/html', 'cf-ray': 'sandbox' });
      res.end(DOWN_PAGE(decision.error, decision.title));
      return;
    }
    if ('redirect' in decision) {
      this.note({ at: Date.now(), to: 'redirect', target: decision.redirect, status: decision.status });
      res.writeHead(decision.status, { location: decision.redirect, 'cf-ray': 'sandbox', 'content-length': 0 });
      res.end();
      return;
    }
    const target = new URL(url.pathname + url.search, decision.origin).toString();
    try {
      const upstream = await fetch(target, {
        redirect: 'manual',
        signal: AbortSignal.timeout(5_000),
        headers: { 'x-forwarded-host': req.headers.host ?? '' },
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      this.note({ at: Date.now(), to: 'proxy', target, status: upstream.status });
      const headers: Record<string, string> = { 'cf-ray': 'sandbox', 'content-length': String(body.length) };
      for (const h of ['content-type', 'location', 'retry-after', 'cache-control']) {
        const v = upstream.headers.get(h);
        if (v) headers[h] = v;
      }
      res.writeHead(upstream.status, headers);
      res.end(body);
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const [code, title] = timedOut ? [522, 'Connection timed out'] : [521, 'Web server is down'];
      this.note({ at: Date.now(), to: 'proxy', target, status: code });
      res.writeHead(code, { 'content-type': 'text/html', 'cf-ray': 'sandbox' });
      res.end(DOWN_PAGE(code, title));
    }
  }
}

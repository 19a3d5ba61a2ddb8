// A simulated Cloudflare edge in front of one site: the public URL. On each request it reads the
// simulator's current Cloudflare state and, like the real edge, either redirects (an active page
// rule with a forwarding URL, or an enabled single redirect rule) or proxies to the origin (the
// primary, or for DNS-switched sites whatever host the record points to).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REDIRECT_PHASE, type CloudState, type Json } from './cloud-api/state.ts';
import { type UrlMapRouting, urlMapDecision } from './url-map-edge.ts';

export type EdgeRouting =
  | { mode: 'page-rule'; zoneId: string; pageRuleId: string; origin: string }
  | { mode: 'redirect-rule'; zoneId: string; origin: string }
  /** `hosts` maps a record content (hostname) to the base URL of the server behind it. */
  | { mode: 'dns'; zoneId: string; recordId: string; hosts: Record<string, string> }
  | UrlMapRouting;

interface RequestFacts {
  host: string;
  path: string;
  query: string;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Cloudflare page-rule URL patterns: `*` matches anything; captures become $1, $2, ... */
function matchPattern(pattern: string, url: string): string[] | undefined {
  const re = new RegExp(
    `^(?:https?://)?${pattern
      .replace(/^https?:\/\//, '')
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '(.*)')}$`,
  );
  const m = re.exec(url);
  return m ? m.slice(1) : undefined;
}

function field(name: string, f: RequestFacts): string | undefined {
  if (name === 'http.host') return f.host;
  if (name === 'http.request.uri.path') return f.path;
  if (name === 'http.request.uri.query') return f.query;
  if (name === 'http.request.full_uri') return `http://${f.host}${f.path}${f.query ? `?${f.query}` : ''}`;
  return undefined;
}

const stripParens = (s: string): string => {
  let t = s.trim();
  while (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1).trim();
  return t;
};

/** A small subset of the Rules language: true/false, eq/ne/==/!=, starts_with(), and/or. */
export function evaluateExpression(expr: string, f: RequestFacts): boolean {
  const e = stripParens(expr);
  if (/\s+or\s+/.test(e)) return e.split(/\s+or\s+/).some((p) => evaluateExpression(p, f));
  if (/\s+and\s+/.test(e)) return e.split(/\s+and\s+/).every((p) => evaluateExpression(p, f));
  if (e === 'true') return true;
  if (e === 'false') return false;
  let m = /^([\w.]+)\s+(eq|==|ne|!=)\s+"([^"]*)"$/.exec(e);
  if (m) {
    const v = field(m[1]!, f);
    return m[2] === 'eq' || m[2] === '==' ? v === m[3] : v !== m[3];
  }
  m = /^starts_with\(\s*([\w.]+)\s*,\s*"([^"]*)"\s*\)$/.exec(e);
  if (m) return (field(m[1]!, f) ?? '').startsWith(m[2]!);
  return false;
}

/** Target URL expressions: a string literal, a field, or concat() of those. */
function evaluateTarget(expr: string, f: RequestFacts): string {
  const e = expr.trim();
  const concat = /^concat\((.*)\)$/s.exec(e);
  if (concat) {
    const args = concat[1]!.match(/"[^"]*"|[\w.]+/g) ?? [];
    return args.map((a) => (a.startsWith('"') ? a.slice(1, -1) : (field(a, f) ?? ''))).join('');
  }
  if (e.startsWith('"')) return e.slice(1, -1);
  return field(e, f) ?? '';
}

const DOWN_PAGE = (code: number, title: string) =>
  `<html><head><title>${code}: ${title}</title></head><body><h1>Error ${code}</h1><p>${title}</p><p>simulated Cloudflare edge</p></body></html>\n`;

export class Edge {
  readonly site: string;
  private readonly state: CloudState;
  private readonly routing: EdgeRouting;
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

  constructor(opts: { site: string; state: CloudState; routing: EdgeRouting; host?: string; port?: number }) {
    this.site = opts.site;
    this.state = opts.state;
    this.routing = opts.routing;
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
  decide(
    facts: RequestFacts,
  ): { redirect: string; status: number } | { origin: string } | { error: number; title: string } {
    if (this.routing.mode === 'url-map') return urlMapDecision(this.state.compute, this.routing);
    const zone = this.state.zones.get(this.routing.zoneId);
    if (!zone) return { error: 1001, title: 'DNS resolution error' };
    const r = this.routing;
    if (r.mode === 'page-rule') {
      const rule = zone.pageRules.get(r.pageRuleId);
      if (rule?.status === 'active') {
        const targets = Array.isArray(rule.targets) ? rule.targets : [];
        const pattern = targets
          .map((t) => (isObj(t) && isObj(t.constraint) ? String(t.constraint.value) : ''))
          .find(Boolean);
        const captures = pattern
          ? matchPattern(pattern, `${facts.host}${facts.path}${facts.query ? `?${facts.query}` : ''}`)
          : undefined;
        const action = (Array.isArray(rule.actions) ? rule.actions : []).find(
          (a) => isObj(a) && a.id === 'forwarding_url',
        );
        if (captures && isObj(action) && isObj(action.value)) {
          const to = String(action.value.url).replace(/\$(\d)/g, (_, n: string) => captures[Number(n) - 1] ?? '');
          return { redirect: to, status: Number(action.value.status_code ?? 302) };
        }
      }
      return { origin: r.origin };
    }
    if (r.mode === 'redirect-rule') {
      const rulesetId = zone.entrypoints.get(REDIRECT_PHASE);
      const rules = rulesetId ? (zone.rulesets.get(rulesetId)?.rules ?? []) : [];
      for (const rule of rules) {
        if (rule.enabled === false || rule.action !== 'redirect' || typeof rule.expression !== 'string') continue;
        if (!evaluateExpression(rule.expression, facts)) continue;
        const params =
          isObj(rule.action_parameters) && isObj(rule.action_parameters.from_value)
            ? rule.action_parameters.from_value
            : undefined;
        const target = params && isObj(params.target_url) ? params.target_url : undefined;
        if (!params || !target) continue;
        let to =
          typeof target.value === 'string' ? target.value : evaluateTarget(String(target.expression ?? '""'), facts);
        if (params.preserve_query_string && facts.query) to += `${to.includes('?') ? '&' : '?'}${facts.query}`;
        return { redirect: to, status: Number(params.status_code ?? 301) };
      }
      return { origin: r.origin };
    }
    const record = zone.dnsRecords.get(r.recordId);
    const origin = record ? r.hosts[String(record.content)] : undefined;
    return origin ? { origin } : { error: 1016, title: 'Origin DNS error' };
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

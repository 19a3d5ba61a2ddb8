// One local HTTP server speaking the simulated APIs of apis.ts (Cloud Run Admin v2 IAM, Cloud
// Monitoring v3 alert policies, Cloudflare v4 page rules, rulesets and DNS, ...), with fault
// injection, an audit log, and a control API under /_sandbox/ for tests and for other processes
// (demo, drills, CLI).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuditLog } from './audit.ts';
import type { SimulatedApi } from './api-module.ts';
import { APIS, apiNamed } from './apis.ts';
import { FaultInjector } from './faults.ts';
import {
  CloudflareApiError,
  GoogleApiError,
  cloudflareError,
  googleError,
  readBody,
  type ApiRequest,
  type ApiResponse,
  type Route,
} from './http.ts';
import { iamOf, type IamChange } from './iam.ts';
import { CloudState } from './state.ts';
import type { FaultRule } from './types.ts';

export interface CloudApiOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Seeds the fault dice and the ids the simulator hands out. */
  seed?: number;
}

/** Extra control endpoints (the world adds /_sandbox/sites/...). */
export type ControlHook = (
  method: string,
  parts: string[],
  body: unknown,
) => Promise<ApiResponse | undefined> | ApiResponse | undefined;

const MAX_TIMEOUT_HOLD_MS = 5 * 60_000;

const json = (status: number, body: unknown): ApiResponse => ({ status, body });

export class CloudApi {
  readonly state: CloudState;
  readonly faults: FaultInjector;
  readonly log = new AuditLog();
  controlHook: ControlHook | undefined;
  private readonly server: Server;
  private readonly host: string;
  private readonly port: number;
  private address: AddressInfo | undefined;
  private readonly stalled = new Set<ServerResponse>();

  constructor(opts: CloudApiOptions = {}) {
    this.state = new CloudState(opts.seed ?? 1);
    this.faults = new FaultInjector(opts.seed ?? 1);
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed)
          send(res, json(500, { error: { code: 500, message: String(err), status: 'INTERNAL' } }));
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => resolve());
    });
    this.address = this.server.address() as AddressInfo;
    return this.url;
  }

  get url(): string {
    if (!this.address) throw new Error('the cloud API simulator is not started');
    return `http://${this.host}:${this.address.port}`;
  }

  get boundPort(): number {
    if (!this.address) throw new Error('the cloud API simulator is not started');
    return this.address.port;
  }

  async stop(): Promise<void> {
    this.faults.release(undefined, 'drop');
    for (const res of this.stalled) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(method: string, path: string): { api: SimulatedApi; route: Route } | undefined {
    for (const api of APIS) {
      const route = api.route(this.state, method, path);
      if (route) return { api, route };
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    if (url.pathname.startsWith('/_sandbox/') || url.pathname === '/_sandbox') {
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return send(res, json(400, { error: 'body is not JSON' }));
      }
      return send(
        res,
        (await this.control(method, url, body)) ??
          json(404, { error: `no control endpoint ${method} ${url.pathname}` }),
      );
    }
    const routed = this.route(method, url.pathname);
    if (!routed) {
      const owner = APIS.find((a) => url.pathname.startsWith(a.prefix)) ?? apiNamed('run');
      return send(res, owner.dialect.notFound(method, url.pathname));
    }
    const { api, route } = routed;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return send(res, api.dialect.malformedJson());
    }
    const request: ApiRequest = { method, url, headers: req.headers, body };
    const fault = this.faults.pick(route.api, route.op, route.resource);
    const record = (status: number, before?: unknown, after?: unknown) => {
      this.log.call({
        api: route.api,
        op: route.op,
        method,
        path: url.pathname,
        resource: route.resource,
        status,
        ...(fault?.label && { fault: fault.label }),
      });
      if (route.mutating)
        this.log.mutation({
          api: route.api,
          op: route.op,
          method,
          path: url.pathname,
          resource: route.resource,
          status,
          before,
          after,
        });
    };

    if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault?.reset) {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault?.timeout) {
      record(0);
      this.stalled.add(res);
      const cap = setTimeout(() => res.destroy(), MAX_TIMEOUT_HOLD_MS);
      res.on('close', () => {
        clearTimeout(cap);
        this.stalled.delete(res);
      });
      return;
    }
    if (fault?.hold === 'before') {
      const { outcome } = this.faults.hold({ api: route.api, op: route.op, resource: route.resource, stage: 'before' });
      if ((await outcome) === 'drop') {
        record(0);
        res.destroy();
        return;
      }
    }
    if (fault?.status) {
      const answer = api.dialect.injectedError(route, fault.status, fault.retryAfterSeconds);
      record(answer.status);
      return send(res, answer);
    }

    const before = route.state?.();
    let answer: ApiResponse;
    try {
      api.dialect.authenticate(this.state, request, route);
      if (fault?.etagConflict) this.concurrentEdit(api, route, fault);
      answer = await route.handle(request, fault);
    } catch (err) {
      const own = api.dialect.answerError?.(err);
      if (own) answer = own;
      else if (err instanceof GoogleApiError)
        answer = googleError(err.status, err.message, err.details, err.statusName);
      else if (err instanceof CloudflareApiError) answer = cloudflareError(err.status, err.code, err.message);
      else throw err;
    }
    record(answer.status, before, route.state?.());

    if (fault?.hold === 'after') {
      const { outcome } = this.faults.hold({ api: route.api, op: route.op, resource: route.resource, stage: 'after' });
      if ((await outcome) === 'drop') {
        res.destroy();
        return;
      }
    }
    send(res, answer);
  }

  /** Another writer changes the resource between the caller's read and write (the API says how). */
  private concurrentEdit(api: SimulatedApi, route: Route, fault: FaultRule): void {
    const edit = api.concurrentEdit?.(this.state, route, fault);
    if (!edit) return;
    this.log.mutation({
      api: route.api,
      op: 'concurrentEdit',
      method: 'SIM',
      path: edit.path,
      resource: route.resource,
      status: 200,
      before: null,
      after: edit.after,
    });
  }

  // --- control API ---------------------------------------------------------------------------

  private async control(method: string, url: URL, body: unknown): Promise<ApiResponse | undefined> {
    const parts = url.pathname.split('/').filter(Boolean).slice(1);
    const key = `${method} ${parts.join('/')}`;
    const since = Number(url.searchParams.get('since') ?? 0);
    switch (key) {
      case 'GET state':
        return json(200, this.state.snapshot());
      case 'GET audit':
        return json(200, this.log.audit(since));
      case 'GET calls':
        return json(200, this.log.calls(since));
      case 'GET seq':
        return json(200, { seq: this.log.lastSeq });
      case 'GET faults':
        return json(200, this.faults.list());
      case 'POST faults':
        return json(200, { id: this.faults.add((body ?? {}) as FaultRule) });
      case 'DELETE faults':
        this.faults.clear();
        return json(200, {});
      case 'GET held':
        return json(200, this.faults.heldRequests());
      case 'POST held/release': {
        const b = (body ?? {}) as { id?: number; drop?: boolean };
        return json(200, { released: this.faults.release(b.id, b.drop ? 'drop' : 'release') });
      }
      case 'POST propagation':
        this.state.propagationDelayMs = Number((body as { delayMs?: number } | undefined)?.delayMs ?? 0);
        return json(200, { delayMs: this.state.propagationDelayMs });
      case 'GET iam':
        return json(200, iamOf(this.state).info());
      case 'POST iam':
        try {
          iamOf(this.state).change((body ?? {}) as IamChange);
        } catch (err) {
          return json(400, { error: (err as Error).message });
        }
        return json(200, iamOf(this.state).info());
      case 'POST seed':
        this.faults.reseed(Number((body as { seed?: number } | undefined)?.seed ?? 1));
        return json(200, {});
    }
    if (method === 'DELETE' && parts[0] === 'faults' && parts[1]) {
      this.faults.remove(Number(parts[1]));
      return json(200, {});
    }
    return this.controlHook?.(method, parts, body);
  }
}

function send(res: ServerResponse, answer: ApiResponse): void {
  if (res.destroyed) return;
  const payload = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...answer.headers,
  });
  res.end(payload);
}

// The primary and standby sites as real HTTP servers. Each page carries a marker
// ("served-by: primary" / "served-by: standby") so probes can tell them apart. The primary can
// be killed (connection refused, or 503) and revived; the standby answers 403, like Cloud Run,
// until anonymous callers may invoke it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SiteRole = 'primary' | 'standby';

export const MARKER: Record<SiteRole, string> = { primary: 'served-by: primary', standby: 'served-by: standby' };

export type KillMode = 'refuse' | '503';

/** The header a site's version is sent in (sites' `readiness.version.header` in the sandbox). */
export const VERSION_HEADER = 'x-app-version';

export interface SiteServerOptions {
  site: string;
  role: SiteRole;
  host?: string;
  port?: number;
  /** Consulted on every request: a status to answer instead of the page (the standby's 403). */
  gate?: (req: IncomingMessage) => number | undefined;
  /** Consulted on every request that gets the page: how long it waits for an instance (a cold start), ms. */
  coldStart?: () => number;
}

const FORBIDDEN = `<html><head><title>403 Forbidden</title></head><body><h1>Error: Forbidden</h1>
<h2>Your client does not have permission to get URL <code>/</code> from this server.</h2></body></html>\n`;

export class SiteServer {
  readonly site: string;
  readonly role: SiteRole;
  private readonly host: string;
  private port: number;
  private readonly gate: ((req: IncomingMessage) => number | undefined) | undefined;
  private readonly coldStart: (() => number) | undefined;
  private server: Server | undefined;
  private down: KillMode | undefined;
  /** A status every request gets, whatever the state (tests: "the standby is broken"). */
  override: number | undefined;
  /** The deployed version, sent as VERSION_HEADER when set (the readiness check compares them). */
  version: string | undefined;
  requests = 0;

  constructor(opts: SiteServerOptions) {
    this.site = opts.site;
    this.role = opts.role;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.gate = opts.gate;
    this.coldStart = opts.coldStart;
  }

  get url(): string {
    return `http://${this.host}:${this.port}/`;
  }

  get isUp(): boolean {
    return this.down === undefined;
  }

  async start(): Promise<string> {
    let server = createServer();
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server = createServer((req, res) => this.answer(req, res));
        server.keepAliveTimeout = 1_000;
        server.once('error', reject);
        server.listen(port, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    if (this.port !== 0) {
      // A revive: the same port again. Retry a little if it is still taken.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(this.port);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } else if (this.role === 'primary') {
      // The primary closes its port when killed and must get the same one back: pick it below the
      // ephemeral range (Linux 32768+, macOS 49152+), where outgoing connections and other
      // "any free port" listeners cannot take it in the meantime.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(20_000 + Math.floor(Math.random() * 12_000));
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 100) throw err;
        }
      }
    } else {
      await listen(0);
    }
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    const path = req.url ?? '/';
    const status = this.override ?? (this.down === '503' ? 503 : this.gate?.(req));
    if (status === 403) {
      res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' });
      res.end(FORBIDDEN.replace('<code>/</code>', `<code>${path.replace(/[<>&"]/g, '')}</code>`));
      return;
    }
    if (status !== undefined && status !== 200) {
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        ...(status === 503 && { 'retry-after': '5' }),
      });
      res.end(`${status} from the ${this.role} of ${this.site}\n`);
      return;
    }
    const page = () => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        ...(this.version !== undefined && { [VERSION_HEADER]: this.version }),
      });
      res.end(
        `<html><body><h1>${this.site}</h1><p>${MARKER[this.role]}</p><p>path: ${path.replace(/[<>&"]/g, '')}</p></body></html>\n`,
      );
    };
    const wait = this.coldStart?.() ?? 0;
    if (wait > 0) setTimeout(page, wait);
    else page();
  }

  /** "refuse": the port closes (connection refused); "503": it answers 503 Service Unavailable. */
  async kill(mode: KillMode = 'refuse'): Promise<void> {
    if (this.down === 'refuse') return;
    this.down = mode;
    if (mode === 'refuse' && this.server) await this.close();
  }

  async revive(): Promise<void> {
    const wasRefusing = this.down === 'refuse';
    this.down = undefined;
    if (wasRefusing) await this.start();
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.close();
  }
}

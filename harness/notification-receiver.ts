// A local endpoint that receives the orchestrator's notifications (webhook and Slack alike): it
// records every request, can be told to fail the next N of them, and de-duplicates by event ID as
// a receiver should. The tests, the sandbox and the drill use it; GET /_received and POST /_fail
// ({"n": 2}) do the same from another process.
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotification {
  /** Request path: one receiver serves several channels (/webhook, /slack). */
  path: string;
  /** The Idempotency-Key header, if any. */
  key?: string;
  body: Record<string, unknown>;
  /** When it arrived (ms since epoch) and what it was answered. */
  at: number;
  status: number;
}

export interface NotificationReceiver {
  url: string;
  /** Every request, failed ones included, in arrival order. */
  requests(): ReceivedNotification[];
  /** The requests answered 2xx, one per event ID (the first). */
  delivered(path?: string): ReceivedNotification[];
  /** Answers the next `n` requests (to paths starting with `path`, if given) with `status` (default 503). */
  failNext(n: number, opts?: { status?: number; path?: string }): void;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The event ID of a request: the header, the body's `id`, or (Slack) the one in the context block. */
export function eventIdOf(n: ReceivedNotification): string | undefined {
  if (n.key) return n.key;
  if (typeof n.body.id === 'string') return n.body.id;
  return /event `([^`]+)`/.exec(JSON.stringify(n.body))?.[1];
}

function sendJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startNotificationReceiver(port = 0, host = '127.0.0.1'): Promise<NotificationReceiver> {
  const requests: ReceivedNotification[] = [];
  let failing: { left: number; status: number; path: string } = { left: 0, status: 503, path: '/' };
  const server: Server = createServer((req, res) => {
    void readJson(req).then((body) => {
      // Its control, for a process that did not start it: what arrived, and failing the next N.
      if (req.url === '/_received' && req.method === 'GET') return void sendJson(res, requests);
      if (req.url === '/_fail' && req.method === 'POST') {
        const { n = 1, status = 503, path = '/' } = body as { n?: number; status?: number; path?: string };
        failing = { left: n, status, path };
        return void sendJson(res, failing);
      }
      const fail = failing.left > 0 && (req.url ?? '/').startsWith(failing.path);
      if (fail) failing = { ...failing, left: failing.left - 1 };
      const status = req.method !== 'POST' ? 405 : fail ? failing.status : 200;
      const key = req.headers['idempotency-key'];
      requests.push({ path: req.url ?? '/', ...(typeof key === 'string' && { key }), body, at: Date.now(), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'failing on purpose');
    });
  });
  server.listen(port, host);
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    requests: () => [...requests],
    delivered(path) {
      const seen = new Set<string>();
      return requests.filter((r) => {
        const id = eventIdOf(r);
        if (r.status !== 200 || (path && !r.path.startsWith(path)) || !id || seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    },
    failNext(n, { status = 503, path = '/' } = {}) {
      failing = { left: n, status, path };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// The bridge's HTTP endpoints: /healthz (and /readyz) for orchestrators, /metrics for Prometheus.
import { type Server, createServer } from 'node:http';
import type { Registry } from 'prom-client';

export interface Health {
  ok: boolean;
  body: Record<string, unknown>;
}

export async function serveHealth(
  at: { host: string; port: number },
  registry: Registry,
  health: () => Health,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz') {
      const { ok, body } = health();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('try /healthz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  return server;
}

// Loopback ports for the local servers the harnesses start: a free one, and waiting for a listener.
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';

/** A port the kernel says is free now (it may be taken again before it is used). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A port free now, below 32768: Temporal stores membership ports in a PostgreSQL smallint, so the
 * kernel's ephemeral range (32768+) is refused at startup.
 */
export async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const srv = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      srv.close();
      await once(srv, 'close');
      return port;
    }
  }
}

export async function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = createConnection({ host, port }, () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

// One in-memory world shared by several worker processes (the fleet benchmark's two workers: an
// incident's activities may run on either, so both must see the same sites). The benchmark's
// process serves its InMemoryWorld over plain HTTP (it plays the clouds, latency included); each
// worker reaches it through a ProviderRegistry whose levers and prober are HTTP calls.
import { Agent, type IncomingMessage, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError, type ProviderErrorKind } from '../activities/errors.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import type { Lever, ProbePolicy, ProviderRegistry, SiteProviders } from '../activities/providers/types.ts';
import type { Snapshot } from '../workflows/types.ts';

type LeverName = 'standbyAccess' | 'traffic' | 'monitor';
interface Call {
  site: string;
  lever: LeverName | 'prober';
  method: 'read' | 'set' | 'restore' | 'check';
  args: unknown[];
}

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

/** Serves a world on 127.0.0.1; returns its URL. */
export async function serveWorld(world: InMemoryWorld): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const call = JSON.parse(await body(req)) as Call;
    let status = 200;
    let out: unknown;
    try {
      const p = world.forSite(call.site);
      if (call.lever === 'prober') {
        const [endpoint, expect] = call.args as Parameters<SiteProviders['prober']['check']>;
        out = await p.prober.check(endpoint, expect);
      } else {
        const lever = p[call.lever] as Lever<string>;
        out =
          call.method === 'read'
            ? await lever.read()
            : call.method === 'set'
              ? await lever.set(call.args[0] as string)
              : await lever.restore(call.args[0] as Snapshot);
      }
    } catch (err) {
      status = 500;
      out =
        err instanceof ProviderError
          ? { kind: err.kind, message: err.message }
          : { kind: 'unavailable', message: String(err) };
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A worker's view of a served world; `isAt` mirrors the in-memory world's (snapshot[lever] === position). */
export class RemoteWorld implements ProviderRegistry {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly url: URL;
  private readonly probePolicy: ProbePolicy;

  constructor(url: string, probePolicy: ProbePolicy) {
    this.url = new URL(url);
    this.probePolicy = probePolicy;
  }

  private call<T>(c: Call): Promise<T> {
    const payload = JSON.stringify(c);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        this.url,
        { method: 'POST', agent: this.agent, headers: { 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          body(res).then((text) => {
            const out = JSON.parse(text) as T & { kind?: ProviderErrorKind; message?: string };
            if (res.statusCode === 200) resolve(out);
            else reject(new ProviderError(out.kind ?? 'unavailable', out.message ?? text));
          }, reject);
        },
      );
      req.on('error', (err) => reject(new ProviderError('unavailable', `shared world: ${err.message}`)));
      req.end(payload);
    });
  }

  forSite(site: string): SiteProviders {
    const lever = <P extends string>(name: LeverName): Lever<P> => ({
      resource: `shared in-memory ${name} of ${site}`,
      read: () => this.call({ site, lever: name, method: 'read', args: [] }),
      isAt: (position, snapshot) => snapshot[name] === position,
      set: (position) => this.call({ site, lever: name, method: 'set', args: [position] }),
      restore: (before) => this.call({ site, lever: name, method: 'restore', args: [before] }),
    });
    return {
      standbyAccess: lever('standbyAccess'),
      traffic: lever('traffic'),
      monitor: lever('monitor'),
      prober: {
        check: (endpoint, expect) => this.call({ site, lever: 'prober', method: 'check', args: [endpoint, expect] }),
      },
      probe: this.probePolicy,
    };
  }
}

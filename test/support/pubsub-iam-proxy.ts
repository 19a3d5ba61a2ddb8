// The Pub/Sub emulator as an identity with fewer rights sees Pub/Sub: a plaintext HTTP/2 proxy in
// front of it that answers the refused gRPC methods with Pub/Sub's own 403, PERMISSION_DENIED
// ("User not authorized to perform this action.", grpc-status 7, trailers only) and passes every
// other call through, byte for byte. The emulator enforces no IAM; this is where a test gets it.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface IamProxy {
  /** host:port, for a client's apiEndpoint. */
  host: string;
  /** Calls refused so far, by method name (e.g. GetSubscription). */
  refused: string[];
  /** Methods refused from now on, e.g. ['GetSubscription'] for roles/pubsub.subscriber alone. */
  refuse(methods: string[]): void;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'http2-settings']);

function forwardable(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k) && k !== ':status'));
}

export async function startIamProxy(upstreamHost: string, refusedMethods: string[] = []): Promise<IamProxy> {
  let denied = new Set(refusedMethods);
  const refused: string[] = [];
  const upstream = http2.connect(`http://${upstreamHost}`);
  upstream.on('error', () => {}); // each stream reports its own failure
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const method = String(headers[':path']).split('/').pop()!;
    if (denied.has(method)) {
      refused.push(method);
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '7',
          'grpc-message': encodeURIComponent('User not authorized to perform this action.'),
        },
        { endStream: true },
      );
      return;
    }
    const req = upstream.request(forwardable(headers));
    let trailers: http2.OutgoingHttpHeaders = {};
    let trailersOnly = false;
    req.on('response', (h) => {
      // A status in the headers (an error, no message) is a trailers-only answer: so is ours.
      trailersOnly = 'grpc-status' in h;
      stream.respond(
        { ...forwardable(h), ':status': h[':status'] },
        trailersOnly ? { endStream: true } : { waitForTrailers: true },
      );
    });
    req.on('trailers', (t) => (trailers = forwardable(t)));
    req.on('data', (chunk: Buffer) => stream.write(chunk));
    req.on('end', () => trailersOnly || stream.end());
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.on('data', (chunk: Buffer) => req.write(chunk));
    stream.on('end', () => req.end());
    req.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => req.close());
    stream.on('error', () => req.close());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    refused,
    refuse: (methods) => (denied = new Set(methods)),
    stop: async () => {
      upstream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

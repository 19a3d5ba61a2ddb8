// The real Pub/Sub emulator (`gcloud beta emulators pubsub start`), one per suite that needs it,
// on a free loopback port. Also used by the benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';

export interface PubSubEmulator {
  /** host:port, what PUBSUB_EMULATOR_HOST would hold. */
  host: string;
  projectId: string;
  /** A client bound to this emulator (independent of PUBSUB_EMULATOR_HOST). */
  client(): PubSub;
  stop(): Promise<void>;
}

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

/** gcloud when it is on PATH, else the emulator's own launcher inside the Cloud SDK. */
function emulatorCommand(host: string, port: number, projectId: string): [string, string[]] {
  const gcloud = spawnSync('sh', ['-c', 'command -v gcloud'], { encoding: 'utf8' }).stdout.trim();
  if (gcloud)
    return [
      gcloud,
      ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}:${port}`, `--project=${projectId}`, '--quiet'],
    ];
  const roots = [
    process.env.CLOUDSDK_ROOT_DIR,
    '/usr/lib/google-cloud-sdk',
    '/usr/share/google-cloud-sdk',
    '/opt/google-cloud-sdk',
  ];
  for (const root of roots) {
    const bin = root && join(root, 'platform/pubsub-emulator/bin/cloud-pubsub-emulator');
    if (bin && existsSync(bin)) return [bin, [`--host=${host}`, `--port=${port}`]];
  }
  throw new Error(
    'the Pub/Sub emulator is not installed: install the Google Cloud CLI with its pubsub-emulator component ' +
      '(Debian: google-cloud-cli and google-cloud-cli-pubsub-emulator, plus a Java 11+ runtime)',
  );
}

export async function startPubSubEmulator(projectId = 'failover-test', timeoutMs = 60_000): Promise<PubSubEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const [cmd, args] = emulatorCommand('127.0.0.1', port, projectId);
  // Its own process group: gcloud starts java as a child, and stop() must end both.
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => void (output = (output + b.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the Pub/Sub emulator exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`,
      );
    }
    try {
      const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      throw new Error(`the Pub/Sub emulator did not answer on ${host} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    host,
    projectId,
    client: () => emulatorClient(host, projectId),
    async stop() {
      process.off('exit', onExit);
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      killGroup('SIGKILL'); // java may outlive gcloud
    },
  };
}

export function emulatorClient(host: string, projectId: string): PubSub {
  // No Google Cloud here: skip the auth library's probe of the GCE metadata server.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  return new PubSub({ projectId, apiEndpoint: host, emulatorMode: true });
}

/** A topic and a pull subscription on it (the notification channel's, in production). */
export async function createTopicAndSubscription(
  pubsub: PubSub,
  topic: string,
  subscription: string,
  ackDeadlineSeconds = 10,
): Promise<void> {
  const [t] = await pubsub.createTopic(topic);
  await t.createSubscription(subscription, { ackDeadlineSeconds });
}

// The real Pub/Sub emulator (`gcloud beta emulators pubsub start`), one per suite that needs it,
// on a free loopback port. Used by the bridge suites, the drill and the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { freePort } from './ports.ts';
import { spawnProc } from './processes.ts';

export interface PubSubEmulator {
  /** host:port, what PUBSUB_EMULATOR_HOST would hold. */
  host: string;
  projectId: string;
  /** A client bound to this emulator (independent of PUBSUB_EMULATOR_HOST). */
  client(): PubSub;
  stop(): Promise<void>;
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
  const proc = spawnProc({ name: 'the Pub/Sub emulator', cmd, args });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { exitCode, signalCode } = proc.child;
    if (exitCode !== null || signalCode !== null) {
      await proc.stop();
      throw new Error(`the Pub/Sub emulator exited (${exitCode ?? signalCode}) before it was ready:\n${proc.output()}`);
    }
    try {
      const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await proc.stop(0);
      throw new Error(`the Pub/Sub emulator did not answer on ${host} within ${timeoutMs} ms:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    host,
    projectId,
    client: () => emulatorClient(host, projectId),
    stop: () => proc.stop(5000), // the whole group: java may outlive gcloud
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

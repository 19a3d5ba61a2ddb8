// The sandbox world as a process of its own (the compose `sandbox` profile): the cloud API
// simulator and the sites on fixed ports, its config written for the worker, bridge and watcher
// locations, up until SIGTERM.
//
//   node sandbox/main.ts [config path, default /sandbox/sites.yaml]
//
// Environment: SANDBOX_HOST (the name other containers reach it by; it also binds there, default
// 127.0.0.1), SANDBOX_API_PORT (8480), SANDBOX_PROPAGATION_MS (simulated IAM delay, 3000),
// SANDBOX_WATCH_LOCATIONS (comma-separated, default "compose-a,compose-b"), CLOUDFLARE_API_TOKEN
// (the token the simulator accepts; default a random one, written beside the config as
// `cloudflare-token`), PUBSUB_EMULATOR_HOST (then a topic, a subscription and a dead-letter topic
// are created there, and the config gets an `alerts` section for the bridge).
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startSandboxWorld } from './world.ts';

const PROJECT = 'sandbox-project';
const TOPIC = 'failover-alerts';
const SUBSCRIPTION = 'failover-bridge';
const DEAD_LETTER = 'failover-alerts-rejected';

const configPath = process.argv[2] ?? '/sandbox/sites.yaml';
const host = process.env.SANDBOX_HOST ?? '127.0.0.1';
const apiPort = Number(process.env.SANDBOX_API_PORT ?? 8480);
const token = process.env.CLOUDFLARE_API_TOKEN || `sandbox-${randomBytes(16).toString('hex')}`;
const locations = (process.env.SANDBOX_WATCH_LOCATIONS ?? 'compose-a,compose-b')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const world = await startSandboxWorld({
  host,
  apiPort,
  project: PROJECT,
  cloudflareToken: token,
  // Fixed ports: URLs in Temporal's persisted history keep their meaning across restarts.
  sites: [
    { name: 'www', traffic: 'redirect-rule', ports: { primary: 8481, standby: 8482, edge: 8483 } },
    { name: 'shop', traffic: 'dns', ports: { primary: 8484, standby: 8485, edge: 8486 } },
  ],
  propagationDelayMs: Number(process.env.SANDBOX_PROPAGATION_MS ?? 3000),
  probe: {
    interval: '250ms',
    successesNeeded: 2,
    standbyReadyTimeout: '5m',
    verifyTimeout: '2m',
    primaryCheckTimeout: '2m',
  },
});

const extra: Record<string, unknown> = {
  watcher: {
    interval: '1s',
    failuresToTrigger: 3,
    successesToRecover: 2,
    locations,
    quorum: Math.floor(locations.length / 2) + 1,
  },
};
const emulator = process.env.PUBSUB_EMULATOR_HOST;
if (emulator) {
  await createAlertPipe(emulator);
  extra.alerts = {
    projectId: PROJECT,
    subscription: SUBSCRIPTION,
    deadLetterTopic: DEAD_LETTER,
    testNotifications: 'trigger',
    http: { host: '0.0.0.0', port: 9465 },
  };
}

// Written atomically, token first: a waiting worker starts as soon as the config appears.
mkdirSync(dirname(configPath), { recursive: true });
writeFileSync(join(dirname(configPath), 'cloudflare-token'), token, { mode: 0o644 });
if (emulator) writeFileSync(join(dirname(configPath), 'pubsub-emulator-host'), emulator);
// The simulated metadata server: a worker's readiness probe of the closed standby gets its ID token there.
writeFileSync(join(dirname(configPath), 'gce-metadata-host'), world.env.GCE_METADATA_HOST);
world.writeConfig(`${configPath}.tmp`, extra);
renameSync(`${configPath}.tmp`, configPath);
console.log(
  `[sandbox] cloud API simulator and control API on ${world.urls.api} (sites: ${Object.keys(world.sites).join(', ')}); config in ${configPath}${emulator ? `; alerts on ${TOPIC} → ${SUBSCRIPTION} at ${emulator}` : ''}`,
);

async function createAlertPipe(emulatorHost: string): Promise<void> {
  const { PubSub } = await import('@google-cloud/pubsub');
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulatorHost, emulatorMode: true });
  const exists = (err: unknown) => /already exists|ALREADY_EXISTS|6 /.test(String(err));
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      // The emulator takes a few seconds to come up; everything is created idempotently.
      for (const t of [TOPIC, DEAD_LETTER])
        await pubsub.createTopic(t).catch((e: unknown) => {
          if (!exists(e)) throw e;
        });
      await pubsub
        .topic(TOPIC)
        .createSubscription(SUBSCRIPTION, { ackDeadlineSeconds: 30 })
        .catch((e: unknown) => {
          if (!exists(e)) throw e;
        });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  await pubsub.close();
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void world.stop().finally(() => process.exit(0));
  });
}

// The compose stack, brought up for real (npm run test:compose): a Docker engine started for this
// test only, local stand-ins for the images no registry serves here, `docker-compose --profile
// sandbox up -d --build`, then through it: a failover during which the Temporal server container
// is SIGKILLed and restarted, a failback through the CLI in the worker container, an alert through
// the Pub/Sub bridge, the schema one-shot run again, the UI, and no secret in any log or history.
// Everything is torn down after.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Engine, startEngine } from '../../scripts/compose-engine.ts';
import { APP_IMAGE, buildAppImage, buildStandIns } from '../../scripts/stand-in-images.ts';
import { SandboxClient } from '../../sandbox/control.ts';
import { diff } from '../../sandbox/world.ts';
import { incidentWorkflowId, requestFailback, statusQuery } from '../../workflows/incident-messages.ts';
import type { IncidentStatus, Phase } from '../../workflows/incident-types.ts';
import { effectiveMutations } from '../support/sandbox.ts';
import { findSecrets } from '../support/secrets.ts';
import { notification } from '../../harness/notification.ts';
import { freeLowPort } from '../../harness/ports.ts';
import { waitFor } from '../../harness/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOGS = join(ROOT, '.data/compose-logs');
const PROJECT = 'failover-e2e';
const run = promisify(execFile);
const t0 = Date.now();
const progress = (msg: string) => console.log(`[compose +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

// The test's own Cloudflare token: it must never show up in a log or a history.
const TOKEN = `sandbox-e2e-${randomBytes(16).toString('hex')}`;
let engine: Engine | undefined;
let env: Record<string, string>;
let ports: Record<'temporal' | 'ui' | 'api' | 'www' | 'shop' | 'pubsub', number>;
let client: Client;
let control: SandboxClient;
let setUp = false;

async function compose(args: string[], timeoutMs = 600_000): Promise<string> {
  const { stdout, stderr } = await run(
    'docker-compose',
    [
      '-p',
      PROJECT,
      '-f',
      join(ROOT, 'docker-compose.yml'),
      '-f',
      join(ROOT, 'test/compose/no-egress.yml'),
      '--profile',
      'sandbox',
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    },
  ).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `docker-compose ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`,
    );
  });
  void stderr;
  return stdout;
}

/** GET / on a published edge port, with the Host header users would send. */
function publicGet(port: number, host: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/', headers: { host }, timeout: 10_000 }, (r) => {
      r.resume();
      resolve({ status: r.statusCode ?? 0, ...(r.headers.location && { location: r.headers.location }) });
    });
    req.on('error', reject);
  });
}

/** The incident's status; undefined while Temporal (or the workflow) does not answer. */
async function status(site: string): Promise<IncidentStatus | undefined> {
  return client.workflow.getHandle(incidentWorkflowId(site)).query(statusQuery);
}
const reach = (site: string, phase: Phase, timeoutMs: number) =>
  waitFor(
    `${site} reaches ${phase}`,
    async () => ((await status(site))?.phase === phase ? (await status(site))! : undefined),
    timeoutMs,
    250,
  );

beforeAll(async () => {
  progress('starting the Docker engine');
  engine = await startEngine();
  // Built by scripts/prepare-compose.ts before the main suites (npm test); here only when run alone.
  progress('local stand-in images');
  const images = await buildStandIns(engine);
  await buildAppImage(engine, images.NODE_IMAGE);
  ports = {
    temporal: await freeLowPort(),
    ui: await freeLowPort(),
    api: await freeLowPort(),
    www: await freeLowPort(),
    shop: await freeLowPort(),
    pubsub: await freeLowPort(),
  };
  env = {
    ...engine.env,
    ...images,
    FAILOVER_IMAGE: APP_IMAGE,
    SANDBOX_CLOUDFLARE_TOKEN: TOKEN,
    SANDBOX_PROPAGATION_MS: '1000',
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    SANDBOX_API_PORT: String(ports.api),
    SANDBOX_WWW_PORT: String(ports.www),
    SANDBOX_SHOP_PORT: String(ports.shop),
    PUBSUB_PORT: String(ports.pubsub),
  };
  await compose(['down', '-v', '--remove-orphans', '--timeout', '5']); // leftovers of an interrupted run
  progress(`docker-compose up -d --build (images: ${Object.values(images).join(', ')})`);
  await compose(['up', '-d', '--build']);
  progress('stack up; waiting for the worker to be healthy');
  control = new SandboxClient(`http://127.0.0.1:${ports.api}`);
  await withLogsOf(
    'sandbox',
    waitFor('sandbox control API', () => control.info(), 120_000, 250),
  );
  await withLogsOf(
    'worker',
    waitFor(
      'worker healthy',
      async () => (await compose(['ps'], 30_000)).split('\n').some((l) => /_worker_1\s.*\(healthy\)/.test(l)),
      180_000,
      1000,
    ),
  );
  const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  client = new Client({ connection });
  progress('ready');
  setUp = true;
}, 1_200_000);

/** A service that never came up says why: its last log lines join the time-out's error. */
async function withLogsOf<T>(service: string, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (err) {
    const logs = await compose(['logs', '--no-color', '--tail', '40', service], 30_000).catch((e: unknown) =>
      String(e),
    );
    throw new Error(`${(err as Error).message}\nlast log lines of ${service}:\n${logs}`, { cause: err });
  }
}

// After a failed set-up the set-up's error is the report: tearing down is best effort then, and an
// engine that is already gone is nothing to tear down. After a good one, leftovers are a failure.
afterAll(async () => {
  if (!engine) return;
  try {
    if (!engine.alive()) {
      progress('teardown: the Docker engine is not running; nothing to tear down');
      return;
    }
    await tearDown(engine);
  } catch (err) {
    if (setUp) throw err;
    progress(`teardown after a failed set-up: ${(err as Error).message}`);
  } finally {
    await engine.stop();
    progress('engine stopped');
  }
}, 300_000);

async function tearDown(engine: Engine): Promise<void> {
  mkdirSync(LOGS, { recursive: true });
  writeFileSync(
    join(LOGS, 'stack.log'),
    await compose(['logs', '--no-color', '--timestamps'], 60_000).catch((e: unknown) => String(e)),
  );
  await client?.connection.close();
  progress('tearing down: containers, networks, volumes');
  await compose(['down', '-v', '--remove-orphans', '--timeout', '10']);
  const left = engine
    .docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`], { quiet: true })
    .trim();
  engine.docker(['container', 'prune', '-f'], { quiet: true }); // intermediate containers of failed builds
  if (left) throw new Error(`containers left after down: ${left}`);
}

test(
  'readiness in the stack: the worker scheduled it at start; `failover readiness` finds every site ready (an ID token from the sandbox)',
  { timeout: 180_000 },
  async () => {
    // Described, not listed (the list is eventually consistent); made just after the worker is healthy.
    for (const site of ['www', 'shop']) {
      const d = await waitFor(`the readiness schedule of ${site}`, () =>
        client.schedule
          .getHandle(`failover-readiness-${site}`)
          .describe()
          .catch(() => undefined),
      );
      expect(d.action.workflowType).toBe('readiness');
    }
    // Not ready exits 1: the error then carries the checks, and the assertion shows them.
    const out = await compose(['exec', '-T', 'worker', 'failover', 'readiness', '--json'], 120_000).catch(
      (err: Error) => err.message,
    );
    expect(out.trimStart().startsWith('['), out).toBe(true);
    const results = JSON.parse(out) as Array<{ site: string; ready: boolean; checks: { status: string }[] }>;
    expect(
      results.map((r) => [r.site, r.ready]),
      out,
    ).toEqual(
      expect.arrayContaining([
        ['www', true],
        ['shop', true],
      ]),
    );
  },
);

test(
  'failover with the Temporal server killed in the middle, failback through the CLI: completes, nothing applied twice',
  { timeout: 600_000 },
  async () => {
    const seq = await control.seq();
    const before = await control.snapshot();
    // Hold the incident in await_standby_ready (IAM "propagates" for 20 s) to kill Temporal there.
    await control.setPropagationDelay(20_000);
    await control.killPrimary('www');
    progress('www primary killed; waiting for the watcher to open the incident');
    await waitFor(
      'www awaits its standby',
      async () => (await status('www'))?.steps.some((s) => s.name === 'await_standby_ready' && s.outcome === 'running'),
      60_000,
      250,
    );
    progress('incident in await_standby_ready: SIGKILL the Temporal server container');
    await compose(['kill', '-s', 'SIGKILL', 'temporal']);
    await new Promise((r) => setTimeout(r, 3000));
    await expect(status('www')).rejects.toThrow(); // really down
    await compose(['start', 'temporal']);
    progress('Temporal restarted; the incident must go on from where it was');
    const s = await reach('www', 'on_standby', 240_000);
    expect(s.warnings).toEqual([]);
    progress(`www on_standby (${s.steps.length} steps)`);

    // Users are sent to the standby: the public URL (the edge, asked for the site's own host name)
    // redirects there.
    const res = await publicGet(ports.www, 'sandbox:8483');
    expect(res.status, JSON.stringify(res)).toBe(302);
    expect(res.location).toContain('sandbox:8482');

    // The CLI in the worker container sees it, and fails back once the primary is revived.
    expect(await compose(['exec', '-T', 'worker', 'failover', 'status', 'www'])).toMatch(/on_standby|on standby/);
    await control.setPropagationDelay(0);
    await control.revivePrimary('www');
    progress('primary revived; failover failback www (CLI in the worker container)');
    await compose(['exec', '-T', 'worker', 'failover', 'failback', 'www']);
    await reach('www', 'resolved', 120_000);
    progress('www resolved');

    // The world is as it was, and each change was applied exactly once each way.
    expect(diff(before, await control.snapshot())).toEqual([]);
    const applied = effectiveMutations(await control.audit(seq));
    const info = (await control.info()).sites.www!;
    for (const r of [info.resources.service!, info.resources.alertPolicy!]) expect(applied[r], r).toHaveLength(2);
    const rule = Object.keys(applied).find((r) => r.endsWith(info.resources.ruleId!));
    expect(rule && applied[rule]).toHaveLength(2);
  },
);

test('an alert through Pub/Sub reaches the incident through the bridge', { timeout: 300_000 }, async () => {
  const pubsub = new PubSub({
    projectId: 'sandbox-project',
    apiEndpoint: `127.0.0.1:${ports.pubsub}`,
    emulatorMode: true,
  });
  try {
    await control.killPrimary('shop');
    await pubsub
      .topic('failover-alerts')
      .publishMessage({ json: notification({ incidentId: 'e2e-1', state: 'open', site: 'shop' }) });
    progress('alert published for shop');
    await reach('shop', 'on_standby', 120_000);
    const s = (await status('shop'))!;
    expect(
      s.triggers.some((t) => t.source === 'pubsub' || JSON.stringify(t).includes('e2e-1')),
      JSON.stringify(s.triggers),
    ).toBe(true);
    const metrics = await compose([
      'exec',
      '-T',
      'bridge',
      'node',
      '-e',
      "fetch('http://127.0.0.1:9465/metrics').then(r=>r.text()).then(t=>console.log(t))",
    ]);
    expect(metrics).toMatch(/failover_bridge_messages_received_total [1-9]/);
    expect(metrics).not.toMatch(/failover_bridge_messages_rejected_total\{[^}]*\} [1-9]/);
    await control.revivePrimary('shop');
    await client.workflow
      .getHandle(incidentWorkflowId('shop'))
      .executeUpdate(requestFailback, { args: [{ by: 'compose-test' }] });
    await reach('shop', 'resolved', 120_000);
    progress('shop resolved');
  } finally {
    await pubsub.close();
  }
});

test(
  'the schema one-shot again, as every `up` runs it: done on migrated databases, the server unharmed',
  {
    timeout: 180_000,
  },
  async () => {
    const out = await compose(['run', '--rm', '-T', '--no-deps', 'temporal-schema'], 120_000); // throws unless exit 0
    expect(out).toContain('temporal-schema: temporal is at the schema');
    expect(out).toContain('temporal-schema: temporal_visibility is at the schema');
    const ns = await client.workflowService.describeNamespace({ namespace: 'default' });
    expect(ns.namespaceInfo?.name).toBe('default');
  },
);

test('the Temporal UI answers and reads the namespace through the server', { timeout: 120_000 }, async () => {
  const page = await waitFor(
    'UI page',
    async () => {
      const r = await fetch(`http://127.0.0.1:${ports.ui}/`);
      return r.ok ? r.text() : undefined;
    },
    60_000,
    250,
  );
  expect(page).toMatch(/<html/i);
  const ns = await waitFor(
    'UI API',
    async () => {
      const r = await fetch(`http://127.0.0.1:${ports.ui}/api/v1/namespaces`);
      return r.ok ? r.text() : undefined;
    },
    60_000,
    250,
  );
  expect(ns).toContain('"default"');
});

test(
  'no secret in the worker, bridge and watcher logs, nor in any incident history',
  { timeout: 120_000 },
  async () => {
    const logs = await compose(['logs', '--no-color', 'worker', 'bridge', 'location', 'temporal-init'], 60_000);
    mkdirSync(LOGS, { recursive: true });
    writeFileSync(join(LOGS, 'processes.log'), logs);
    expect(logs.length).toBeGreaterThan(1000); // they did log: the scan saw something
    expect(logs).toContain('worker started');
    expect(findSecrets(logs, [TOKEN]), 'a secret in a log').toEqual([]);
    // The token reached the worker (it switched traffic with it), so its absence above means something.
    expect(await compose(['exec', '-T', 'worker', 'sh', '-c', 'cat /sandbox/cloudflare-token'])).toBe(TOKEN);
    for (const site of ['www', 'shop']) {
      const history = await client.workflow.getHandle(incidentWorkflowId(site)).fetchHistory();
      const text = JSON.stringify(history, (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'bigint' ? String(v) : v,
      );
      expect(text.length).toBeGreaterThan(1000);
      expect(findSecrets(text, [TOKEN]), `a secret in ${site}'s history`).toEqual([]);
    }
  },
);

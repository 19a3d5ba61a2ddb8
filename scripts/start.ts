// `npm start`: the whole local world in one command, no accounts needed.
//   - a persistent Temporal dev server (SQLite in .data/, Web UI on http://localhost:8233)
//   - the sandbox (sandbox/): the cloud API simulator, and per site a primary, a Cloud Run-like
//     standby and a Cloudflare-like edge on fixed ports, driven through the real SDKs
//   - a worker for those sites, with the health watcher: kill a primary and watch it fail over
// Temporal's state survives a restart (the sandbox starts afresh). `npm start -- --temporal=postgres`
// runs a self-hosted Temporal on PostgreSQL instead of the dev server.
//
// Stopping: Ctrl-C, SIGINT/SIGTERM/SIGHUP to this process or to npm (package.json's start script
// execs, so npm's signal reaches this process), or the parent dying (npm killed outright): each
// stops the worker, then the Temporal server, each as a whole process group, then the sandbox,
// and says so. The children run in their own process groups so a terminal's Ctrl-C reaches only
// this process, which stops them in order; if this process itself dies, they are killed on exit.
//
// While it runs, .data/sandbox.env names the running sandbox (see writePointer) for the CLI.
//
// Environment: TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), SANDBOX_API_PORT (8480; the sites
// take the next six ports), FAILOVER_DATA_DIR (.data). `npm start -- --config <file>` (or
// FAILOVER_CONFIG naming another file than the sandbox's) runs the worker on that config instead.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { portOpen, waitForPort } from '../harness/ports.ts';
import { devServerArgs } from '../harness/temporal.ts';
import { startSandboxWorld } from '../sandbox/world.ts';
import { startSandboxNotifications } from '../sandbox/notifications.ts';
import { errorMessage } from '../workflows/error-text.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DATA = resolve(process.env.FAILOVER_DATA_DIR ?? join(ROOT, '.data'));
const TEMPORAL_PORT = Number(process.env.TEMPORAL_PORT ?? 7233);
const UI_PORT = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const API_PORT = Number(process.env.SANDBOX_API_PORT ?? 8480);
const SANDBOX_CONFIG = join(DATA, 'sandbox.yaml');
const POINTER_FILE = join(DATA, 'sandbox.env');
/** Fixed ports, so URLs in Temporal's persisted history still mean something after a restart. */
const SITES = [
  {
    name: 'www',
    traffic: 'redirect-rule',
    ports: { primary: API_PORT + 1, standby: API_PORT + 2, edge: API_PORT + 3 },
  },
  { name: 'shop', traffic: 'dns', ports: { primary: API_PORT + 4, standby: API_PORT + 5, edge: API_PORT + 6 } },
] as const;

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

// --- children ---------------------------------------------------------------------------------

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}
const children: Child[] = [];

/** Lines that say nothing to a user of the demo (they are about the SDK's own plumbing). */
const NOISE = [
  /^CLI \d+\.\d+/, // the Temporal CLI's banner: CLI version, Server:, UI:, Metrics: lines
  /^(Server|UI|Metrics):\s/,
  /No workflows registered/,
  /Activity not found on completion/,
  /^\s*$/,
];

function relay(name: string, line: string): void {
  if (NOISE.some((re) => re.test(line))) return;
  let text = line;
  if (line.startsWith('{')) {
    try {
      const {
        level,
        time: _t,
        pid: _p,
        hostname: _h,
        msg,
        component: _c,
        ...rest
      } = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg === 'string' && NOISE.some((re) => re.test(msg))) return;
      const lvl = typeof level === 'number' ? (level >= 50 ? 'ERROR ' : level >= 40 ? 'WARN ' : '') : '';
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      text = `${lvl}${String(msg ?? '')}${fields ? `  ${fields}` : ''}`;
    } catch {
      /* not JSON after all */
    }
  }
  process.stdout.write(`[${name}] ${text}\n`);
}

function run(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  // Own process group: a terminal's Ctrl-C reaches only us, and we can stop the whole group.
  const proc = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [proc.stdout!, proc.stderr!])
    createInterface({ input: stream }).on('line', (l) => relay(name, l));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  const child = { name, proc, exited };
  children.push(child);
  return child;
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (proc.pid) process.kill(-proc.pid, signal);
  } catch {
    /* gone already */
  }
}

// --- stopping -----------------------------------------------------------------------------------

let stopping = false;
const cleanups: Array<{ name: string; stop: () => Promise<void> | void }> = [];

/** Stops the newest first (the worker before the server it talks to), each given 15 s, then everything left. */
async function stop(code = 0, why?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`stopping${why ? ` (${why})` : ''}…`);
  const stopped: string[] = [];
  for (const child of [...children].reverse()) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) {
      killGroup(child.proc, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.proc, 'SIGKILL'), 15_000);
      await child.exited;
      clearTimeout(timer);
    }
    killGroup(child.proc, 'SIGKILL'); // anything the leader left behind in its group
    stopped.push(child.name);
  }
  for (const c of cleanups.reverse()) {
    await Promise.resolve(c.stop()).catch(() => {});
    stopped.push(c.name);
  }
  say(`stopped: ${stopped.join(', ') || 'nothing was running'}`);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) {
      // A second signal: do not wait.
      for (const c of children) killGroup(c.proc, 'SIGKILL');
      say('killed');
      process.exit(130);
    }
    process.stdout.write('\n');
    void stop(0, signal);
  });
}
// Whatever ends this process (an error, process.exit), no child outlives it.
process.on('exit', () => {
  for (const c of children) killGroup(c.proc, 'SIGKILL');
  removePointer();
});
// npm (or the shell in between) killed outright: we are re-parented; stop as if told to.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(0, 'parent process gone');
}, 500).unref();

// --- the pointer file ------------------------------------------------------------------------------

/**
 * .data/sandbox.env: what a CLI in another shell needs to reach the running sandbox, as KEY=VALUE
 * lines (shell-sourceable). Present only while `npm start` runs; START_PID tells a stale one.
 */
function writePointer(values: Record<string, string>): void {
  const body = [
    '# Written by `npm start` (scripts/start.ts) while it runs, removed when it stops.',
    '# The running sandbox: its config, the environment variable holding its token, and that token.',
    ...Object.entries(values).map(([k, v]) => `${k}=${/^[\w./:@-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`}`),
    '',
  ].join('\n');
  writeFileSync(POINTER_FILE, body, { mode: 0o600 });
  chmodSync(POINTER_FILE, 0o600);
}
function removePointer(): void {
  try {
    if (readFileSync(POINTER_FILE, 'utf8').includes(`START_PID=${process.pid}\n`)) rmSync(POINTER_FILE);
  } catch {
    /* not there */
  }
}

// --- start ----------------------------------------------------------------------------------------

function configArg(): string | undefined {
  const i = process.argv.indexOf('--config');
  if (i >= 0) return process.argv[i + 1];
  const env = process.env.FAILOVER_CONFIG;
  // The sandbox's own config (exported for the CLI, as older docs said) must not replace the sandbox.
  if (env && resolve(env) !== SANDBOX_CONFIG) return env;
  return undefined;
}

async function main(): Promise<void> {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run `npm start`, which sets up the toolchain');
  const userConfig = configArg();
  const ports = [
    TEMPORAL_PORT,
    UI_PORT,
    ...(userConfig ? [] : [API_PORT, ...SITES.flatMap((s) => Object.values(s.ports))]),
  ];
  const busy = [];
  for (const p of ports) if (await portOpen(p)) busy.push(p);
  if (busy.length)
    throw new Error(
      `port(s) ${busy.join(', ')} already in use: is another \`npm start\` running? (set TEMPORAL_PORT, TEMPORAL_UI_PORT, SANDBOX_API_PORT to move)`,
    );
  mkdirSync(DATA, { recursive: true });

  if (process.argv.includes('--temporal=postgres')) {
    // A self-hosted Temporal on PostgreSQL (scripts/temporal-postgres.ts): the same binaries users run.
    const { startTemporalPostgres } = await import('./temporal-postgres.ts');
    const pg = await startTemporalPostgres({ dir: join(DATA, 'temporal-postgres'), port: TEMPORAL_PORT });
    cleanups.push({ name: 'temporal (PostgreSQL)', stop: () => pg.stop() });
    say(`Temporal server on PostgreSQL at ${pg.address}, state in ${join(DATA, 'temporal-postgres')} (no Web UI)`);
  } else {
    const db = join(DATA, 'temporal.db');
    run('temporal', cli, devServerArgs({ port: TEMPORAL_PORT, uiPort: UI_PORT, dbFile: db }));
    await waitForPort(TEMPORAL_PORT);
    say(`Temporal dev server on 127.0.0.1:${TEMPORAL_PORT}, state in ${db}`);
  }

  let config = userConfig;
  let notifyUrl: string | undefined;
  let workerEnv: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: `127.0.0.1:${TEMPORAL_PORT}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  if (!config) {
    const world = await startSandboxWorld({
      apiPort: API_PORT,
      sites: SITES.map((s) => ({ ...s, ports: { ...s.ports } })),
      // IAM takes minutes to apply on real Cloud Run; a few seconds here, to see the standby wait.
      propagationDelayMs: 3000,
      cloudflareToken: 'sandbox-demo-token',
      probe: { interval: '250ms', successesNeeded: 2 },
      failback: { mode: 'auto', holdDown: '20s' },
    });
    const sandbox = { name: 'sandbox', stop: () => world.stop() };
    cleanups.push(sandbox);
    // Phase changes are posted to a local endpoint (docs/notifications.md): GET <url>/_received lists them.
    const notifications = await startSandboxNotifications({
      port: Number(process.env.SANDBOX_NOTIFY_PORT ?? 0),
      temporalUiUrl: `http://localhost:${UI_PORT}`,
    });
    sandbox.stop = () => notifications.stop().then(() => world.stop()); // part of the sandbox
    notifyUrl = notifications.receiver.url;
    config = SANDBOX_CONFIG;
    world.writeConfig(config, {
      temporal: { address: `127.0.0.1:${TEMPORAL_PORT}`, taskQueue: 'failover' },
      watcher: { interval: '1s', failuresToTrigger: 3 },
      notifications: notifications.config,
    });
    workerEnv = { ...workerEnv, ...world.env, ...notifications.env };
    writePointer({
      FAILOVER_CONFIG: config,
      FAILOVER_TOKEN_ENV: 'CLOUDFLARE_API_TOKEN',
      CLOUDFLARE_API_TOKEN: world.env.CLOUDFLARE_API_TOKEN,
      TEMPORAL_ADDRESS: `127.0.0.1:${TEMPORAL_PORT}`,
      SANDBOX_API: world.urls.api,
      START_PID: String(process.pid),
    });
    const lines = SITES.map((s) => {
      const u = world.urls.sites[s.name]!;
      return `  ${s.name.padEnd(5)} public ${u.public}   primary ${u.primary}   standby ${u.standby}   (${s.traffic})`;
    });
    say(`sandbox: cloud API simulator on ${world.urls.api}\n${lines.join('\n')}`);
  }

  say(`worker for ${config}`);
  const worker = run('worker', process.execPath, ['worker/main.ts', config], workerEnv);
  await new Promise<void>((done, fail) => {
    const rl = createInterface({ input: worker.proc.stdout! });
    rl.on('line', (l) => l.includes('"msg":"worker started"') && (rl.close(), done()));
    void worker.exited.then(() => fail(new Error('the worker exited before it started')));
  });

  const pointer = userConfig ? '' : `  (the CLI finds this sandbox through ${POINTER_FILE.replace(`${ROOT}/`, '')})`;
  console.log(`
  Temporal UI   http://localhost:${UI_PORT}   (list: FailoverPhase = "on_standby")
  Outage        curl -X POST http://127.0.0.1:${API_PORT}/_sandbox/sites/www/primary/kill -d '{}'
                  the watcher sees it within ~3 s; the incident opens the standby, waits, switches the redirect
  Recovery      curl -X POST http://127.0.0.1:${API_PORT}/_sandbox/sites/www/primary/revive -d '{}'
                  automatic failback after 20 s of health (or: ./scripts/failover failback www)
  Steer         ./scripts/failover status | history www | start shop --dry-run | abort www${pointer}${notifyUrl ? `\n  Notified      curl ${notifyUrl}/_received   (each phase change, as a webhook and Slack receive it)` : ''}
  Stop          Ctrl-C
`);
}

main().catch((err: unknown) => {
  say(`failed: ${errorMessage(err)}`);
  void stop(1);
});

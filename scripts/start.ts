// `npm start`: the whole local world in one command, no accounts needed.
//   - a persistent Temporal dev server (SQLite in .data/, Web UI on http://localhost:8233)
//   - the sandbox (sandbox/): the cloud API simulator, and per site a primary, a Cloud Run-like
//     standby and a Cloudflare-like edge on fixed ports, driven through the real SDKs
//   - a worker for those sites, with the health watcher: kill a primary and watch it fail over
// Ctrl-C stops everything; Temporal's state survives a restart (the sandbox starts afresh).
// FAILOVER_CONFIG=<file> runs the worker on that config instead of the sandbox.
// --temporal=postgres: a self-hosted Temporal on PostgreSQL (scripts/temporal-postgres.ts) instead of
// the dev server; state in .data/temporal-postgres/, no Web UI.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEV_SERVER_TUNING } from './local-temporal.ts';
import { startSandboxWorld } from '../sandbox/world.ts';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPORAL_PORT = Number(process.env.TEMPORAL_PORT ?? 7233);
const UI_PORT = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const API_PORT = Number(process.env.SANDBOX_API_PORT ?? 8480);
/** Fixed ports, so URLs in Temporal's persisted history still mean something after a restart. */
const SITES = [
  { name: 'www', traffic: 'redirect-rule', ports: { primary: 8481, standby: 8482, edge: 8483 } },
  { name: 'shop', traffic: 'dns', ports: { primary: 8484, standby: 8485, edge: 8486 } },
] as const;

const children: ChildProcess[] = [];
function run(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
const stopHooks: Array<() => Promise<void>> = [];
/** Stops the newest first (the worker before the server it talks to), each given 15 s. */
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 15_000))]);
  }
  for (const hook of stopHooks.reverse()) await hook().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

async function waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

const cli = process.env.TEMPORAL_CLI;
if (!cli) throw new Error('TEMPORAL_CLI is not set: run `npm start`, which sets up the toolchain');
mkdirSync(`${ROOT}/.data`, { recursive: true });
if (process.argv.includes('--temporal=postgres')) {
  const { startTemporalPostgres } = await import('./temporal-postgres.ts');
  const pg = await startTemporalPostgres({ dir: `${ROOT}/.data/temporal-postgres`, port: TEMPORAL_PORT });
  stopHooks.push(() => pg.stop());
  console.log(`[start] Temporal server on PostgreSQL at ${pg.address}, state in .data/temporal-postgres`);
} else {
  console.log(`[start] Temporal dev server on 127.0.0.1:${TEMPORAL_PORT}, state in .data/temporal.db`);
  run('temporal', cli, [
    'server',
    'start-dev',
    '--db-filename',
    `${ROOT}/.data/temporal.db`,
    '--port',
    String(TEMPORAL_PORT),
    '--ui-port',
    String(UI_PORT),
    '--log-level',
    'error',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...DEV_SERVER_TUNING,
  ]);
  await waitForPort(TEMPORAL_PORT);
}

let config = process.env.FAILOVER_CONFIG;
let workerEnv: NodeJS.ProcessEnv = { TEMPORAL_ADDRESS: `127.0.0.1:${TEMPORAL_PORT}` };
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
  config = `${ROOT}/.data/sandbox.yaml`;
  world.writeConfig(config, {
    temporal: { address: `127.0.0.1:${TEMPORAL_PORT}`, taskQueue: 'failover' },
    watcher: { interval: '1s', failuresToTrigger: 3 },
  });
  workerEnv = { ...workerEnv, ...world.env };
  process.on('exit', () => void world.stop());
  const lines = SITES.map((s) => {
    const u = world.urls.sites[s.name]!;
    return `  ${s.name.padEnd(5)} public ${u.public}   primary ${u.primary}   standby ${u.standby}   (${s.traffic})`;
  });
  console.log(`[start] sandbox: cloud API simulator on ${world.urls.api}\n${lines.join('\n')}`);
}

console.log(`[start] worker for ${config}`);
run('worker', process.execPath, ['worker/main.ts', config], workerEnv);

console.log(`
  Temporal UI   http://localhost:${UI_PORT}   (list: FailoverPhase = "on_standby")
  Outage        curl -X POST http://127.0.0.1:${API_PORT}/_sandbox/sites/www/primary/kill -d '{}'
                  the watcher sees it within ~3 s; the incident opens the standby, waits, switches the redirect
  Recovery      curl -X POST http://127.0.0.1:${API_PORT}/_sandbox/sites/www/primary/revive -d '{}'
                  automatic failback after 20 s of health (or: ./scripts/failover failback www)
  Steer         export FAILOVER_CONFIG=${config}
                ./scripts/failover status | history www | start shop --dry-run | abort www
  Stop          Ctrl-C
`);

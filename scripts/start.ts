// `npm start`: the whole local world in one command, no accounts needed.
//   - a persistent Temporal dev server (SQLite in .data/, Web UI on http://localhost:8233)
//   - a worker for the example config of sites
// Ctrl-C stops everything; state survives a restart.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEV_SERVER_TUNING } from './local-temporal.ts';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPORAL_PORT = Number(process.env.TEMPORAL_PORT ?? 7233);
const UI_PORT = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const CONFIG = process.env.FAILOVER_CONFIG ?? 'config/example.yaml';

const children: ChildProcess[] = [];
function run(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
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
/** Stops the newest first (the worker before the server it talks to), each given 15 s. */
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 15_000))]);
  }
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
console.log(`[start] Temporal dev server on 127.0.0.1:${TEMPORAL_PORT}, state in .data/temporal.db`);
run('temporal', cli, [
  'server', 'start-dev',
  '--db-filename', `${ROOT}/.data/temporal.db`,
  '--port', String(TEMPORAL_PORT),
  '--ui-port', String(UI_PORT),
  '--log-level', 'error',
  ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ...DEV_SERVER_TUNING,
]);
await waitForPort(TEMPORAL_PORT);

console.log(`[start] worker for ${CONFIG}`);
run('worker', process.execPath, ['worker/main.ts', CONFIG], { TEMPORAL_ADDRESS: `127.0.0.1:${TEMPORAL_PORT}` });

console.log(`
  Temporal UI:  http://localhost:${UI_PORT}   (filter: FailoverPhase = "on_standby")
  Trigger:      ${cli} workflow signal-with-start --workflow-id incident-blog --type incident \\
                  --task-queue failover --input '{"site":"blog","policy":{"failback":{"mode":"manual","holdDownMs":300000},"standbyReadyTimeoutMs":900000,"verifyTimeoutMs":120000,"primaryCheckTimeoutMs":30000}}' \\
                  --signal-name alertOpened --signal-input '{"alertId":"demo-1","source":"cli"}'
  Stop:         Ctrl-C
`);

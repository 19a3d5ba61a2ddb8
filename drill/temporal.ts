// A Temporal dev server (the real CLI, `temporal server start-dev`) as a child process, with
// the project's search attributes, optionally with its Web UI. The drill and the browser tests
// use it; the test suite's global setup runs its own, headless.
import { DEV_SERVER_TUNING } from '../scripts/local-temporal.ts';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';
import { type Proc, freePort, spawnProc, waitForPort } from './processes.ts';

export interface DevServer {
  address: string;
  port: number;
  /** The Web UI, when started with one. */
  uiUrl?: string;
  proc: Proc;
  stop(): Promise<void>;
}

export function temporalCli(): string {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run through `sh scripts/run.sh`, which sets up the toolchain');
  return cli;
}

export async function startDevServer(
  opts: { port?: number; uiPort?: number; dbFile?: string; logFile?: string; extraArgs?: string[] } = {},
): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort), '--ui-ip', '127.0.0.1'] : ['--headless']),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    '--log-level',
    'error',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...DEV_SERVER_TUNING,
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawnProc({
    name: 'temporal',
    cmd: temporalCli(),
    args,
    ...(opts.logFile && { logFile: opts.logFile }),
  });
  try {
    await Promise.race([
      waitForPort(port),
      proc.exited.then(() => Promise.reject(new Error(`temporal dev server exited:\n${proc.output()}`))),
    ]);
    if (opts.uiPort) await waitForPort(opts.uiPort);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    ...(opts.uiPort && { uiUrl: `http://127.0.0.1:${opts.uiPort}` }),
    proc,
    stop: () => proc.stop(),
  };
}

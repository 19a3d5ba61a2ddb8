// Local Temporal servers for the harnesses, on the real CLI with the project's search attributes:
// an ephemeral one through the SDK's test environment (test suites, history recording,
// benchmarks), or a dev server as a child process, optionally with its Web UI (the drill, the
// browser tests). `npm start` runs a persistent one with the same arguments.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES, phaseAttribute, readyAttribute, siteAttribute } from '../workflows/search-attributes.ts';
import { freePort, waitForPort } from './ports.ts';
import { type Proc, spawnProc } from './processes.ts';

/**
 * Eager activity execution hands the first activity back in the workflow task's response,
 * skipping a trip through matching (measured: 440 → 240 ms start-to-standby back to back).
 * One task-queue partition avoids forwarding delays on a single-node dev server.
 */
const DEV_SERVER_TUNING = [
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

/** An ephemeral server (in-memory SQLite), through the SDK's test environment. */
export async function startLocalTemporal(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  const cli = process.env.TEMPORAL_CLI; // set by scripts/run.sh
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      searchAttributes: [siteAttribute, phaseAttribute, readyAttribute],
      extraArgs: ['--log-level', 'error', ...DEV_SERVER_TUNING, ...extraArgs],
    },
  });
}

export function temporalCli(): string {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run through `sh scripts/run.sh`, which sets up the toolchain');
  return cli;
}

export interface DevServerArgs {
  port: number;
  /** Default: loopback only. */
  ip?: string;
  /** The Web UI's port; without it the server runs headless. */
  uiPort?: number;
  /** SQLite file that keeps the state; default: in memory. */
  dbFile?: string;
}

/** `temporal server start-dev` arguments, with the project's search attributes and tuning. */
export function devServerArgs(o: DevServerArgs): string[] {
  return [
    'server',
    'start-dev',
    ...(o.ip ? ['--ip', o.ip] : []),
    '--port',
    String(o.port),
    ...(o.uiPort ? ['--ui-port', String(o.uiPort), ...(o.ip ? ['--ui-ip', o.ip] : [])] : ['--headless']),
    ...(o.dbFile ? ['--db-filename', o.dbFile] : []),
    '--log-level',
    'error',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...DEV_SERVER_TUNING,
  ];
}

export interface DevServer {
  address: string;
  port: number;
  /** The Web UI, when started with one. */
  uiUrl?: string;
  proc: Proc;
  stop(): Promise<void>;
}

export async function startDevServer(
  opts: { port?: number; uiPort?: number; dbFile?: string; logFile?: string; extraArgs?: string[] } = {},
): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = [
    ...devServerArgs({
      port,
      ip: '127.0.0.1',
      ...(opts.uiPort && { uiPort: opts.uiPort }),
      ...(opts.dbFile && { dbFile: opts.dbFile }),
    }),
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

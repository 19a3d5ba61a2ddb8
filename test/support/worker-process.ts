// The worker as its own process (node worker/main.ts <config>, or another entry that builds it), for
// tests that kill it.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** Resolves once it logged "worker started" (it polls from then on). */
  started: Promise<void>;
  /** SIGKILL: no graceful shutdown, in-flight activities are simply lost. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();

export function startWorkerProcess(
  configPath: string,
  env: Record<string, string>,
  entry = 'worker/main.ts',
): WorkerProcess {
  const child = spawn(process.execPath, [entry, configPath], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', TEMPORAL_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => (live.delete(child), resolve())));
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-20_000); // the tail is what a failure message needs
      if (out.includes('"msg":"worker started"')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`worker exited before it started:\n${out}`)));
  });
  started.catch(() => {});
  return {
    child,
    output: () => out,
    started,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** For afterAll: no worker outlives its suite. */
export async function killAllWorkerProcesses(): Promise<void> {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

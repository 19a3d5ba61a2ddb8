// Child processes for the harnesses (drill, browser tests, Pub/Sub emulator): each in its own
// process group (so a process that starts children of its own, like gcloud → java, is stopped
// whole), its output kept in a log file, "ready" when a line matches, and stopped by group (TERM,
// then KILL).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: the working directory of the project's own processes. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Proc {
  name: string;
  child: ChildProcess;
  /** The last 20 kB of output, for error messages. */
  output(): string;
  ready: Promise<void>;
  exited: Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Proc>();
process.once('exit', () => {
  for (const p of live) killGroup(p.child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

export function spawnProc(opts: {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile?: string;
  /** Ready when the output matches this; default: at once. */
  readyWhen?: RegExp;
  readyTimeoutMs?: number;
}): Proc {
  const child = spawn(opts.cmd, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  let out = '';
  // Kept first, so the "ready" check below sees the chunk that made it ready.
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
    log?.write(b);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    if (!opts.readyWhen) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`${opts.name} not ready after ${opts.readyTimeoutMs ?? 60_000} ms:\n${out.slice(-4000)}`)),
      opts.readyTimeoutMs ?? 60_000,
    );
    const check = () => {
      if (opts.readyWhen!.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(
          `${opts.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out.slice(-4000)}`,
        ),
      );
    });
  });
  ready.catch(() => {});
  const proc: Proc = {
    name: opts.name,
    child,
    output: () => out,
    ready,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      killGroup(child, 'SIGKILL'); // whatever the leader left behind
      live.delete(proc);
      log?.end();
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

/** The worker process (worker/main.ts) on a config file, ready once it says it started. */
export function spawnWorker(o: { config: string; env?: NodeJS.ProcessEnv; logFile?: string }): Proc {
  return spawnProc({
    name: 'worker',
    cmd: process.execPath,
    args: ['worker/main.ts', o.config],
    cwd: ROOT,
    env: { ...o.env, LOG_LEVEL: 'info', TEMPORAL_LOG_LEVEL: 'WARN' },
    ...(o.logFile && { logFile: o.logFile }),
    readyWhen: /"msg":"worker started"/,
    readyTimeoutMs: 120_000,
  });
}

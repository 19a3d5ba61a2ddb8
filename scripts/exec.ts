// Runs a command without blocking the event loop (a long build must not freeze a test runner's
// progress output): stdout captured and returned, stderr shown as it comes unless `quiet`, in which
// case its tail goes into the error.
import { spawn } from 'node:child_process';

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  quiet?: boolean;
  /** Kills the command and everything it started (its process group, SIGKILL) when it fires. */
  signal?: AbortSignal;
}

export function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      ...(opts.cwd && { cwd: opts.cwd }),
      stdio: ['ignore', 'pipe', opts.quiet ? 'pipe' : 'inherit'],
      detached: opts.signal !== undefined,
    });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    if (opts.signal?.aborted) kill();
    opts.signal?.addEventListener('abort', kill, { once: true });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', kill);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code})${err ? `:\n${err}` : ''}`));
    });
  });
}

// A Docker engine for the compose test, started by hand (no systemd), its state under .data/docker/
// (images stay there between runs of one checkout; scripts/stand-in-images.ts fills it).
//
//   const engine = await startEngine();                  // env.DOCKER_HOST points at it
//   await engine.stop();                                 // by its PID; its iptables changes go with it
//
// The daemon runs with --iptables=false and --ip-forward=false: the host's firewall and forwarding
// stay untouched; published ports go through docker-proxy, containers talk on their bridge, and
// image builds use the host network (they need the Debian and npm registries).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './exec.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DOCKER_ROOT = join(ROOT, '.data/docker');
const log = (msg: string) => console.error(`[compose-engine] ${msg}`);

export interface Engine {
  /** For child processes: DOCKER_HOST (and COMPOSE_* settings). */
  env: Record<string, string>;
  /** The docker client binary (matching the engine where Debian's is installed). */
  dockerBin: string;
  /** Short calls only: it blocks. */
  docker(args: string[], opts?: { input?: string | Buffer; quiet?: boolean }): string;
  /** A long docker call that does not block (builds, save, load); stopped when `signal` fires. */
  run(args: string[], signal?: AbortSignal): Promise<string>;
  /** Whether the daemon still answers (a teardown after a failed set-up may find it gone). */
  alive(): boolean;
  stop(): Promise<void>;
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** docker.io (dockerd, containerd, runc), docker-compose v1 and debootstrap, from Debian, when missing. */
export async function ensureEngine(signal?: AbortSignal): Promise<void> {
  const missing = ['dockerd', 'docker-compose', 'debootstrap'].filter((c) => !has(c) && !existsSync(`/usr/sbin/${c}`));
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} (apt-get install -y docker.io docker-compose debootstrap)`);
  await exec(
    'sh',
    [
      '-c',
      'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io docker-compose debootstrap',
    ],
    { quiet: true, ...(signal && { signal }) },
  );
}

export async function startEngine(signal?: AbortSignal, root = DOCKER_ROOT): Promise<Engine> {
  await ensureEngine(signal);
  mkdirSync(root, { recursive: true });
  const sock = join(root, 'docker.sock');
  const pidfile = join(root, 'docker.pid');
  // A daemon left by an interrupted run: stop it first (by its own pidfile, nothing else).
  await stopByPidfile(pidfile);
  unmountUnder(root);
  rmSync(sock, { force: true });
  const dockerd = existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : 'dockerd';
  const out = openSync(join(root, 'dockerd.log'), 'w');
  const child: ChildProcess = spawn(
    dockerd,
    [
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      pidfile,
      '--host',
      `unix://${sock}`,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      // No default docker0 (another engineer's daemon may hold it); compose networks from a quiet range.
      '--bridge=none',
      '--default-address-pool',
      'base=10.213.0.0/16,size=24',
      '--log-level',
      'warn',
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  const env = {
    DOCKER_HOST: `unix://${sock}`,
    COMPOSE_HTTP_TIMEOUT: '300',
    DOCKER_BUILDKIT: '0',
    COMPOSE_DOCKER_CLI_BUILD: '0',
  };
  const dockerBin = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
  const docker: Engine['docker'] = (args, opts = {}) =>
    execFileSync(dockerBin, args, {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      ...(opts.input !== undefined && { input: opts.input }),
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', opts.quiet ? 'pipe' : 'inherit'],
    });
  const t0 = Date.now();
  for (;;) {
    try {
      docker(['version', '--format', '{{.Server.Version}}'], { quiet: true });
      break;
    } catch {
      if (child.exitCode !== null)
        throw new Error(
          `dockerd exited (${child.exitCode}): ${readFileSync(join(root, 'dockerd.log'), 'utf8').slice(-2000)}`,
        );
      if (Date.now() - t0 > 60_000)
        throw new Error(
          `dockerd not ready after 60 s: ${readFileSync(join(root, 'dockerd.log'), 'utf8').slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  log(`dockerd ready in ${Date.now() - t0} ms (pid ${child.pid}, ${sock})`);
  return {
    env,
    dockerBin,
    docker,
    run: (args, signal) =>
      exec(dockerBin, args, { env: { ...process.env, ...env }, quiet: true, ...(signal && { signal }) }),
    alive() {
      try {
        docker(['version', '--format', '{{.Server.Version}}'], { quiet: true });
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      await stopByPidfile(pidfile);
      unmountUnder(root);
    },
  };
}

async function stopByPidfile(pidfile: string): Promise<void> {
  if (!existsSync(pidfile)) return;
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive()) return;
  // Only if that PID really is a dockerd (a stale pidfile may name a reused PID).
  const cmd = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  if (!cmd.includes('dockerd')) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
  log(`dockerd ${pid} stopped`);
}

/** Mounts the daemon leaves behind under its folders (e.g. exec/netns/default), newest first. */
function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${root}/`))
    .reverse();
  for (const m of mounts) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    }
  }
}

// A Docker engine for the compose test, started by hand (no systemd), and local stand-ins for the
// images a registry-less CI cannot pull. Everything lives under .data/docker/ (daemon state:
// images stay cached between runs) and .data/compose-cache/ (base image tarball, build contexts);
// Go binaries are built once into .tools/.
//
//   const engine = await startEngine();                  // env.DOCKER_HOST points at it
//   const images = await buildStandIns(engine);          // { POSTGRES_IMAGE: 'failover-local/…', … }
//   await engine.stop();                                 // by its PID; its iptables changes go with it
//
// The daemon runs with --iptables=false and --ip-forward=false: the host's firewall and forwarding
// stay untouched; published ports go through docker-proxy, containers talk on their bridge, and
// image builds use the host network (they need the Debian and npm registries).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './exec.ts';
import { ensureTemporalBinaries, TEMPORAL_SERVER_VERSION } from './temporal-postgres.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DOCKER_ROOT = join(ROOT, '.data/docker');
export const CACHE = join(ROOT, '.data/compose-cache');
const UI_VERSION = '2.55.0';
const CLI_VERSION = '1.5.1';
const log = (msg: string) => console.error(`[compose-engine] ${msg}`);
const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';

export interface Engine {
  /** For child processes: DOCKER_HOST (and COMPOSE_* settings). */
  env: Record<string, string>;
  /** The docker client binary (matching the engine where Debian's is installed). */
  dockerBin: string;
  /** Short calls only: it blocks. */
  docker(args: string[], opts?: { input?: string | Buffer; quiet?: boolean }): string;
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
export function ensureEngine(): void {
  const missing = ['dockerd', 'docker-compose', 'debootstrap'].filter((c) => !has(c) && !existsSync(`/usr/sbin/${c}`));
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} (apt-get install -y docker.io docker-compose debootstrap)`);
  execFileSync(
    'sh',
    [
      '-c',
      'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io docker-compose debootstrap',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

export async function startEngine(root = DOCKER_ROOT): Promise<Engine> {
  ensureEngine();
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

/** The Debian mirror the host's apt uses (deb.debian.org when none is named). */
export function debianMirror(): string {
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync('/etc/apt/sources.list.d')
      ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f))
      : []),
  ];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:URIs:\s*(\S+)|deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s)/gm)) {
      const uri = m[1] ?? m[2]!;
      if (/debian\/?$/.test(uri) && !/security/.test(uri)) return uri;
    }
  }
  return 'http://deb.debian.org/debian';
}

function hashOf(paths: string[]): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
    else h.update(p.slice(ROOT.length)).update(readFileSync(p));
  };
  for (const p of paths) walk(p);
  return h.digest('hex').slice(0, 10);
}

function imageExists(engine: Engine, tag: string): boolean {
  try {
    engine.docker(['image', 'inspect', tag], { quiet: true });
    return true;
  } catch {
    return false;
  }
}

async function goInstall(pkg: string, gobin: string): Promise<void> {
  log(`go install ${pkg} → ${gobin}`);
  await exec(go, ['install', '-ldflags=-s -w', pkg], {
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
  });
}

function goModDir(mod: string): string {
  return join(execFileSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim(), mod);
}

export interface StandIns {
  NODE_IMAGE: string;
  POSTGRES_IMAGE: string;
  TEMPORAL_IMAGE: string;
  TEMPORAL_UI_IMAGE: string;
  PUBSUB_EMULATOR_IMAGE: string;
}

/**
 * Builds (or finds, from an earlier run) the local stand-ins: a Debian base from debootstrap,
 * and on it PostgreSQL 15, Temporal (auto-setup), the Temporal UI, the Pub/Sub emulator and Node 24.
 */
export async function buildStandIns(engine: Engine): Promise<StandIns> {
  mkdirSync(CACHE, { recursive: true });
  const recipes = join(ROOT, 'docker/standins');

  // 1. Base: debootstrap minbase from the host's mirror, imported (tarball cached).
  const base = 'failover-local/debian:bookworm';
  if (!imageExists(engine, base)) {
    const tarball = join(CACHE, 'debian-bookworm.tar');
    if (!existsSync(tarball)) {
      const dir = mkdtempSync(join(CACHE, 'rootfs-'));
      const mirror = debianMirror();
      log(`debootstrap --variant=minbase bookworm from ${mirror}`);
      await exec('debootstrap', ['--variant=minbase', 'bookworm', dir, mirror], { quiet: true });
      rmSync(join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
      rmSync(join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
      mkdirSync(join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
      mkdirSync(join(dir, 'var/cache/apt/archives/partial'), { recursive: true });
      await exec('sh', ['-c', `tar -C '${dir}' -c . > '${tarball}.tmp' && mv '${tarball}.tmp' '${tarball}'`]);
      rmSync(dir, { recursive: true, force: true });
    }
    log(`docker import ${base}`);
    await exec(engine.dockerBin, ['import', tarball, base], { env: { ...process.env, ...engine.env }, quiet: true });
  }

  const build = async (name: string, version: string, fill: (ctx: string) => Promise<void> | void): Promise<string> => {
    const tag = `failover-local/${name}:${version}-${hashOf([join(recipes, name)])}`;
    if (imageExists(engine, tag)) return tag;
    const ctx = join(CACHE, 'ctx', name);
    rmSync(ctx, { recursive: true, force: true });
    mkdirSync(ctx, { recursive: true });
    cpSync(join(recipes, name), ctx, { recursive: true });
    await fill(ctx);
    log(`building ${tag}`);
    const t0 = Date.now();
    await exec(
      engine.dockerBin,
      ['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${base}`, '-t', tag, '-q', ctx],
      { env: { ...process.env, ...engine.env }, quiet: true },
    );
    log(`built ${tag} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return tag;
  };

  const POSTGRES_IMAGE = await build('postgres', '15', () => {});

  const TEMPORAL_IMAGE = await build('temporal', TEMPORAL_SERVER_VERSION, async (ctx) => {
    const bins = await ensureTemporalBinaries();
    mkdirSync(join(ctx, 'bin'));
    cpSync(bins.server, join(ctx, 'bin/temporal-server'));
    cpSync(bins.sql, join(ctx, 'bin/temporal-sql-tool'));
    cpSync(await temporalCli(), join(ctx, 'bin/temporal'));
    const tools = join(bins.schema.temporal, '../../../../..');
    cpSync(join(tools, 'schema'), join(ctx, 'schema'), { recursive: true });
  });

  const TEMPORAL_UI_IMAGE = await build('ui', UI_VERSION, async (ctx) => {
    const dir = join(ROOT, '.tools', `temporal-ui-${UI_VERSION}`);
    if (!existsSync(join(dir, 'bin/server')))
      await goInstall(`github.com/temporalio/ui-server/v2/cmd/server@v${UI_VERSION}`, join(dir, 'bin'));
    if (!existsSync(join(dir, 'config')))
      cpSync(join(goModDir(`github.com/temporalio/ui-server/v2@v${UI_VERSION}`), 'config'), join(dir, 'config'), {
        recursive: true,
      });
    cpSync(join(dir, 'bin'), join(ctx, 'bin'), { recursive: true });
    cpSync(join(dir, 'config'), join(ctx, 'config'), { recursive: true });
  });

  const PUBSUB_EMULATOR_IMAGE = await build('pubsub', 'emulator', (ctx) => {
    cpSync(pubsubEmulatorDir(), join(ctx, 'pubsub-emulator'), { recursive: true });
  });

  const NODE_IMAGE = await build('node', '24', (ctx) => {
    const nodeBin = hostNode24();
    cpSync(nodeBin, join(ctx, 'node'));
    cpSync(hostNpmDir(), join(ctx, 'npm'), { recursive: true });
    cpSync('/etc/ssl/certs/ca-certificates.crt', join(ctx, 'ca-certificates.crt'));
  });

  return { NODE_IMAGE, POSTGRES_IMAGE, TEMPORAL_IMAGE, TEMPORAL_UI_IMAGE, PUBSUB_EMULATOR_IMAGE };
}

/** The Temporal CLI: $TEMPORAL_CLI, .tools/bin/temporal, else built with Go. */
async function temporalCli(): Promise<string> {
  const env = process.env.TEMPORAL_CLI;
  if (env && existsSync(env)) return env;
  const local = join(ROOT, '.tools/bin/temporal');
  if (!existsSync(local))
    await goInstall(`github.com/temporalio/cli/cmd/temporal@v${CLI_VERSION}`, join(ROOT, '.tools/bin'));
  return local;
}

/** Where the host's Google Cloud CLI keeps its Pub/Sub emulator (gcloud beta emulators pubsub start). */
function pubsubEmulatorDir(): string {
  const candidates = [
    '/usr/lib/google-cloud-sdk/platform/pubsub-emulator',
    '/usr/share/google-cloud-sdk/platform/pubsub-emulator',
    '/opt/google-cloud-sdk/platform/pubsub-emulator',
  ];
  if (has('gcloud')) {
    try {
      const root = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      candidates.unshift(join(root, 'platform/pubsub-emulator'));
    } catch {
      /* the fixed places below */
    }
  }
  const found = candidates.find((c) => existsSync(join(c, 'bin/cloud-pubsub-emulator')));
  if (!found)
    throw new Error(
      'the Pub/Sub emulator is not installed on this host (gcloud components install pubsub-emulator, or apt-get install google-cloud-cli-pubsub-emulator)',
    );
  return found;
}

/** The Node 24 binary running this (scripts/run.sh provides one). */
function hostNode24(): string {
  if (Number(process.versions.node.split('.')[0]) !== 24)
    throw new Error(`Node 24 expected for the image stand-in, running ${process.version}`);
  return process.execPath;
}

function hostNpmDir(): string {
  for (const d of [
    '/usr/lib/node_modules/npm',
    '/usr/local/lib/node_modules/npm',
    join(process.execPath, '../../lib/node_modules/npm'),
  ]) {
    if (existsSync(join(d, 'bin/npm-cli.js'))) return d;
  }
  throw new Error('no npm found on the host to put in the Node stand-in image');
}

export function writeEnvFile(path: string, vars: Record<string, string>): void {
  writeFileSync(
    path,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
}

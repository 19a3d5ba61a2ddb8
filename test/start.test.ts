// `npm start` stops everything it started, whichever way it is stopped: SIGTERM or SIGINT to
// npm (what `kill` or a supervisor sends), to the node process (`sh scripts/run.sh node
// scripts/start.ts`, which execs), or npm killed outright. Each case starts the real thing on
// non-default ports with its own data folder, finds its descendants (Temporal server, worker),
// signals the top process only, then checks that every descendant is gone, every port is free,
// the pointer file is removed and "stopped" was printed.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { portOpen } from '../harness/ports.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function ppidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid)) continue;
    const pp = ppidOf(pid);
    if (pp !== undefined) parent.set(pid, pp);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp !== p) continue;
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** A base port whose next 7 ports, and two more for Temporal, are free. */
async function freePorts(): Promise<{ temporal: number; ui: number; api: number; all: number[] }> {
  for (;;) {
    const base = 21_000 + Math.floor(Math.random() * 9_000);
    const all = Array.from({ length: 9 }, (_, i) => base + i);
    if ((await Promise.all(all.map((p) => portOpen(p)))).some(Boolean)) continue;
    return { temporal: base + 7, ui: base + 8, api: base, all };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let started: { child: ChildProcess; pids: number[] } | undefined;

afterEach(() => {
  // Whatever the outcome, nothing of this test survives it.
  for (const pid of [...(started?.pids ?? []), started?.child.pid ?? 0]) {
    try {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  started = undefined;
});

async function startAndStop(top: 'npm' | 'node', signal: NodeJS.Signals): Promise<void> {
  const ports = await freePorts();
  const data = mkdtempSync(join(tmpdir(), 'failover-start-'));
  const [cmd, args] =
    top === 'npm' ? ['npm', ['start', '--silent']] : ['sh', ['scripts/run.sh', 'node', 'scripts/start.ts']];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      SANDBOX_API_PORT: String(ports.api),
      FAILOVER_DATA_DIR: data,
      FAILOVER_CONFIG: join(data, 'sandbox.yaml'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started = { child, pids: [] };
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 150_000;
  while (!out.includes('Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}`);
    await sleep(200);
  }
  const pids = descendants(child.pid!);
  started.pids = pids;
  const names = [child.pid!, ...pids].map(cmdline);
  // The test is only worth something if it found what must be stopped.
  expect(
    names.some((n) => n.includes('server start-dev')),
    names.join('\n'),
  ).toBe(true);
  expect(
    names.some((n) => n.includes('worker/main.ts')),
    names.join('\n'),
  ).toBe(true);
  expect(
    names.some((n) => n.includes('scripts/start.ts')),
    names.join('\n'),
  ).toBe(true);
  for (const p of ports.all) expect(await portOpen(p), `port ${p} open while running`).toBe(true);
  expect(existsSync(join(data, 'sandbox.env'))).toBe(true);
  expect(readFileSync(join(data, 'sandbox.env'), 'utf8')).toContain(`FAILOVER_CONFIG=${join(data, 'sandbox.yaml')}`);

  if (top === 'node' && signal === 'SIGTERM') await cliFindsTheSandbox(data);

  process.kill(child.pid!, signal);
  const stopBy = Date.now() + 45_000;
  while ([...pids, child.pid!].some(alive) && Date.now() < stopBy) await sleep(200);
  const left = [...pids, child.pid!].filter(alive).map((p) => `${p} ${cmdline(p)}`);
  expect(left, `still running after ${signal} to ${top}:\n${out}`).toEqual([]);
  for (const p of ports.all) expect(await portOpen(p), `port ${p} still held`).toBe(false);
  expect(existsSync(join(data, 'sandbox.env')), 'pointer file removed').toBe(false);
  // npm killed outright cannot relay the message, but start.ts still prints it to the pipe it holds.
  await sleep(200);
  expect(out).toMatch(/\[start\] stopped: worker, temporal, sandbox/);
  // Quiet after the banner: none of the noise the demo used to print.
  expect(out).not.toMatch(/No workflows registered|Activity not found on completion|\/\/\.data|^CLI \d/m);
  rmSync(data, { recursive: true, force: true });
}

/** The banner's commands work in a fresh shell: no config exported, no token in the environment. */
async function cliFindsTheSandbox(data: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, FAILOVER_DATA_DIR: data };
  for (const k of ['FAILOVER_CONFIG', 'CLOUDFLARE_API_TOKEN', 'TEMPORAL_ADDRESS']) delete env[k];
  const child = spawn('sh', ['scripts/failover', 'start', 'shop', '--dry-run'], { cwd: ROOT, env });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, out).toBe(0);
  expect(out).toContain(`the running sandbox's config, ${join(data, 'sandbox.yaml')}`);
  expect(out).toMatch(/dry run: failover of shop/);
}

describe('npm start stops everything it started', () => {
  it.each([
    ['npm', 'SIGTERM'],
    ['npm', 'SIGINT'],
    ['npm', 'SIGKILL'],
    ['node', 'SIGTERM'],
    ['node', 'SIGINT'],
  ] as const)('%s, %s', async (top, signal) => startAndStop(top, signal), 240_000);
});

// `failover readiness [site]` (starters/cli/readiness.ts) as a user runs it: a table, --json,
// exit 0 when ready and 1 when not, --last for the latest finished run; the checks run on the
// worker (the CLI holds no credential).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { buildRegistry } from '../clients/providers.ts';
import { readinessHistory, readinessTarget } from '../clients/readiness.ts';
import { uniqueSite } from '../harness/sites.ts';
import { type SandboxWorld, startSandboxWorld } from '../sandbox/world.ts';
import type { ReadinessResult } from '../workflows/readiness-types.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const ROOT = resolve(import.meta.dirname, '..');
const site = uniqueSite('rcli');
const dir = mkdtempSync(join(tmpdir(), 'readiness-cli-'));
const configPath = join(dir, 'sandbox.yaml');
let world: SandboxWorld;
let worker: RunningWorker;

beforeAll(async () => {
  world = await startSandboxWorld({ sites: [site] });
  process.env.GCE_METADATA_HOST = world.env.GCE_METADATA_HOST;
  const taskQueue = `tq-${randomUUID()}`;
  world.writeConfig(configPath, { temporal: { address: inject('temporalAddress'), taskQueue } });
  const client = await testClient();
  const registry = buildRegistry(world.config, { env: world.env });
  worker = await startWorker(registry, {
    taskQueue,
    readiness: { registry, target: (s) => readinessTarget(world.config, s), history: readinessHistory(client) },
  });
});
afterAll(async () => {
  await worker?.shutdown();
  await world?.stop();
});

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    // The CLI process has neither the Cloudflare token nor Google credentials: the worker checks.
    const child = spawn(process.execPath, [join(ROOT, 'starters/cli/main.ts'), '-c', configPath, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, FAILOVER_USER: 'tester' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => void (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => void (stderr += b.toString()));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('failover readiness', () => {
  test('ready: a table of every check, exit 0', async () => {
    const r = await cli('readiness', site);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`${site}: READY`);
    expect(r.stdout).toMatch(/STATUS\s+CHECK\s+SUBJECT\s+REASON \/ FIX/);
    expect(r.stdout).toMatch(/OK\s+permissions\s+projects\/\S+\/services\/\S+\s+holds run.services.get/);
    expect(r.stdout).toMatch(/OK\s+standby_serves/);
  });

  test('not ready (the alert paused): --json names the check, exit 1; --last prints that run', async () => {
    const monitor = buildRegistry(world.config, { env: world.env }).forSite(site).monitor;
    await monitor.set('paused');
    try {
      const r = await cli('readiness', site, '--json');
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`not ready: ${site}`);
      const result = JSON.parse(r.stdout) as ReadinessResult;
      expect(result).toMatchObject({ site, ready: false, previousReady: true, changed: true });
      expect(result.checks.filter((c) => c.status === 'fail')).toEqual([
        expect.objectContaining({ check: 'idle_position', fix: expect.stringContaining('enable the alert policy') }),
      ]);
      const last = await cli('readiness', site, '--last');
      expect(last.code).toBe(1);
      expect(last.stdout).toContain(`${site}: NOT READY  (checked ${result.checkedAt})`);
      expect(last.stdout).toMatch(/FAIL\s+idle_position/);
    } finally {
      await monitor.set('enabled');
    }
  });
});

// The `failover` CLI as a user runs it (a separate process), against the shared dev server with an
// in-process worker on in-memory providers, and (dry run) against the sandbox's cloud API simulator.
import { spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { stringify } from 'yaml';
import { ProviderError } from '../activities/errors.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { buildRegistry } from '../clients/providers.ts';
import { incidentWorkflowId, statusQuery } from '../workflows/incident-messages.ts';
import { inMemoryConfig, testWorld, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { type RunningWorker, startWorker, testClient } from './support/temporal.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'failover-cli-'));
const S = {
  main: uniqueSite('cli'),
  abort: uniqueSite('cli-abort'),
  idle: uniqueSite('cli-idle'),
  attention: uniqueSite('cli-attention'),
};
const world = testWorld();
// A standby that never serves holds the failover for a minute: room for a CLI process to start
// and abort it even on a loaded machine.
const config = inMemoryConfig(Object.values(S), {
  probe: {
    interval: '20ms',
    successesNeeded: 1,
    standbyReadyTimeout: '1m',
    verifyTimeout: '2s',
    primaryCheckTimeout: '1s',
  },
});
let worker: RunningWorker;
let client: Client;
let configPath: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(
  args: string[],
  env: Record<string, string> = {},
  command: string[] = [process.execPath, join(ROOT, 'starters/cli/main.ts')],
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], {
      cwd: dir,
      env: {
        ...process.env,
        FAILOVER_USER: 'tester',
        FAILOVER_CONFIG: '',
        TEMPORAL_ADDRESS: '',
        TEMPORAL_NAMESPACE: '',
        ...env,
      },
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

const run = (...args: string[]) => cli(['-c', configPath, ...args]);

beforeAll(async () => {
  for (const site of Object.values(S)) world.addSite(site);
  worker = await startWorker(buildRegistry(config, { world }));
  client = await testClient();
  configPath = join(dir, 'failover.yaml');
  writeFileSync(
    configPath,
    stringify({ temporal: { address: inject('temporalAddress'), taskQueue: worker.taskQueue }, sites: config.sites }),
  );
});

afterAll(async () => {
  await worker?.shutdown();
});

describe('help and usage', () => {
  test('--help on every command, through the bin wrapper reached by a symlink from elsewhere', async () => {
    const link = join(dir, 'bin-failover');
    symlinkSync(join(ROOT, 'scripts/failover'), link);
    for (const [i, cmd] of [[], ['status'], ['history'], ['start'], ['failback'], ['abort'], ['validate']].entries()) {
      const r = await cli([...cmd, '--help'], {}, i < 2 ? ['sh', link] : undefined);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: failover/m);
    }
  });

  test('bad usage exits 2 with a hint', async () => {
    const unknown = await run('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const missing = await run('history');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'site'/);
    const badTimeout = await run('start', S.idle, '--timeout', 'soon');
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/invalid duration "soon"/);
  });
});

describe('validate', () => {
  test("a valid config is summarised (relative path from the caller's directory)", async () => {
    const r = await cli(['validate', 'failover.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('failover.yaml: valid');
    expect(r.stdout).toMatch(new RegExp(`${S.main}\\s+in-memory\\s+in-memory\\s+in-memory\\s+manual`));
  });

  test('every problem is listed with its path; exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ sites: { Bad_Name: { publicUrl: 'ftp://x' } }, watcher: { interval: 'often' } }));
    const r = await cli(['validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sites\.Bad_Name: site names are lower-case/);
    expect(r.stderr).toMatch(/sites\.Bad_Name\.publicUrl: expected an http\(s\) URL/);
    expect(r.stderr).toMatch(/watcher\.interval: expected a duration/);
    const missing = await cli(['validate', 'nowhere.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the file/);
  });
});

test('Temporal unreachable: exit 4 with the address', async () => {
  const r = await run('--address', '127.0.0.1:1', 'status');
  expect(r.code).toBe(4);
  expect(r.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
});

test('unknown site: exit 2 naming the known ones', async () => {
  const r = await run('status', 'nope');
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`unknown site "nope"; known: ${S.main}`);
});

test('start, status, history, failback: the whole incident from the CLI', async () => {
  const site = S.main;
  let r = await run('status', '--json');
  expect(r.code, r.stderr).toBe(0);
  expect((JSON.parse(r.stdout) as { site: string; incident: string }[]).find((x) => x.site === site)?.incident).toBe(
    'none',
  );

  r = await run('start', site, '--reason', 'drill');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`${site}: incident started`));
  expect(r.stdout).toMatch(/on standby after/);
  expect(r.stderr).toMatch(/✓ enable_standby_access/);
  expect(r.stderr).toMatch(/✓ verify_public_url_on_standby/);
  expect(world.snapshot(site)).toEqual({ standbyAccess: 'open', traffic: 'standby', monitor: 'paused' });
  const s = await client.workflow.getHandle(incidentWorkflowId(site)).query(statusQuery);
  expect(s.triggers[0]).toMatchObject({
    kind: 'alert_opened',
    source: 'cli',
    id: expect.stringMatching(/^cli:tester:/) as string,
  });

  r = await run('start', site);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/already running \(on_standby\)/);

  r = await run('status');
  expect(r.stdout).toMatch(new RegExp(`^${site}\\s+on_standby\\s+\\d+s ago`, 'm'));
  r = await run('status', site);
  expect(r.stdout).toMatch(/phase\s+on_standby/);

  r = await run('history', site);
  expect(r.code, r.stderr).toBe(0);
  for (const step of [
    'pause_monitor',
    'enable_standby_access',
    'await_standby_ready',
    'route_traffic_to_standby',
    'verify_public_url_on_standby',
  ]) {
    expect(r.stdout).toMatch(new RegExp(`✓ ${step}\\s+\\+\\s*\\d+\\.\\d s`));
  }
  expect(r.stdout).toMatch(/alert_opened\s+cli:tester:\S+\s+from cli/);
  r = await run('history', site, '--json');
  expect((JSON.parse(r.stdout) as { status: { steps: unknown[] } }).status.steps).toHaveLength(5);

  r = await run('abort', site);
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/nothing in flight to abort: .* is on_standby; use `failover failback/);

  // The primary is still down: the failback's check fails, users stay on the standby.
  world.state(site).primaryUp = false;
  r = await run('failback', site);
  expect(r.code).toBe(5);
  expect(r.stderr).toMatch(/failback did not complete, users stay on the standby/);
  expect(world.snapshot(site).traffic).toBe('standby');

  world.state(site).primaryUp = true;
  r = await run('failback', site);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/incident resolved/);
  expect(r.stderr).toMatch(/✓ close_standby_access/);
  expect(world.snapshot(site)).toEqual({ standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' });

  r = await run('failback', site);
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/no running incident/);
  r = await run('status', site);
  expect(r.stdout).toMatch(/phase\s+resolved/);
}, 180_000); // twelve CLI processes, each a cold Node start: minutes on a loaded machine

test('abort a failover in flight: rolled back, world as before', async () => {
  const site = S.abort;
  world.state(site).standbyUp = false; // the standby never serves: the failover waits
  let r = await run('start', site, '--no-wait');
  expect(r.code, r.stderr).toBe(0);
  await waitForPhase(client.workflow.getHandle(incidentWorkflowId(site)), 'failing_over');
  r = await run('abort', site, '--reason', 'test');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/abort sent while failing_over/);
  expect(r.stdout).toMatch(/rolled_back \(aborted by cli:tester\)/);
  expect(world.snapshot(site)).toEqual({ standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' });
  r = await run('abort', site);
  expect(r.code).toBe(3);
});

test('needs attention: status says why and what to do; retry, then acknowledge', async () => {
  const site = S.attention;
  world.state(site).primaryUp = false;
  world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'token may not edit') });
  let r = await run('start', site);
  expect(r.code).toBe(5);
  expect(r.stderr).toMatch(/needs_attention/);
  r = await run('status', site);
  expect(r.stdout).toMatch(
    /attention the failover failed \(route_traffic_to_standby: PermissionDenied: token may not edit\)/,
  );
  expect(r.stdout).toMatch(new RegExp(`failover retry ${site}\` to fail over again`));
  r = await run('status');
  expect(r.stdout).toMatch(new RegExp(`^${site}\\s+needs_attention\\s+\\d+s ago`, 'm'));

  r = await run('retry', site); // the token still may not edit: back in needs_attention
  expect(r.code).toBe(5);
  expect(r.stdout).toMatch(/retry sent/);
  expect(r.stderr).toMatch(/still needs attention/);
  r = await run('acknowledge', site, '--reason', 'primary being rebuilt');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/rolled_back/);
  expect(world.snapshot(site)).toEqual({ standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' });
  r = await run('acknowledge', site);
  expect(r.code).toBe(3);
});

describe('dry run', () => {
  let sandbox: SandboxWorld;
  beforeAll(async () => {
    sandbox = await startSandboxWorld({ sites: ['www', { name: 'lb', traffic: 'load-balancer' }] });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  test('reads every provider through the real SDKs, prints now vs wanted, changes nothing', async () => {
    const path = join(dir, 'sandbox.yaml');
    sandbox.writeConfig(path, { temporal: { address: inject('temporalAddress') } });
    const before = sandbox.snapshot();
    const r = await cli(['-c', path, 'start', 'www', '--dry-run'], sandbox.env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(
      /enable_standby_access\s+projects\/\S+\/services\/www-standby\s+\{"allUsersInvoker":false,"invokerIamDisabled":false\}\s+open\s+would change/,
    );
    expect(r.stdout).toMatch(
      /route_traffic_to_standby\s+\S+\s+\{"redirectRuleEnabled":false\}\s+standby\s+would change/,
    );
    expect(r.stdout).toMatch(
      /pause_monitor\s+projects\/\S+\/alertPolicies\/\S+\s+\{"enabled":true\}\s+paused\s+would change/,
    );
    expect(r.stdout).toMatch(/probe standby .*does not serve: .*403/);
    expect(r.stdout).toMatch(/a new incident would start/);
    expect(sandbox.api.log.audit()).toEqual([]);
    expect(sandbox.api.log.calls().length).toBeGreaterThanOrEqual(3);
    expect(sandbox.snapshot()).toEqual(before);
    expect(
      (
        await client.workflow
          .getHandle(incidentWorkflowId('www'))
          .describe()
          .catch(() => undefined)
      )?.status.name,
    ).not.toBe('RUNNING');
  });

  test('a load-balanced site: reads the URL map through the Compute client and says the default would change', async () => {
    const path = join(dir, 'sandbox-lb.yaml');
    sandbox.writeConfig(path, { temporal: { address: inject('temporalAddress') } });
    const seq = sandbox.api.log.lastSeq;
    const r = await cli(['-c', path, 'start', 'lb', '--dry-run'], sandbox.env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(
      /route_traffic_to_standby\s+projects\/sandbox-project\/global\/urlMaps\/lb-lb\s+\{"defaultService":"projects\/sandbox-project\/global\/backendServices\/lb-primary","target":"primary","fingerprint":"[^"]+"\}\s+standby\s+would change/,
    );
    expect(r.stdout).toMatch(/enable_standby_access\s+projects\/\S+\/services\/lb-standby\s+.*open\s+would change/);
    expect(sandbox.api.log.calls(seq).map((c) => `${c.api} ${c.op}`)).toContain('compute urlMaps.get');
    expect(sandbox.api.log.audit(seq)).toEqual([]);
  });

  test('a provider it cannot read is reported (exit 5), with the reason', async () => {
    const path = join(dir, 'sandbox-badtoken.yaml');
    sandbox.writeConfig(path, { temporal: { address: inject('temporalAddress') } });
    const r = await cli(['-c', path, 'start', 'www', '--dry-run'], { CLOUDFLARE_API_TOKEN: 'not-the-token' });
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/route_traffic_to_standby\s+\S+\s+\(.*\)\s+standby\s+cannot read/);
    expect(r.stdout).not.toContain('not-the-token');
  });
});

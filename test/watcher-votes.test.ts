// The watcher's quorum cannot fail silently (issue 8, item 6), on the real dev server: a location
// whose probes fail stops voting (unknown, silent since…) instead of keeping its last vote, and a
// probe-only location process needs no provider credentials to probe.
import { randomUUID } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import type { ProbeRegistry } from '../activities/providers/types.ts';
import { buildProbeRegistry, buildRegistry } from '../clients/providers.ts';
import { Incidents } from '../clients/incidents.ts';
import { ensureWatchers } from '../clients/watchers.ts';
import { type Config, configSchema } from '../config/schema.ts';
import { createMainWorker } from '../worker/workers.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { watchStatusQuery, watchWorkflowId } from '../workflows/watch-messages.ts';
import type { WatchStatus } from '../workflows/watch-types.ts';
import { inMemoryConfig, testWorld, uniqueSite } from '../harness/sites.ts';
import { testWorkflows } from './support/temporal.ts';
import { ScriptedPrimary, startWatchWorkers, vantage, type WatchWorkers } from './support/watch-worker.ts';
import { waitFor } from '../harness/wait.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const world = testWorld();
const site = uniqueSite('w-votes');
const east = new Map([[site, new ScriptedPrimary()]]);
const west = new Map([[site, new ScriptedPrimary()]]);
const config: Config = inMemoryConfig(
  [site],
  {},
  {
    watcher: {
      interval: '50ms',
      timeout: '1s',
      failuresToTrigger: 3,
      successesToRecover: 2,
      locations: ['east', 'west'],
      quorum: 2,
    },
  },
);
let w: WatchWorkers;
let sandbox: SandboxWorld | undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  world.addSite(site);
  w = await startWatchWorkers(config, world);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (w) {
    await w.client.workflow
      .getHandle(watchWorkflowId(site))
      .terminate('test over')
      .catch(() => {});
    await w.shutdown();
  }
  await sandbox?.stop();
});

const status = (s = site): Promise<WatchStatus> =>
  w.client.workflow.getHandle(watchWorkflowId(s)).query(watchStatusQuery);
const until = (what: string, ok: (s: WatchStatus) => boolean, s = site, timeoutMs = 30_000) =>
  waitFor(
    what,
    async () => {
      const x = await status(s);
      return ok(x) ? x : undefined;
    },
    timeoutMs,
  );

/** A location whose every probe fails for good (as a bad config or a missing credential does). */
const broken: ProbeRegistry = {
  forSite() {
    throw new ProviderError('invalid_config', 'CLOUDFLARE_API_TOKEN is not set');
  },
};

describe('votes expire', () => {
  test('a location whose probes fail no longer counts with its last vote', async () => {
    await w.startLocation('east', vantage(world, east));
    await w.startLocation('west', vantage(world, west));
    await ensureWatchers(w.client, config, w.taskQueue);
    await until('both locations up', (s) => s.verdict === 'up');

    await w.startLocation('west', broken); // west's probe is retried on a worker that cannot probe
    const s = await until('west to stop voting', (x) => x.locations.west?.silentSince !== undefined);
    expect(s.locations.west).toMatchObject({
      verdict: 'unknown',
      error: expect.stringMatching(/CLOUDFLARE_API_TOKEN/),
    });
    expect(s.events.some((e) => /west: vote no longer counted/.test(e.what))).toBe(true);
    expect(s.locations.east?.verdict).toBe('up');

    // East alone sees the primary down: one live location is not a quorum of two.
    east.get(site)!.up = false;
    await until('east to say down', (x) => x.locations.east?.verdict === 'down');
    await new Promise((r) => setTimeout(r, 500));
    const after = await status();
    expect(after.triggers).toBe(0);

    // West reports again: its vote counts again.
    west.get(site)!.up = false;
    await w.startLocation('west', vantage(world, west));
    const back = await until('west to vote again', (x) => x.locations.west?.verdict === 'down', site, 60_000);
    expect(back.locations.west?.silentSince).toBeUndefined();
    await until('the quorum to say down', (x) => x.verdict === 'down' && x.triggers === 1);
  }, 120_000);
});

describe('probe-only locations', () => {
  test('the probe registry needs no Cloudflare token; the full one does', async () => {
    sandbox = await startSandboxWorld({ sites: [{ name: 'probe-only', traffic: 'page-rule' }] });
    expect(() => buildRegistry(sandbox!.config, { env: {} }).forSite('probe-only')).toThrow(/CLOUDFLARE_API_TOKEN/);
    const probes = buildProbeRegistry(sandbox.config).forSite('probe-only');
    expect(await probes.prober.check('primary', 'primary')).toMatchObject({ ok: true });
  });

  test('a location process without any credential probes, and its vote reaches the watcher', async () => {
    sandbox ??= await startSandboxWorld({ sites: [{ name: 'probe-only', traffic: 'page-rule' }] });
    const taskQueue = `tq-loc-${randomUUID().slice(0, 8)}`;
    const extra = {
      temporal: { taskQueue },
      watcher: { interval: '100ms', timeout: '1s', failuresToTrigger: 2, successesToRecover: 2, locations: ['far'] },
    };
    const file = join(mkdtempSync(join(tmpdir(), 'failover-loc-')), 'config.yaml');
    sandbox.writeConfig(file, extra);
    const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_LEVEL: 'info' };
    delete env.CLOUDFLARE_API_TOKEN;
    const child = spawn(process.execPath, ['worker/location.ts', file, '--location', 'far'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('the location to start', () => out.includes('watcher location started') || undefined, 30_000);

    // The watch workflow and its trigger activities run on a main worker that has the token; the location has none.
    const cfg = configSchema.parse({ ...sandbox.rawConfig, ...extra });
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const main = await createMainWorker({
      connection,
      taskQueue,
      registry: buildRegistry(cfg, { env: sandbox.env }),
      incidents: Incidents.of(w.client, cfg, taskQueue),
      workflows: testWorkflows(),
      tuning: { shutdownGraceTime: '1s' },
    });
    const running = main.run();
    const watched = Object.keys(cfg.sites)[0]!;
    try {
      await ensureWatchers(w.client, cfg, taskQueue);
      const s = await until('the far location to vote up', (x) => x.locations.far?.verdict === 'up', watched);
      expect(s.locations.far?.error).toBeUndefined();
      expect(out).not.toMatch(/CLOUDFLARE_API_TOKEN/);
    } finally {
      await w.client.workflow
        .getHandle(watchWorkflowId(watched))
        .terminate('test over')
        .catch(() => {});
      main.shutdown();
      await running;
      await connection.close();
    }
  }, 90_000);
});

// The health watcher on a real dev server: watch workflow, probe activities per location,
// triggering the incident, quorum, recovery, continue-as-new, worker restarts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureWatchers } from '../clients/watchers.ts';
import { type WatchTuning as PolicyTuning, watchPolicy } from '../config/policies.ts';
import type { Config } from '../config/schema.ts';
import { incidentWorkflowId, requestFailback, statusQuery } from '../workflows/incident-messages.ts';
import { stopWatch, watchStatusQuery, watchWorkflowId } from '../workflows/watch-messages.ts';
import type { WatchStatus } from '../workflows/watch-types.ts';
import type { IncidentStatus } from '../workflows/incident-types.ts';
import type { watch } from '../workflows/watch.ts';
import { inMemoryConfig, lookupIncident, testWorld, uniqueSite, waitForPhase } from '../harness/sites.ts';
import { ScriptedPrimary, startWatchWorkers, vantage, type WatchWorkers } from './support/watch-worker.ts';
import { waitFor } from '../harness/wait.ts';
import { ProviderError } from '../activities/errors.ts';
import type { ProbeRegistry } from '../activities/providers/types.ts';

function watchConfig(sites: string[], watcher: Record<string, unknown> = {}): Config {
  return inMemoryConfig(
    sites,
    {},
    { watcher: { interval: '50ms', timeout: '1s', failuresToTrigger: 3, successesToRecover: 2, ...watcher } },
  );
}

const world = testWorld();
const S = {
  detect: uniqueSite('w-detect'),
  flap: uniqueSite('w-flap'),
  recover: uniqueSite('w-recover'),
  can: uniqueSite('w-can'),
  restart: uniqueSite('w-restart'),
  quorum: uniqueSite('w-quorum'),
  reconf: uniqueSite('w-reconf'),
  again: uniqueSite('w-again'),
  reconfDown: uniqueSite('w-reconf-down'),
  silent: uniqueSite('w-silent'),
};
const ALL = Object.values(S);
/** What the default location ("local") sees. */
const local = new Map(ALL.map((s) => [s, new ScriptedPrimary()]));
/** Two more vantage points, for the quorum test. */
const east = new Map([[S.quorum, new ScriptedPrimary()]]);
const west = new Map([[S.quorum, new ScriptedPrimary()]]);
const baseConfig = watchConfig(ALL);
let w: WatchWorkers;

beforeAll(async () => {
  for (const site of ALL) world.addSite(site, { primaryUp: false });
  w = await startWatchWorkers(baseConfig, world);
  await w.startLocation('local', vantage(world, local));
  await w.startLocation('east', vantage(world, east));
  await w.startLocation('west', vantage(world, west));
});

afterAll(async () => {
  if (!w) return;
  await Promise.allSettled(ALL.map((s) => w.client.workflow.getHandle(watchWorkflowId(s)).terminate('test over')));
  await w.shutdown();
});

const watchHandle = (site: string) => w.client.workflow.getHandle<typeof watch>(watchWorkflowId(site));
const watchStatus = (site: string): Promise<WatchStatus> => watchHandle(site).query(watchStatusQuery);
const incident = (site: string) => w.client.workflow.getHandle(incidentWorkflowId(site));

async function watchOnly(site: string, config = baseConfig, tuning: PolicyTuning = {}): Promise<void> {
  await ensureWatchers(w.client, { ...config, watcher: { ...config.watcher!, sites: [site] } }, w.taskQueue, tuning);
}

async function verdict(site: string, wanted: WatchStatus['verdict'], timeoutMs = 20_000): Promise<WatchStatus> {
  return waitFor(
    `watcher of ${site} to say ${wanted}`,
    async () => {
      const s = await watchStatus(site);
      return s.verdict === wanted ? s : undefined;
    },
    timeoutMs,
  );
}

async function until(site: string, ok: (s: WatchStatus) => boolean, timeoutMs = 20_000): Promise<WatchStatus> {
  return waitFor(
    `watcher of ${site}`,
    async () => {
      const s = await watchStatus(site);
      return ok(s) ? s : undefined;
    },
    timeoutMs,
  );
}

async function incidentStatus(site: string): Promise<IncidentStatus> {
  await waitFor(`an incident for ${site}`, async () => (await lookupIncident(w.client, site)).state !== 'none');
  return incident(site).query(statusQuery);
}

test('K consecutive failed checks trigger the incident, from the watcher, after the K-th failure', async () => {
  const site = S.detect;
  const primary = local.get(site)!;
  await watchOnly(site);
  await verdict(site, 'up');
  primary.up = false;
  const s = await incidentStatus(site);
  const opened = s.triggers.filter((t) => t.kind === 'alert_opened');
  expect(opened).toHaveLength(1);
  expect(opened[0]).toMatchObject({
    source: 'watcher',
    id: expect.stringMatching(new RegExp(`^watcher:${site}:`)) as string,
  });

  const third = primary.kthConsecutiveFailure(3)!;
  const { startTime } = await incident(site).describe();
  expect(startTime.getTime()).toBeGreaterThanOrEqual(third.at);
  // The watcher records the trigger once the trigger activity has returned.
  const ws = await until(site, (x) => x.triggers > 0);
  expect(ws.verdict).toBe('down');
  expect(ws.triggers).toBe(1);
  expect(ws.lastTrigger?.outcome).toBe('started the incident');
  expect(ws.locations.local).toMatchObject({ verdict: 'down', detail: 'connect ECONNREFUSED' });
  await waitForPhase(incident(site), 'on_standby');
});

test('while the primary stays down, an incident that ended is started again; one on standby is left alone', async () => {
  const site = S.again;
  const primary = local.get(site)!;
  await watchOnly(site);
  await verdict(site, 'up');
  primary.up = false;
  await incidentStatus(site);
  await waitForPhase(incident(site), 'on_standby');
  const first = await incident(site).describe();
  // Someone ends the incident by hand while the outage goes on: users would be left on a dead primary.
  await incident(site).terminate('ended by hand in the test');
  const again = await waitFor(
    'a new incident from the watcher',
    async () => {
      const d = await incident(site).describe();
      return d.runId !== first.runId && d.status.name === 'RUNNING' ? d : undefined;
    },
    40_000,
  );
  expect(again.runId).not.toBe(first.runId);
  const s = await waitForPhase(incident(site), 'on_standby');
  expect(s.triggers[0]?.source).toBe('watcher');
  // On standby, the watcher does not signal the incident again.
  await new Promise((r) => setTimeout(r, 11_000));
  const later = await incident(site).query(statusQuery);
  expect(later.triggers.filter((t) => t.kind === 'alert_opened')).toHaveLength(1);
}, 90_000);

test('a config change during an outage keeps the re-trigger: an incident ended by hand is started again', async () => {
  const site = S.reconfDown;
  const primary = local.get(site)!;
  await watchOnly(site);
  await verdict(site, 'up');
  primary.up = false;
  await incidentStatus(site);
  await waitForPhase(incident(site), 'on_standby');
  await verdict(site, 'down');
  // The config changes while the primary is down (issue 16, path 6): the watcher restarts its probes.
  await watchOnly(site, watchConfig(ALL, { interval: '60ms' }));
  await until(site, (x) => x.events.some((e) => e.what === 'reconfigured'));
  const first = await incident(site).describe();
  await incident(site).terminate('ended by hand in the test');
  const again = await waitFor(
    'a new incident from the watcher after the reconfiguration',
    async () => {
      const d = await incident(site).describe();
      return d.runId !== first.runId && d.status.name === 'RUNNING' ? d : undefined;
    },
    40_000,
  );
  expect(again.runId).not.toBe(first.runId);
  expect((await watchStatus(site)).verdict).toBe('down');
}, 90_000);

test('every location silent: the last verdict (down) no longer re-triggers a site failed back by hand', async () => {
  const site = S.silent;
  const fragile = new Map([[site, new ScriptedPrimary()]]);
  await w.startLocation('fragile', vantage(world, fragile));
  const config = watchConfig(ALL, { locations: ['fragile'], quorum: 1 });
  await watchOnly(site, config);
  await verdict(site, 'up');
  fragile.get(site)!.up = false;
  await incidentStatus(site);
  await waitForPhase(incident(site), 'on_standby');
  // The only location can no longer probe: its vote is dropped, and no quorum says anything.
  const broken: ProbeRegistry = {
    forSite() {
      throw new ProviderError('invalid_config', 'probe credentials missing');
    },
  };
  await w.startLocation('fragile', broken);
  await until(site, (x) => x.locations.fragile?.verdict === 'unknown');
  expect((await watchStatus(site)).verdict).toBe('down');
  // A human fails back: the primary serves again, though no location can see it.
  world.state(site).primaryUp = true;
  await incident(site).executeUpdate(requestFailback, { args: [{ by: 'test' }] });
  const resolved = await incident(site).result();
  expect(resolved.phase).toBe('resolved');
  const ended = await incident(site).describe();
  await new Promise((r) => setTimeout(r, 15_000)); // longer than the re-trigger period (10 s)
  const latest = await incident(site).describe();
  expect(latest.runId).toBe(ended.runId);
  const ws = await watchStatus(site);
  expect(ws.events.some((e) => /re-trigger skipped/.test(e.what))).toBe(true);
}, 90_000);

test('fewer than K consecutive failures (flapping) trigger nothing', async () => {
  const site = S.flap;
  const primary = local.get(site)!;
  await watchOnly(site);
  await verdict(site, 'up');
  primary.script.push(false, false, true, false, false, true, true, false, false, true);
  const checksBefore = primary.checks.length;
  // Every scripted check is made, and a few healthy ones after it.
  await waitFor(
    'the script to be consumed',
    () => primary.script.length === 0 && primary.checks.length >= checksBefore + 13,
  );
  const ws = await watchStatus(site);
  expect(ws.verdict).toBe('up');
  expect(ws.triggers).toBe(0);
  expect((await lookupIncident(w.client, site)).state).toBe('none');
});

test('the primary healthy again: the watcher tells the incident on standby', async () => {
  const site = S.recover;
  const primary = local.get(site)!;
  primary.up = false;
  await watchOnly(site);
  await incidentStatus(site);
  await waitForPhase(incident(site), 'on_standby');
  primary.up = true;
  const ws = await until(site, (x) => x.recoveries > 0);
  expect(ws.verdict).toBe('up');
  expect(ws.recoveries).toBe(1);
  await waitFor('primaryRecovered on the incident', async () =>
    (await incident(site).query(statusQuery)).triggers.some((t) => t.kind === 'primary_recovered'),
  );
  const s = await incident(site).query(statusQuery);
  expect(s.triggers.filter((t) => t.kind === 'primary_recovered')).toEqual([
    expect.objectContaining({ source: 'watcher' }),
  ]);
  expect(ws.lastRecovery?.outcome).toMatch(/told the incident \(on_standby\): primaryRecovered/);
  expect(s.phase).toBe('on_standby'); // failback stays the human's call (mode manual)
});

test('continue-as-new bounds the history and keeps the verdict: one trigger, one recovery', async () => {
  const site = S.can;
  const primary = local.get(site)!;
  primary.up = false;
  await watchOnly(site, baseConfig, { maxProbeRunMs: 150, historyLimit: 40 });
  await incidentStatus(site);
  const { runId } = await watchHandle(site).describe();
  await waitFor('several runs', async () => ((await watchStatus(site)).runs >= 3 ? true : undefined), 30_000);
  expect((await watchHandle(site).describe()).runId).not.toBe(runId);
  let ws = await watchStatus(site);
  expect(ws.verdict).toBe('down');
  expect(ws.triggers).toBe(1);
  primary.up = true;
  ws = await until(site, (x) => x.recoveries > 0);
  await waitFor('more runs', async () => ((await watchStatus(site)).runs >= ws.runs + 1 ? true : undefined), 30_000);
  ws = await watchStatus(site);
  expect(ws.triggers).toBe(1);
  expect(ws.recoveries).toBe(1);
  const s = await incident(site).query(statusQuery);
  expect(s.triggers.filter((t) => t.source === 'watcher' && t.kind === 'alert_opened')).toHaveLength(1);
  // History per run stays bounded.
  const history = await watchHandle(site).fetchHistory();
  expect(history.events!.length).toBeLessThan(120);
});

test('a probe worker restart loses nothing: probing resumes and the outage is still caught', async () => {
  const site = S.restart;
  const primary = local.get(site)!;
  await watchOnly(site);
  await verdict(site, 'up');
  await w.stopLocation('local');
  const checks = primary.checks.length;
  await w.startLocation('local', vantage(world, local));
  await waitFor('probing to resume', () => primary.checks.length > checks + 2, 30_000);
  primary.up = false;
  const s = await incidentStatus(site);
  expect(s.triggers.filter((t) => t.kind === 'alert_opened' && t.source === 'watcher')).toHaveLength(1);
});

test('several locations: the incident waits for the quorum to agree', async () => {
  const site = S.quorum;
  const config = watchConfig(ALL, { locations: ['east', 'west'], quorum: 2 });
  await watchOnly(site, config);
  await verdict(site, 'up');
  east.get(site)!.up = false;
  await waitFor('east to say down', async () =>
    (await watchStatus(site)).locations.east?.verdict === 'down' ? true : undefined,
  );
  let ws = await watchStatus(site);
  expect(ws.locations.west?.verdict).toBe('up');
  expect(ws.verdict).toBe('up');
  expect(ws.triggers).toBe(0);
  expect((await lookupIncident(w.client, site)).state).toBe('none');

  west.get(site)!.up = false;
  const s = await incidentStatus(site);
  const alert = s.triggers.find((t) => t.kind === 'alert_opened');
  expect(alert?.source).toBe('watcher');
  ws = await until(site, (x) => x.triggers > 0);
  expect(ws.verdict).toBe('down');
  expect(ws.lastTrigger?.alertId).toBe(alert?.id);
  expect(ws.events.some((e) => /east, west \(quorum 2\/2\)/.test(e.what))).toBe(true);
});

test('a config change reaches the running watcher; stop ends it', async () => {
  const site = S.reconf;
  await watchOnly(site);
  await verdict(site, 'up');
  const { runId } = await watchHandle(site).describe();
  const changed = watchConfig(ALL, { interval: '80ms', failuresToTrigger: 5 });
  await watchOnly(site, changed);
  await waitFor('reconfigured', async () =>
    (await watchStatus(site)).events.some((e) => e.what === 'reconfigured') ? true : undefined,
  );
  expect((await watchHandle(site).describe()).runId).toBe(runId);
  // The same policy again changes nothing.
  await watchOnly(site, changed);
  await watchHandle(site).signal(stopWatch, { by: 'test' });
  const final = await watchHandle(site).result();
  expect(final.stopped).toBe(true);
  expect(final.events.filter((e) => e.what === 'reconfigured')).toHaveLength(1);
});

describe('policy from config', () => {
  test('defaults: 5 s, K = 3, one location on its own task queue', () => {
    const config = inMemoryConfig(['a'], {}, { watcher: {} });
    expect(watchPolicy(config, 'a', 'failover')).toEqual({
      intervalMs: 5000,
      timeoutMs: 3000, // the site's probe.timeout, when shorter than the interval
      failuresToTrigger: 3,
      successesToRecover: 3,
      locations: [{ name: 'local', taskQueue: 'failover-watch-local' }],
      quorum: 1,
      taskQueue: 'failover',
      maxProbeRunMs: 600_000,
      historyLimit: 2000,
    });
  });
});

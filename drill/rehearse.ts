// One scenario in the sandbox: a Temporal dev server, the sandbox world (in process), the worker
// (and the Pub/Sub emulator + bridge for the Monitoring path) as processes, and for each repeat:
// load on the public URL → kill the primary → wait for detection, failover and verification →
// revive the primary → wait for the failback → stop the load, read the incident's status.
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { type SandboxNotification, startSandboxNotifications } from '../sandbox/notifications.ts';
import { DOCUMENTED_GRANTS } from '../sandbox/cloud-api/iam.ts';
import {
  createTopicAndSubscription,
  emulatorClient,
  startPubSubEmulator,
  type PubSubEmulator,
} from '../harness/pubsub-emulator.ts';
import { type ExtraEvent, type RunRecord, type StatusLike } from './analyze.ts';
import { Incidents } from '../clients/incidents.ts';
import { startLoad, type LoadOptions, type Sample } from './load.ts';
import { startUptimeChecker, type UptimeChecker } from './monitoring.ts';
import { type Proc, ROOT, spawnProc, spawnWorker } from '../harness/processes.ts';
import { waitFor } from '../harness/wait.ts';
import type { Scenario } from './scenario.ts';
import { startDevServer, type DevServer } from '../harness/temporal.ts';
import { errorMessage } from '../workflows/error-text.ts';

const SITE = 'www';
const FINAL = new Set(['resolved', 'rolled_back', 'dismissed']);

/** A line for the terminal; transient lines are progress (overwritten on a terminal). */
export type Progress = (line: string, transient?: boolean) => void;

export interface ScenarioRun {
  scenario: Scenario;
  runs: RunRecord[];
  /** Notes the report must show (e.g. a fallback taken). */
  notes: string[];
  startedAt: number;
  /** What the sandbox's notification endpoint received (docs/notifications.md). */
  notifications?: SandboxNotification[];
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function rehearseScenario(s: Scenario, outDir: string, progress: Progress): Promise<ScenarioRun> {
  const dir = join(outDir, s.name);
  mkdirSync(dir, { recursive: true });
  const notes: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  const runs: RunRecord[] = [];
  const startedAt = Date.now();
  let notifications: SandboxNotification[] | undefined;
  let dev: DevServer | undefined;
  let world: SandboxWorld | undefined;
  let checker: UptimeChecker | undefined;
  let notified: (() => SandboxNotification[]) | undefined;
  try {
    progress(`[${s.name}] starting the Temporal dev server, the sandbox and the worker`);
    dev = await startDevServer({ logFile: join(dir, 'temporal.log') });
    cleanups.push(dev.stop);
    const scaled = (ms: number) => Math.round(ms * s.timeScale);
    world = await startSandboxWorld({
      sites: [{ name: SITE, traffic: s.traffic, access: s.standby === 'open' ? 'always-open' : 'cloud-run' }],
      propagationDelayMs: s.iamDelayMs,
      seed: 7,
      probe: {
        interval: '100ms',
        successesNeeded: 1,
        timeout: '1s',
        standbyReadyTimeout: s.iamDelayMs + 120_000,
        verifyTimeout: '30s',
        primaryCheckTimeout: '10s',
      },
      failback: { mode: s.failback, holdDown: s.holdDownMs },
      coldStartMs: s.coldStartMs,
    });
    const w = world;
    cleanups.push(() => w.stop());
    const site = w.sites[SITE]!;
    if (s.traffic === 'dns') {
      const rec = w.api.state.zones.get(site.zoneId)!.dnsRecords.get(site.recordId!)!;
      rec.ttl = s.dnsTtlSeconds;
      const traffic = (w.rawConfig.sites as Record<string, { traffic: Record<string, unknown> }>)[SITE]!.traffic;
      traffic.ttl = s.dnsTtlSeconds;
      // The drill's users resolve through caches that honour the TTL: the engine waits them out.
      delete traffic.drainAfterFailback;
    }

    let emulator: PubSubEmulator | undefined;
    const extra: Record<string, unknown> = { temporal: { address: dev.address, taskQueue: 'drill' } };
    if (s.detect === 'watcher')
      extra.watcher = { interval: s.watchIntervalMs, failuresToTrigger: s.watchK, successesToRecover: s.watchK };
    if (s.detect === 'monitoring' && s.pubsub === 'emulator') {
      try {
        emulator = await startPubSubEmulator('sandbox-project');
        const e = emulator;
        cleanups.push(() => e.stop());
        await createTopicAndSubscription(emulator.client(), 'monitoring-alerts', 'failover-alerts', 10);
        extra.alerts = {
          projectId: 'sandbox-project',
          subscription: 'failover-alerts',
          http: { host: '127.0.0.1', port: 0 },
        };
      } catch (err) {
        notes.push(
          `The Pub/Sub emulator could not start (${String(err).split('\n')[0]}); alerts were signalled straight to Temporal, as the bridge does.`,
        );
        s = { ...s, pubsub: 'direct' };
      }
    }
    if (s.warmStandby > 0) {
      // standby.warmup: its own role (docs/production.md), beyond the grants every site needs.
      const standby = (w.rawConfig.sites as Record<string, { standby: Record<string, unknown> }>)[SITE]!.standby;
      standby.warmup = { minInstances: s.warmStandby };
      await w.control.changeIam({
        grants: [...DOCUMENTED_GRANTS, { role: 'projects/$PROJECT/roles/failoverStandbyWarmup' }],
      });
    }
    const endpoint = await startSandboxNotifications();
    cleanups.push(() => endpoint.stop());
    notified = endpoint.received;
    extra.notifications = endpoint.config;
    const configPath = join(dir, 'sandbox.yaml');
    w.writeConfig(configPath, extra);

    const worker = spawnWorker({
      config: configPath,
      env: { ...w.env, ...endpoint.env },
      logFile: join(dir, 'worker.log'),
    });
    cleanups.push(() => worker.stop(35_000));
    let bridge: Proc | undefined;
    if (emulator) {
      bridge = spawnProc({
        name: 'bridge',
        cmd: process.execPath,
        args: ['starters/bridge/main.ts', configPath],
        cwd: ROOT,
        env: { PUBSUB_EMULATOR_HOST: emulator.host, METADATA_SERVER_DETECTION: 'none', LOG_LEVEL: 'info' },
        logFile: join(dir, 'bridge.log'),
        readyWhen: /bridge started/,
        readyTimeoutMs: 120_000,
      });
      const b = bridge;
      cleanups.push(() => b.stop());
    }
    await worker.ready;
    await bridge?.ready;

    const connection = await Connection.connect({ address: dev.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    if (s.providerLatencyMs) await w.control.addFault({ latencyMs: s.providerLatencyMs });
    if (s.faultRate > 0)
      await w.control.addFault({
        rate: s.faultRate,
        status: s.faultStatus,
        ...(s.faultStatus !== 500 && { retryAfterSeconds: 1 }),
      });

    // The Monitoring path: an uptime checker on its own cadence (outages land at a random phase of it).
    let events: ExtraEvent[] = [];
    if (s.detect === 'monitoring') {
      const publisher = emulator
        ? emulatorClient(emulator.host, emulator.projectId).topic('monitoring-alerts')
        : undefined;
      checker = startUptimeChecker({
        site: SITE,
        url: `${site.primary.url}healthz`,
        marker: 'served-by: primary',
        periodMs: scaled(s.uptimePeriodMs),
        durationMs: scaled(s.alertDurationMs),
        alertDelayMs: scaled(s.alertDelayMs),
        onEvent: (at, label, kind) => events.push({ at, label, kind }),
        publish: async (message) => {
          if (publisher) {
            await publisher.publishMessage({ data: Buffer.from(JSON.stringify(message)) });
            return;
          }
          await signalAsBridge(client, w, message);
        },
      });
    }

    if (s.detect === 'watcher') {
      await waitFor(
        'the watcher to see the primary up',
        async () => {
          const st = (await client.workflow.getHandle(`watch-${SITE}`).query('watchStatus')) as { verdict?: string };
          return st.verdict === 'up' ? true : undefined;
        },
        60_000,
        250,
      );
    }

    for (let repeat = 1; repeat <= s.repeat; repeat++) {
      events = [];
      const run = await sandboxOnce({ s, w, client, repeat, events: () => events, progress, dir });
      runs.push(run);
      if (run.error) progress(`[${s.name}] repeat ${repeat}: ${run.error}`);
      if (run.error && !run.status) break; // the world is in an unknown state
      if (repeat < s.repeat) {
        // Each rehearsal starts from the idle world. The standby's closing is an IAM change too: it
        // takes the propagation delay to apply, and a standby reopened before that was never
        // closed (repeat 2 would then skip the IAM wait entirely).
        if (s.standby === 'on-demand') {
          progress(`[${s.name}] waiting for the standby's closing to propagate (IAM delay ${s.iamDelayMs / 1000} s)`);
          await waitFor(
            'the standby to be closed again',
            async () => ((await w.control.info()).sites[SITE]!.standbyPublic ? undefined : true),
            s.iamDelayMs + 60_000,
            250,
          );
        }
        // Let the triggers settle before the next outage: the watcher must see the primary up again,
        // and Cloud Monitoring must have closed its incident (first passing check).
        if (s.detect === 'watcher') {
          await waitFor(
            'the watcher to see the primary up',
            async () => {
              const st = (await client.workflow.getHandle(`watch-${SITE}`).query('watchStatus')) as {
                verdict?: string;
              };
              return st.verdict === 'up' ? true : undefined;
            },
            60_000,
            250,
          );
        } else {
          await waitFor(
            'the uptime check to pass again',
            async () =>
              events.some((e) => e.label.startsWith('uptime check passed')) ||
              !events.some((e) => e.label.startsWith('alert condition met'))
                ? true
                : undefined,
            scaled(s.uptimePeriodMs) * 2 + 10_000,
            250,
          );
        }
      }
    }
    await sleep(1000); // the last phase's notification is sent as the incident ends
  } catch (err) {
    notes.push(`The drill stopped early: ${errorMessage(err)}`);
    progress(`[${s.name}] failed: ${errorMessage(err)}`);
  } finally {
    checker?.stop();
    notifications = notified?.();
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
  return { scenario: s, runs, notes, startedAt, ...(notifications && { notifications }) };
}

/** The Monitoring path without the emulator: what the bridge would do with this message. */
async function signalAsBridge(client: Client, w: SandboxWorld, message: Record<string, unknown>): Promise<void> {
  const incident = message.incident as { incident_id: string; state: string; started_at: number };
  const incidents = Incidents.of(client, w.config, 'drill');
  if (incident.state === 'open') {
    await incidents.trigger(SITE, {
      alertId: incident.incident_id,
      source: 'pubsub',
      startedAt: new Date(incident.started_at * 1000).toISOString(),
      publishedAt: new Date().toISOString(),
    });
  } else {
    await incidents.alertClosed(SITE, { alertId: incident.incident_id, source: 'pubsub' }).catch(() => {});
  }
}

async function currentRunId(client: Client, id: string): Promise<string | undefined> {
  try {
    return (await client.workflow.getHandle(id).describe()).runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export interface OnceOptions {
  s: Scenario;
  client: Client;
  site: string;
  repeat: number;
  load: LoadOptions;
  kill(): Promise<void>;
  revive(): Promise<void>;
  events: () => ExtraEvent[];
  progress: Progress;
}

function sandboxOnce(o: {
  s: Scenario;
  w: SandboxWorld;
  client: Client;
  repeat: number;
  events: () => ExtraEvent[];
  progress: Progress;
  dir: string;
}): Promise<RunRecord> {
  const { s, w } = o;
  const site = w.sites[SITE]!;
  const load: LoadOptions = { url: w.urls.sites[SITE]!.public, rate: s.rate, users: s.users, timeoutMs: s.timeoutMs };
  if (s.traffic === 'dns') {
    const zone = w.api.state.zones.get(site.zoneId)!;
    load.dns = {
      resolve: async () => {
        const rec = zone.dnsRecords.get(site.recordId!)!;
        return { content: String(rec.content), ttlSeconds: Number(rec.ttl) };
      },
      hosts: { [site.primaryContent!]: site.primary.url, [site.standbyContent!]: site.standby.url },
    };
  }
  return rehearseOnce({
    s,
    client: o.client,
    site: SITE,
    repeat: o.repeat,
    load,
    kill: () => w.control.killPrimary(SITE, s.killMode),
    revive: async () => {
      if (!site.primary.isUp) await w.control.revivePrimary(SITE);
    },
    events: o.events,
    progress: o.progress,
  });
}

/** One rehearsal: load, failure, failover, primary back, failback, load. */
export async function rehearseOnce(o: OnceOptions): Promise<RunRecord> {
  const { s, client, repeat } = o;
  const id = `incident-${o.site}`;
  const before = await currentRunId(client, id);
  const loadStart = Date.now();
  const loadAvgAtStart = loadavg()[0]!;
  const load = startLoad(o.load);
  let t0 = Date.now() + s.warmupMs; // the planned failure, for the progress line (negative offsets: warm-up)
  let reviveAt: number | undefined;
  let phase = 'warm-up';
  let status: StatusLike | undefined;
  let error: string | undefined;
  const ticker = setInterval(() => o.progress(progressLine(s, repeat, t0, phase, load.samples), true), 250);
  const finish = async (): Promise<RunRecord> => {
    clearInterval(ticker);
    await load.stop();
    const record: RunRecord = {
      repeat,
      t0,
      loadStart,
      ...(reviveAt !== undefined && { reviveAt }),
      loadEnd: Date.now(),
      samples: load.samples,
      ...(status && { status }),
      events: [...o.events()],
      ...(error && { error }),
      loadAvg: [round2(loadAvgAtStart), round2(loadavg()[0]!)],
    };
    o.progress(progressLine(s, repeat, t0, phase, load.samples), false);
    return record;
  };
  try {
    // A random point of the detector's cycle (the watcher's probes, or the uptime checks), as a
    // real outage. Without it the Monitoring path's repeats all land at the same phase: the
    // drill waits for a passing check between them.
    const cycle = s.detect === 'monitoring' ? s.uptimePeriodMs * s.timeScale : s.watchIntervalMs;
    await sleep(s.warmupMs + Math.random() * cycle);
    t0 = Date.now();
    phase = 'primary down';
    await o.kill();
    const detectBound =
      s.detect === 'watcher'
        ? 60_000
        : Math.round((s.uptimePeriodMs + s.alertDurationMs + s.alertDelayMs) * s.timeScale) + 120_000;
    const runId = await waitFor(
      'the incident to start',
      async () => {
        const runId = await currentRunId(client, id);
        return runId && runId !== before ? runId : undefined;
      },
      detectBound,
      100,
    );
    phase = 'failing_over';
    const handle = client.workflow.getHandle(id, runId);
    const query = async () => (status = (await handle.query('status')) as StatusLike);
    await waitFor(
      'the failover to end',
      async () => {
        const st = await query();
        phase = st.phase;
        return st.phase === 'on_standby' || FINAL.has(st.phase) ? true : undefined;
      },
      s.iamDelayMs + 300_000,
      500,
    );
    if (status!.phase !== 'on_standby') throw new Error(`the failover ended ${status!.phase}: ${status!.cause ?? ''}`);
    // DNS: users' resolvers hold the primary's address up to a TTL after the switch; stay on
    // standby until they all moved, so the failover's downtime is not cut short by the revive.
    await sleep(s.traffic === 'dns' ? Math.max(s.onStandbyMs, s.dnsTtlSeconds * 1000 + 2000) : s.onStandbyMs);
    reviveAt = Date.now();
    phase = 'primary back';
    await o.revive();
    if (s.failback === 'manual') {
      await sleep(s.holdDownMs);
      await handle.signal('approveFailback', { by: 'drill', reason: 'drill: primary back' });
    }
    await waitFor(
      'the failback to end',
      async () => {
        const st = await query();
        phase = st.phase;
        return FINAL.has(st.phase) ? true : undefined;
      },
      s.holdDownMs + 300_000,
      500,
    );
    const ended = status as StatusLike | undefined;
    if (ended?.phase !== 'resolved') throw new Error(`the failback ended ${ended?.phase}: ${ended?.cause ?? ''}`);
    phase = 'resolved';
    // DNS: users' resolvers hold the standby's address up to a TTL after the switch back.
    await sleep(s.traffic === 'dns' ? Math.max(s.tailMs, s.dnsTtlSeconds * 1000 + 2000) : s.tailMs);
    await query().catch(() => {});
  } catch (err) {
    error = errorMessage(err);
    await o.revive().catch(() => {});
  }
  return finish();
}

function progressLine(s: Scenario, repeat: number, t0: number, phase: string, samples: Sample[]): string {
  const recent = samples.slice(-Math.max(1, Math.round(s.rate / 2)));
  const bad = recent.filter((x) => x.kind !== 'ok').length;
  const failed = samples.filter((x) => x.kind !== 'ok').length;
  const last = samples.at(-1);
  const offset = ((Date.now() - t0) / 1000).toFixed(1);
  const now = last ? `${last.status || last.kind}${last.servedBy ? ` ${last.servedBy}` : ''}` : '-';
  return `[${s.name}] ${repeat}/${s.repeat}  t${Number(offset) >= 0 ? '+' : ''}${offset}s  ${phase.padEnd(13)} requests ${samples.length}, failed ${failed}  now ${bad ? `${bad}/${recent.length} failing` : 'all good'} (${now})`;
}

// The seeded fault simulation: many incidents at once against a real Temporal server, one worker
// (restarted at random moments) and the in-memory world, each driven by a schedule drawn from the
// run's seed; after each, the invariants are checked (invariants.ts). Used by `npm run simulate`
// (test/simulation/main.ts) and by the CI suite (test/simulation/simulation.test.ts).
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { ProviderError } from '../../activities/errors.ts';
import { type InMemorySiteState, InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import { Incidents } from '../../clients/incidents.ts';
import { incidentPolicy } from '../../config/policies.ts';
import { configSchema } from '../../config/schema.ts';
import type { incident } from '../../workflows/incident.ts';
import {
  abort,
  acknowledge,
  alertClosed,
  alertOpened,
  approveFailback,
  incidentWorkflowId,
  primaryRecovered,
  requestFailback,
  retry,
  statusQuery,
} from '../../workflows/incident-messages.ts';
import type { IncidentStatus } from '../../workflows/incident-types.ts';
import { type WorkflowSource, createMainWorker } from '../../worker/workers.ts';
import { type Observed, checkIncident } from './invariants.ts';
import {
  type IncidentSchedule,
  type SimEvent,
  SWEEP_FROM,
  SWEEP_ROUNDS,
  drawSchedule,
  sweepIndex,
} from './schedule.ts';
import {
  type Cell,
  type CellEvent,
  type CellPhase,
  WATCHER_EVENTS,
  cell,
  cellPhase,
  generatedCells,
  unhitCells,
} from './cells.ts';
import { errorMessage } from '../../workflows/error-text.ts';
import type { IncidentPolicy } from '../../workflows/incident-types.ts';
import { SimWatcher, startLocation, triggersAfterSilence } from './watcher.ts';

export interface SimulationOptions {
  seed: number;
  /** Incidents 0..n-1 of the seed, unless `only` names some. */
  incidents: number;
  only?: number[];
  /** Incidents in flight at once. */
  concurrency?: number;
  address: string;
  workflows: WorkflowSource;
  /** Progress and failure reports; default console.log. */
  log?: (line: string) => void;
  /** How long an incident's status must stay still, after its schedule ended, to count as settled. */
  settleMs?: number;
  /** Print every incident's journal, not only the failing ones' (default when replaying `only`). */
  verbose?: boolean;
  /** Give up on an incident this long after its schedule ended. */
  deadlineMs?: number;
}

export interface IncidentResult {
  schedule: IncidentSchedule;
  site: string;
  observed: Observed;
  problems: string[];
  /** What the harness did and saw, ms from the incident's start. */
  journal: string[];
  ms: number;
  /** The cells of the table this incident put an event into. */
  hits: Cell[];
}

export interface SimulationReport {
  seed: number;
  incidents: number;
  /** Incidents of the sweep, aimed again at cells the run left unhit. */
  swept: number;
  ms: number;
  /** Final phase (or how it failed to end) → count. */
  outcomes: Record<string, number>;
  workerRestarts: number;
  faultsInjected: number;
  lostReplies: number;
  mutations: number;
  failures: IncidentResult[];
  /** Cell → incidents that put an event into it. */
  coverage: Map<Cell, number>;
  meanIncidentMs: number;
}

/** Probe bounds short enough that a schedule plays out in seconds. */
const SITE = {
  publicUrl: 'https://www.example.test/',
  primary: { url: 'https://home.example.test/healthz' },
  standby: { url: 'https://standby.example.test/', access: { type: 'in-memory' } },
  traffic: { type: 'in-memory' },
  monitor: { type: 'in-memory' },
};
const PROBE = {
  interval: '25ms',
  successesNeeded: 1,
  standbyReadyTimeout: '2s',
  verifyTimeout: '1500ms',
  primaryCheckTimeout: '800ms',
};

let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
      shutdownSignals: [],
    });
  } catch {
    /* already installed by the suite */
  }
}

interface HostOptions {
  address: string;
  taskQueue: string;
  world: InMemoryWorld;
  workflows: WorkflowSource;
  /** How the watcher's trigger activities reach the incidents. */
  incidents: Incidents;
}

/** The one worker of the run; `kill()` stops it without grace (activities cancelled, sticky caches lost) and starts a new one. */
class WorkerHost {
  restarts = 0;
  private worker: Worker | undefined;
  private done: Promise<void> = Promise.resolve();
  private restarting: Promise<void> | undefined;
  private lastKill = 0;
  private readonly o: HostOptions;

  constructor(o: HostOptions) {
    this.o = o;
  }

  async start(): Promise<void> {
    const connection = await NativeConnection.connect({ address: this.o.address });
    const worker = await createMainWorker({
      connection,
      taskQueue: this.o.taskQueue,
      registry: this.o.world,
      incidents: this.o.incidents,
      workflows: this.o.workflows,
      tuning: { shutdownGraceTime: '0s', maxCachedWorkflows: 500 },
    });
    this.worker = worker;
    this.done = worker.run().finally(() => connection.close());
  }

  /** A kill asked for within 3 s of the last one joins it (the worker is barely back). */
  kill(): Promise<void> {
    if (this.restarting || Date.now() - this.lastKill < 3000) return this.restarting ?? Promise.resolve();
    this.lastKill = Date.now();
    this.restarting = (async () => {
      if (this.worker?.getState() === 'RUNNING') this.worker.shutdown();
      await this.done.catch(() => {});
      await this.start();
      this.restarts++;
    })().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  async stop(): Promise<void> {
    await this.restarting;
    if (this.worker?.getState() === 'RUNNING') this.worker.shutdown();
    await this.done.catch(() => {});
  }
}

/** Messages that make Temporal suggest continue-as-new (the suite's dev server: 300 events). */
const CONTINUE_AS_NEW_FLOOD = 300;
const LEVERS = ['standbyAccess', 'traffic', 'monitor'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function replayCommand(seed: number, index: number): string {
  return `npm run simulate -- --seed ${seed} --only ${index}    (or: SIM_SEED=${seed} SIM_ONLY=${index} npx vitest run test/simulation/simulation.test.ts)`;
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationReport> {
  const log = o.log ?? ((line: string) => console.log(line));
  const settleMs = o.settleMs ?? 2000;
  const deadlineMs = o.deadlineMs ?? 90_000;
  o = { verbose: o.only !== undefined, ...o };
  const indices = o.only ?? Array.from({ length: o.incidents }, (_, i) => i);
  let total = indices.length; // grows by the sweep's incidents
  const started = Date.now();
  const runTag = randomBytes(2).toString('hex');
  const taskQueue = `sim-${o.seed}-${runTag}`;

  quietRuntime();
  const world = new InMemoryWorld({ intervalMs: 25, successesNeeded: 1 });
  const connection = await Connection.connect({ address: o.address });
  const client = new Client({ connection });
  // Each site's policy as the starters see it now (a config change replaces it).
  const policies = new Map<string, IncidentPolicy>();
  const incidents = new Incidents(client, taskQueue, (site) => policies.get(site)!);
  const host = new WorkerHost({ address: o.address, taskQueue, world, workflows: o.workflows, incidents });
  await host.start();
  const location = await startLocation(o.address, taskQueue, world);

  const results: IncidentResult[] = [];
  let running = 0;
  let faultsInjected = 0;
  const progress = setInterval(() => {
    const failing = results.filter((r) => r.problems.length > 0).length;
    log(
      `[sim] seed ${o.seed}: ${results.length}/${total} done, ${running} running, ${failing} failing, ` +
        `${host.restarts} worker restarts, ${Math.round((Date.now() - started) / 1000)} s`,
    );
  }, 5000);

  async function runIncident(index: number): Promise<IncidentResult> {
    const schedule = drawSchedule(o.seed, index);
    const site = `sim-${runTag}-${o.seed % 100000}-${index}`;
    const t0 = Date.now();
    const journal: string[] = [];
    const note = (line: string): void => void journal.push(`${String(Date.now() - t0).padStart(6)} ms  ${line}`);
    const sites = {
      [site]: {
        ...SITE,
        probe: PROBE,
        failback: { mode: schedule.failback.mode, holdDown: `${schedule.failback.holdDownMs}ms` },
      },
    };
    const config = configSchema.parse({ sites });
    let policy = incidentPolicy(config.sites[site]!);
    if (schedule.drainMs > 0) policy.drainBeforeCloseMs = schedule.drainMs;
    policies.set(site, policy);
    const startedFailbackMode = policy.failback.mode;
    const watched = schedule.cells.some((c) => WATCHER_EVENTS.includes(c.event));
    const watcher = watched ? new SimWatcher(client, taskQueue, site, sites) : undefined;
    const workflowId = incidentWorkflowId(site);
    const latest = () => client.workflow.getHandle<typeof incident>(workflowId);

    world.addSite(site, {
      primaryUp: false,
      standbyUp: !schedule.standbyDownAtStart,
      monitor: schedule.initial.monitor,
    });
    if (schedule.latencyMs > 0) world.setLatency(site, '*', schedule.latencyMs);
    const before = world.snapshot(site);
    const outageStartedAt = new Date(t0).toISOString();
    let firstRunId: string | undefined;
    let chainEnded = false;
    const hits: Cell[] = [];
    let acknowledged = false;
    let cancelled: CellPhase | undefined;
    let outages = 0;
    /** When the schedule last took the primary down, while it is down (a new outage after a failback is no failback's fault). */
    let primaryDownSince: number | undefined = t0;
    /** When the schedule took the primary down, each time. */
    const downs: number[] = [t0];

    /** Whatever a human or a source sends may meet an ended workflow: noted, never fatal. */
    async function attempt(what: string, call: () => Promise<unknown>): Promise<void> {
      try {
        const out = await call();
        note(`${what}${out === undefined ? '' : `: ${JSON.stringify(out)}`}`);
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        note(`${what}: refused: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}`);
      }
    }

    async function apply(e: SimEvent): Promise<void> {
      switch (e.do) {
        case 'alert':
          return attempt(`alert ${e.id} opened${chainEnded ? ' (after the end)' : ''}`, async () => {
            const h = await incidents.trigger(site, { alertId: e.id, source: 'test', startedAt: outageStartedAt });
            if (!firstRunId) {
              firstRunId = h.signaledRunId;
              watchEnd(firstRunId);
            }
            return h.signaledRunId === firstRunId ? undefined : `run ${h.signaledRunId}`;
          });
        case 'alertClosed':
          return attempt(`alert ${e.id} closed`, () =>
            latest().signal(alertClosed, { alertId: e.id, source: 'test', endedAt: new Date().toISOString() }),
          );
        case 'primary':
          world.state(site).primaryUp = e.up;
          if (!e.up) downs.push(Date.now());
          primaryDownSince = e.up ? undefined : Date.now();
          return note(`primary ${e.up ? 'up' : 'down'}`);
        case 'standby':
          world.state(site).standbyUp = e.up;
          return note(`standby ${e.up ? 'up' : 'down'}`);
        case 'fault': {
          const f = e.fault;
          faultsInjected++;
          world.inject(site, f.op, {
            times: f.times,
            lostReply: f.kind === 'lostReply',
            error: new ProviderError(f.error, `sim ${f.kind} fault on ${f.op} of ${site}`, f.retryAfterMs),
          });
          return note(`fault ${JSON.stringify(f)}`);
        }
        case 'abort':
          return attempt('abort', () => latest().signal(abort, { by: 'sim' }));
        case 'failback':
          return e.via === 'update'
            ? attempt('failback (update)', () => latest().executeUpdate(requestFailback, { args: [{ by: 'sim' }] }))
            : attempt('failback (signal)', () => latest().signal(approveFailback, { by: 'sim' }));
        case 'killWorker':
          note('worker killed');
          void host.kill().then(() => note('worker restarted'));
          return;
      }
    }

    /** The chain's end, seen as it happens (its result long-polled): the world is captured then. */
    let end:
      { at: number; atEnd: InMemorySiteState; downSince?: number; status?: IncidentStatus; error?: string } | undefined;
    function watchEnd(runId: string): void {
      const seen = (out: { status?: IncidentStatus; error?: string }) => {
        // The primary's outage is captured with the world: events after the end must not change it.
        end ??= { at: Date.now(), atEnd: { ...world.state(site) }, ...out, downSince: primaryDownSince };
        chainEnded = true;
        note(`ended: ${out.status?.phase ?? out.error}`);
      };
      client.workflow
        .getHandle<typeof incident>(workflowId, runId, { followRuns: true })
        .result()
        .then(
          (status) => seen({ status }),
          (err: unknown) => seen({ error: errorMessage(err) }),
        );
    }

    /** The chain's state now: ended, or running with a status. */
    async function look(): Promise<IncidentStatus | undefined> {
      if (!firstRunId || end) return undefined;
      try {
        const d = await latest().describe();
        if (d.raw.workflowExecutionInfo?.firstRunId !== firstRunId || d.status.name !== 'RUNNING') return undefined;
        return await latest().query(statusQuery);
      } catch {
        return undefined;
      }
    }

    /** An event of the table, put into the phase the incident is in. */
    async function applyCell(phase: CellPhase, event: CellEvent): Promise<void> {
      hits.push(cell(phase, event));
      const by = { by: 'sim' };
      switch (event) {
        case 'outage':
          await apply({ at: 0, do: 'primary', up: false });
          return attempt(`outage: alert o${++outages} opened`, async () => {
            const h = await incidents.trigger(site, {
              alertId: `o${outages}`,
              source: 'test',
              startedAt: new Date().toISOString(),
            });
            return h.signaledRunId === firstRunId ? undefined : `run ${h.signaledRunId}`;
          });
        case 'alertClosed':
          return apply({ at: 0, do: 'alertClosed', id: 'a1' });
        case 'primaryRecovered':
          await apply({ at: 0, do: 'primary', up: true });
          return attempt('primary recovered (signal)', () => latest().signal(primaryRecovered, by));
        case 'failbackApproved':
          return apply({ at: 0, do: 'failback', via: 'signal' });
        case 'failbackRequested':
          return apply({ at: 0, do: 'failback', via: 'update' });
        case 'abort':
          return apply({ at: 0, do: 'abort' });
        case 'retry':
          return attempt('retry', () => latest().signal(retry, by));
        case 'acknowledge':
          acknowledged = true;
          return attempt('acknowledge', () => latest().signal(acknowledge, by));
        case 'cancel':
          cancelled = phase;
          return attempt('cancel', () => latest().cancel());
        case 'permanentFailure':
        case 'lostReply':
          for (const op of LEVERS) {
            const kind = event === 'lostReply' ? 'lostReply' : 'permanent';
            const error = kind === 'lostReply' ? 'unavailable' : 'permission';
            await apply({ at: 0, do: 'fault', fault: { op, kind, times: 1, error } });
          }
          return;
        case 'workerCrash':
          return apply({ at: 0, do: 'killWorker' });
        case 'configChange': {
          // What a new deploy of the sites file does: starters pass the new policy from now on.
          const mode = policy.failback.mode === 'auto' ? 'manual' : 'auto';
          policy = { ...policy, failback: { ...policy.failback, mode } };
          policies.set(site, policy);
          note(`config changed: failback ${mode} for new runs${watcher ? ', the watcher reconfigured' : ''}`);
          return attempt('watcher reconfigured', async () => void (await watcher?.reconfigure()));
        }
        case 'silentWatcherLocations':
          return attempt("the watcher's locations silent", async () => void (await watcher?.silence()));
        case 'continueAsNew':
          return attempt(`${CONTINUE_AS_NEW_FLOOD} duplicate alerts (continue-as-new)`, async () => {
            for (let i = 0; i < CONTINUE_AS_NEW_FLOOD; i += 20)
              await Promise.all(
                Array.from({ length: 20 }, () => latest().signal(alertOpened, { alertId: 'a1', source: 'test' })),
              );
          });
      }
    }

    /** Each cell event waits (bounded) until the incident is in its phase; the chain's end stops them. */
    async function putCells(): Promise<void> {
      if (schedule.failbackOnStandby) {
        for (const deadline = Date.now() + 8000; cellPhase(await look()) !== 'on_standby'; await sleep(40))
          if (end || Date.now() > deadline) return;
        await apply({ at: 0, do: 'primary', up: true });
        void apply({ at: 0, do: 'failback', via: 'update' });
      }
      for (const [i, c] of schedule.cells.entries()) {
        const deadline = Date.now() + (i === 0 ? 10_000 : 1500);
        for (;;) {
          const phase = cellPhase(await look());
          if (end || Date.now() > deadline) break;
          if (phase === c.phase) {
            note(`in ${phase}: ${c.event}`);
            await applyCell(phase, c.event);
            break;
          }
          await sleep(40);
        }
        if (end) return;
      }
    }

    // --- the schedule, and the events put into phases beside it ---
    if (watcher) await attempt('watcher started', async () => void (await watcher.start()));
    const cellsDone = putCells();
    for (const e of schedule.events) {
      await sleep(t0 + e.at - Date.now());
      await apply(e);
    }
    await cellsDone;
    await sleep(t0 + schedule.closeAt - Date.now());
    if (!schedule.primaryEndsDown) {
      world.state(site).primaryUp = true;
      note('primary up (for good)');
    }
    const closedAt = Date.now();

    // --- until it ends or settles: a human asks to fail back a few times ---
    let ending: Observed['ending'] = 'unsettled';
    let status: IncidentStatus | undefined;
    let failbacks = 0;
    let nextFailbackAt = closedAt + (schedule.failback.mode === 'auto' ? schedule.failback.holdDownMs + 2500 : 300);
    let signature = '';
    let stillSince = Date.now();
    let settledAt: InMemorySiteState | undefined;
    while (Date.now() - closedAt < deadlineMs) {
      const seen = await look();
      if (end) break;
      if (seen) status = seen;
      const phase = status?.phase as string | undefined;
      const wantsFailback = phase === 'on_standby' && !schedule.primaryEndsDown && failbacks < 4;
      if (wantsFailback && Date.now() >= nextFailbackAt) {
        failbacks++;
        nextFailbackAt = Date.now() + 1500;
        await attempt('failback (update, closing)', () =>
          latest().executeUpdate(requestFailback, { args: [{ by: 'sim-closing' }] }),
        );
        stillSince = Date.now();
      }
      const inFlight = (status?.steps ?? []).filter(
        (s) =>
          s.outcome === 'running' &&
          !(phase === 'on_standby' && s.name === 'await_primary_healthy' && status?.failbackMode === 'auto') &&
          !(phase === 'needs_attention' && s.name === 'watch_primary'),
      );
      const sig = `${phase}/${status?.steps.length}/${inFlight.length}`;
      if (sig !== signature) {
        signature = sig;
        stillSince = Date.now();
      }
      const idle = (phase === 'on_standby' || phase === 'needs_attention') && inFlight.length === 0;
      const holdDownLeft =
        status?.failbackMode === 'auto' && !schedule.primaryEndsDown ? schedule.failback.holdDownMs : 0;
      if (idle && !wantsFailback && Date.now() - stillSince >= settleMs + holdDownLeft) {
        ending = 'settled';
        settledAt = { ...world.state(site) };
        note(`settled: ${phase}`);
        break;
      }
      await sleep(200);
    }
    if (end) {
      ending = end.error !== undefined ? 'failed' : 'completed';
      status = end.status ?? status;
    }
    const atEnd = end?.atEnd ?? settledAt ?? { ...world.state(site) };

    // --- a stale alert of the same outage, once it ended: must change nothing ---
    if (schedule.staleAlertAfterEnd && ending === 'completed' && world.state(site).primaryUp) {
      await apply({ at: 0, do: 'alert', id: 'a-stale' });
      await sleep(1500);
    }
    // Leave nothing running: the watcher, then a run started after the end (or a settled one).
    await watcher?.stop();
    try {
      const d = await latest().describe();
      if (d.status.name === 'RUNNING') await latest().terminate('simulation: incident checked');
    } catch {
      /* none */
    }

    const observed: Observed = {
      ending,
      ...(status && { status }),
      ...(end?.error !== undefined && { error: end.error }),
      before,
      atEnd,
      mutations: world.mutations.filter((m) => m.site === site),
      ...(end && { endedAt: end.at }),
      primaryDownSince: end ? end.downSince : primaryDownSince,
      ...((acknowledged as boolean) ? { acknowledgedByHuman: true } : {}),
      ...(cancelled && { cancelRequested: true, cancelledIn: cancelled }),
      startedFailbackMode,
      watcherTriggersAfterSilence: triggersAfterSilence(status, watcher?.silenceTakenAt),
      ...(watcher && { watcherRan: true }),
      ...(end && { downAtOrAfterEnd: end.downSince !== undefined || downs.some((t) => t >= end!.at) }),
    };
    return { schedule, site, observed, problems: checkIncident(observed), journal, ms: Date.now() - t0, hits };
  }

  const queue = [...indices];
  async function lane(): Promise<void> {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      running++;
      try {
        const r = await runIncident(index);
        results.push(r);
        if (r.problems.length || o.verbose) log(describeFailure(r));
      } finally {
        running--;
      }
    }
  }
  const lanes = () => Promise.all(Array.from({ length: Math.min(o.concurrency ?? 25, queue.length) }, lane));
  try {
    await lanes();
    // The sweep (schedule.ts): cells left unhit are aimed at again, a bounded number of rounds.
    const generated = generatedCells();
    for (let round = 0; !o.only && round < SWEEP_ROUNDS; round++) {
      const unhit = unhitCells(coverageOf(results), generated);
      if (!unhit.length) break;
      log(`[sim] seed ${o.seed}: sweep round ${round + 1} aims again at ${unhit.join(', ')}`);
      queue.push(...unhit.map((c) => sweepIndex(generated.indexOf(c), round)));
      total += unhit.length;
      await lanes();
    }
  } finally {
    clearInterval(progress);
    await location.stop();
    await host.stop();
    await connection.close();
  }

  const outcomes: Record<string, number> = {};
  for (const r of results) {
    const key =
      r.observed.ending === 'completed' || r.observed.ending === 'settled'
        ? `${r.observed.status?.phase}`
        : r.observed.ending;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  const mutations = world.mutations.length;
  const coverage = coverageOf(results);
  const report: SimulationReport = {
    seed: o.seed,
    incidents: results.filter((r) => r.schedule.index < SWEEP_FROM).length,
    swept: results.filter((r) => r.schedule.index >= SWEEP_FROM).length,
    ms: Date.now() - started,
    outcomes,
    workerRestarts: host.restarts,
    faultsInjected,
    lostReplies: world.mutations.filter((m) => m.replyLost).length,
    mutations,
    failures: results.filter((r) => r.problems.length > 0).sort((a, b) => a.schedule.index - b.schedule.index),
    coverage,
    meanIncidentMs: results.reduce((n, r) => n + r.ms, 0) / Math.max(1, results.length),
  };
  log(summary(report));
  return report;
}

/** How many incidents hit each cell. */
function coverageOf(results: readonly IncidentResult[]): Map<Cell, number> {
  const coverage = new Map<Cell, number>();
  for (const r of results) for (const c of new Set(r.hits)) coverage.set(c, (coverage.get(c) ?? 0) + 1);
  return coverage;
}

export function describeFailure(r: IncidentResult): string {
  const s = r.observed.status;
  return [
    r.problems.length
      ? `✗ incident #${r.schedule.index} of seed ${r.schedule.runSeed} (site ${r.site}) broke ${r.problems.length} invariant(s):`
      : `✓ incident #${r.schedule.index} of seed ${r.schedule.runSeed} (site ${r.site}) kept every invariant`,
    ...r.problems.map((p) => `    - ${p}`),
    `  cells: ${r.hits.join(', ') || 'none'}`,
    `  ended: ${r.observed.ending}, phase ${s?.phase ?? '?'}${s?.cause ? `, cause: ${s.cause}` : ''}`,
    ...(s?.warnings.length ? [`  warnings: ${s.warnings.join(' | ')}`] : []),
    `  steps: ${(s?.steps ?? []).map((x) => `${x.name}:${x.outcome}${x.attempts && x.attempts > 1 ? `×${x.attempts}` : ''}${x.changed ? '*' : ''}`).join(' ')}`,
    `  mutations: ${r.observed.mutations.map((m) => `${m.op} ${m.from}→${m.to}${m.replyLost ? ' (reply lost)' : ''} by ${m.by?.activityType ?? '?'}#${m.by?.activityId ?? '?'}`).join('; ')}`,
    `  journal:`,
    ...r.journal.map((j) => `    ${j}`),
    `  schedule: ${JSON.stringify(r.schedule)}`,
    `  replay: ${replayCommand(r.schedule.runSeed, r.schedule.index)}`,
  ].join('\n');
}

export function summary(r: SimulationReport): string {
  const outcomes = Object.entries(r.outcomes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `[sim] seed ${r.seed}: ${r.incidents} incidents (+${r.swept} swept) in ${(r.ms / 1000).toFixed(1)} s (${outcomes}); ` +
    `${r.faultsInjected} faults injected, ${r.lostReplies} replies lost, ${r.mutations} mutations, ` +
    `${r.workerRestarts} worker restarts, ${(r.meanIncidentMs / 1000).toFixed(1)} s per incident; ${r.failures.length} broke an invariant` +
    (r.failures.length ? ` (incidents ${r.failures.map((f) => f.schedule.index).join(', ')})` : '')
  );
}

// The random schedule of one simulated incident: faults on any provider call,
// lost replies, worker kills, duplicate / late / out-of-order alerts, a flapping primary, aborts and
// failback requests. Pure data: the same seed and index always give the same schedule.
import type { ProviderErrorKind } from '../../activities/errors.ts';
import type { Operation } from '../../activities/providers/in-memory/world.ts';
import { Rng } from '../../harness/random.ts';
import { type Cell, type CellEvent, type CellPhase, generatedCells } from './cells.ts';

/** The seed of incident `index` of a run: each incident's schedule can be drawn (and replayed) alone. */
function incidentSeed(runSeed: number, index: number): number {
  let h = (runSeed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface SimFault {
  op: Operation;
  /** transient: fails `times` calls with a retryable error; permanent: every call, not retryable
   * (for probes: the check fails for good); lostReply: the change lands, the reply is lost. */
  kind: 'transient' | 'permanent' | 'lostReply';
  times: number;
  error: ProviderErrorKind;
  retryAfterMs?: number;
}

export type SimEvent =
  | { at: number; do: 'alert'; id: string }
  | { at: number; do: 'alertClosed'; id: string }
  | { at: number; do: 'primary'; up: boolean }
  | { at: number; do: 'standby'; up: boolean }
  | { at: number; do: 'fault'; fault: SimFault }
  | { at: number; do: 'abort' }
  | { at: number; do: 'failback'; via: 'update' | 'signal' }
  | { at: number; do: 'killWorker' };

export interface IncidentSchedule {
  runSeed: number;
  index: number;
  seed: number;
  failback: { mode: 'manual' | 'auto'; holdDownMs: number };
  /** Provider state before the incident (what a rollback must restore). */
  initial: { monitor: 'enabled' | 'paused' };
  /** The standby container is down at the start (it comes up at a `standby` event, or never). */
  standbyDownAtStart: boolean;
  /** Latency of every provider call of the site, ms. */
  latencyMs: number;
  /** ms from the incident's start; the primary goes down at 0, the first alert at 0. */
  events: SimEvent[];
  /** When the schedule ends: the primary comes back (unless `primaryEndsDown`) and a human asks to fail back. */
  closeAt: number;
  primaryEndsDown: boolean;
  /** After the incident ended: the same outage's alert once more (stale: it must change nothing). */
  staleAlertAfterEnd: boolean;
  /** Events put into a phase, in order: each waits (bounded) until the incident is in its phase. */
  cells: Array<{ phase: CellPhase; event: CellEvent }>;
  /** How long the failback keeps the standby open after verifying the primary (the drain), ms. */
  drainMs: number;
  /** Before the cells: once on standby, the primary comes back and a human asks to fail back. */
  failbackOnStandby?: boolean;
}

/**
 * Three incidents in four aim at one cell of the table (in turn, so 300 incidents aim at each about
 * four times): a schedule quiet enough to reach the cell's phase, then its event, then another
 * cell at random. The fourth keeps the random schedule, with one cell at random.
 */
export function drawSchedule(runSeed: number, index: number, cells = generatedCells()): IncidentSchedule {
  const base = drawRandomSchedule(runSeed, index);
  const r = new Rng(base.seed ^ 0x5bd1e995);
  const pickCell = () => split(r.pick(cells));
  const swept = sweptCell(index);
  if (swept === undefined && index % 4 === 3) return { ...base, cells: [pickCell()] };
  const target = split(cells[swept ?? (index - Math.floor(index / 4)) % cells.length]!);
  return { ...aimAt(base, target.phase, r), cells: [target, pickCell()] };
}

/**
 * The sweep: incidents aimed again at a cell the run left unhit (an aim can miss when the phase
 * passes before its event lands). Their indices name the cell and the round, so SIM_ONLY replays them.
 */
export const SWEEP_FROM = 100_000;
export const SWEEP_ROUNDS = 3;
export const sweepIndex = (cellIndex: number, round: number): number => SWEEP_FROM + cellIndex * SWEEP_ROUNDS + round;
function sweptCell(index: number): number | undefined {
  return index >= SWEEP_FROM ? Math.floor((index - SWEEP_FROM) / SWEEP_ROUNDS) : undefined;
}

function split(c: Cell): { phase: CellPhase; event: CellEvent } {
  const [phase, event] = c.split(' × ') as [CellPhase, CellEvent];
  return { phase, event };
}

/** The schedule that reaches `phase`: transient faults only, and what the phase needs. */
function aimAt(base: IncidentSchedule, phase: CellPhase, r: Rng): IncidentSchedule {
  const quiet = base.events.filter(
    (e) => (e.do === 'alert' && e.id === 'a1') || (e.do === 'fault' && e.fault.kind === 'transient'),
  );
  const s: IncidentSchedule = {
    ...base,
    events: quiet,
    standbyDownAtStart: false,
    failback: { mode: 'manual', holdDownMs: base.failback.holdDownMs },
    primaryEndsDown: false,
    staleAlertAfterEnd: false,
    // Slow calls keep the incident in a passing phase long enough to meet its event.
    latencyMs: phase === 'failing_over' || phase === 'failing_back' ? r.int(60, 120) : base.latencyMs,
    drainMs: phase === 'draining' ? r.int(1500, 2500) : 0,
  };
  if (phase === 'failing_back' || phase === 'draining') s.failbackOnStandby = true;
  if (phase === 'needs_attention') {
    // A failover that fails for good with the primary down waits for a human.
    const fault: SimFault = { op: 'traffic', kind: 'permanent', times: 1, error: 'permission' };
    s.events.unshift({ at: 0, do: 'fault', fault });
  }
  s.events.sort((a, b) => a.at - b.at);
  s.closeAt = Math.max(0, ...s.events.map((e) => e.at)) + r.int(100, 1000);
  return s;
}

const LEVERS: Operation[] = ['standbyAccess', 'traffic', 'monitor'];
const PROBES: Operation[] = ['probe:standby', 'probe:public', 'probe:primary'];
const RETRYABLE: ProviderErrorKind[] = ['unavailable', 'conflict', 'rate_limited'];
const PERMANENT: ProviderErrorKind[] = ['permission', 'not_found'];

/** Horizon of the random events, ms. */
const HORIZON_MS = 6000;

function drawRandomSchedule(runSeed: number, index: number): IncidentSchedule {
  const seed = incidentSeed(runSeed, index);
  const r = new Rng(seed);
  const t = () => r.int(0, HORIZON_MS);
  const events: SimEvent[] = [{ at: 0, do: 'alert', id: 'a1' }];

  // Alerts: duplicates (redelivery), a close (maybe before a redelivered open: out of order), a second outage alert.
  if (r.chance(0.4)) for (let i = r.int(1, 3); i > 0; i--) events.push({ at: t(), do: 'alert', id: 'a1' });
  if (r.chance(0.2)) {
    const at = t();
    events.push({ at, do: 'alertClosed', id: 'a1' });
    if (r.chance(0.5)) events.push({ at: at + r.int(0, 500), do: 'alert', id: 'a1' });
  }
  if (r.chance(0.25)) {
    const at = t();
    events.push({ at, do: 'alertClosed', id: 'a2' }, { at: at + r.int(0, 300), do: 'alert', id: 'a2' });
  }
  if (r.chance(0.3)) events.push({ at: t(), do: 'alert', id: 'a3' });

  // The primary flaps (it may come back and die again during a failback).
  if (r.chance(0.55)) {
    let up = false;
    for (let i = r.int(1, 5), at = r.int(200, 2000); i > 0 && at < HORIZON_MS; i--, at += r.int(150, 2000)) {
      up = !up;
      events.push({ at, do: 'primary', up });
    }
  }
  // The standby: down at the start, up later (or never: the failover must roll back).
  const standbyDownAtStart = r.chance(0.15);
  if (standbyDownAtStart && !r.chance(0.2)) events.push({ at: r.int(200, 2500), do: 'standby', up: true });

  // Faults on any provider call, now or later (a later one meets the failback).
  for (let i = r.pick([0, 0, 1, 1, 2, 2, 3, 4]); i > 0; i--) {
    const kind = r.pick(['transient', 'transient', 'lostReply', 'lostReply', 'permanent'] as const);
    const probe = kind !== 'lostReply' && r.chance(0.3);
    const op = probe ? r.pick(PROBES) : r.pick(LEVERS);
    const fault: SimFault =
      kind === 'transient'
        ? { op, kind, times: r.int(1, 3), error: r.pick(RETRYABLE) }
        : kind === 'lostReply'
          ? { op, kind, times: r.int(1, 2), error: 'unavailable' }
          : { op, kind, times: probe ? 1_000_000 : r.int(1, 2), error: probe ? 'unavailable' : r.pick(PERMANENT) };
    if (fault.error === 'rate_limited') fault.retryAfterMs = r.int(50, 400);
    events.push({ at: r.chance(0.5) ? 0 : t(), do: 'fault', fault });
  }

  if (r.chance(0.15)) events.push({ at: t(), do: 'abort' });
  for (let i = r.pick([0, 0, 1, 1, 2]); i > 0; i--)
    events.push({ at: t(), do: 'failback', via: r.chance(0.7) ? 'update' : 'signal' });
  if (r.chance(0.1)) events.push({ at: t(), do: 'killWorker' });

  events.sort((a, b) => a.at - b.at);
  const auto = r.chance(0.35);
  return {
    runSeed,
    index,
    seed,
    failback: { mode: auto ? 'auto' : 'manual', holdDownMs: r.int(300, 1200) },
    initial: { monitor: r.chance(0.85) ? 'enabled' : 'paused' },
    standbyDownAtStart,
    latencyMs: r.pick([0, 0, 1, 5, 20]),
    events,
    closeAt: Math.max(...events.map((e) => e.at)) + r.int(100, 1000),
    primaryEndsDown: r.chance(0.1),
    staleAlertAfterEnd: r.chance(0.25),
    cells: [],
    drainMs: 0,
  };
}

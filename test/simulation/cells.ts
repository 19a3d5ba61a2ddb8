// The incident as phase × event (docs/workflow.md): which cells the simulation puts an event into,
// how a running incident's phase is read for it, and the coverage table a run prints. A run that
// leaves a generated cell unhit fails (test/simulation/simulation.test.ts).
import type { IncidentStatus } from '../../workflows/incident-types.ts';

export const CELL_PHASES = ['failing_over', 'on_standby', 'failing_back', 'draining', 'needs_attention'] as const;
export type CellPhase = (typeof CELL_PHASES)[number];

export const CELL_EVENTS = [
  'outage', // the primary goes down again and a new alert opens
  'alertClosed',
  'primaryRecovered', // the primary serves again and a source says so
  'failbackApproved', // the signal
  'failbackRequested', // the update
  'abort',
  'retry',
  'acknowledge',
  'cancel', // the workflow is cancelled
  'permanentFailure', // the next call of every lever fails for good
  'lostReply', // the next change of every lever lands, its reply is lost
  'workerCrash',
  'continueAsNew', // enough messages that Temporal suggests continuing as new
  'configChange', // the site's config changes (another failback mode, the watcher's interval): a new run takes it, this one must not
  'silentWatcherLocations', // the watcher's locations change to one no worker serves: it must trigger nothing
] as const;
export type CellEvent = (typeof CELL_EVENTS)[number];

/** Events that need the site's health watcher: an incident that draws one runs a watcher beside it. */
export const WATCHER_EVENTS: readonly CellEvent[] = ['configChange', 'silentWatcherLocations'];

export type Cell = `${CellPhase} × ${CellEvent}`;
export const cell = (phase: CellPhase, event: CellEvent): Cell => `${phase} × ${event}`;

/**
 * Cells that broke an invariant and whose fix is not proven yet: generated only with
 * SIM_OPEN_CELLS=1, so the suite stays green meanwhile. Each fix removes its entry (the cancel
 * cells and the outage in the drain are fixed: docs/workflow.md's table, every-event.test.ts; the
 * hold-down cut by continue-as-new too: standby-events.test.ts). None is open now.
 */
export const KNOWN_OPEN: ReadonlyMap<Cell, string> = new Map<Cell, string>([]);

export const openCellsEnabled = (): boolean => process.env.SIM_OPEN_CELLS === '1';

/** The cells a run generates: every cell, less the known-open ones unless asked for. */
export function generatedCells(includeOpen = openCellsEnabled()): Cell[] {
  const all = CELL_PHASES.flatMap((p) => CELL_EVENTS.map((e) => cell(p, e)));
  return includeOpen ? all : all.filter((c) => !KNOWN_OPEN.has(c));
}

/** The table's phase of a running incident: draining is failing_back after the primary was verified. */
export function cellPhase(status: IncidentStatus | undefined): CellPhase | undefined {
  if (!status) return undefined;
  if (status.phase !== 'failing_back')
    return (CELL_PHASES as readonly string[]).includes(status.phase) ? (status.phase as CellPhase) : undefined;
  const routed = status.steps.findLastIndex((s) => s.name === 'route_traffic_to_primary');
  const verified = status.steps.findLastIndex((s) => s.name === 'verify_public_url_on_primary' && s.outcome === 'ok');
  return routed >= 0 && verified > routed ? 'draining' : 'failing_back';
}

/** The coverage table: one row per phase, one column per event; hits per cell, `-` when unhit, `open` when not generated. */
export function coverageTable(hits: ReadonlyMap<Cell, number>, generated: readonly Cell[]): string {
  const gen = new Set(generated);
  const width = Math.max(...CELL_PHASES.map((p) => p.length));
  const header = ['phase'.padEnd(width), ...CELL_EVENTS.map((e) => e.slice(0, 9).padStart(9))].join(' ');
  const rows = CELL_PHASES.map((p) =>
    [
      p.padEnd(width),
      ...CELL_EVENTS.map((e) => {
        const c = cell(p, e);
        const n = hits.get(c) ?? 0;
        return (n > 0 ? String(n) : gen.has(c) ? '-' : 'open').padStart(9);
      }),
    ].join(' '),
  );
  return [header, ...rows].join('\n');
}

/** The generated cells no incident hit. */
export function unhitCells(hits: ReadonlyMap<Cell, number>, generated: readonly Cell[]): Cell[] {
  return generated.filter((c) => !hits.get(c));
}

// The incident as a table: what every event does in every phase (docs/workflow.md "Every event in
// every phase" is this table, rendered; test/incident-table.test.ts checks that they match and that
// every cell names a test). IncidentState and the workflow implement it; this is its one statement.

/** The table's phases: the workflow's phases, with the failback split at the primary's verification. */
export const TABLE_PHASES = [
  'failing_over',
  'on_standby',
  'failing_back',
  'draining',
  'needs_attention',
  'ended',
] as const;
export type TablePhase = (typeof TABLE_PHASES)[number];

export const TABLE_EVENTS = [
  'outage',
  'alertClosed',
  'primaryRecovered',
  'failback',
  'abort',
  'retry',
  'acknowledge',
  'cancel',
  'config change',
  'permanent failure',
  'lost reply',
  'worker crash',
  'continue-as-new',
] as const;
export type TableEvent = (typeof TABLE_EVENTS)[number];

const row = (...cells: string[]) =>
  Object.fromEntries(TABLE_PHASES.map((p, i) => [p, cells[i]!])) as Record<TablePhase, string>;

/** What each event does in each phase (the wanted behaviour, which the code implements). */
export const INCIDENT_TABLE: Record<TableEvent, Record<TablePhase, string>> = {
  outage: row(
    'recorded, ignored: already failing over',
    'recorded, ignored: users are on the standby',
    'failback cancelled and undone: back on the standby',
    'drain cut short, cleanup skipped or cancelled: fail over again; an automatic failback counts it as failed',
    'after a failed cleanup (users on the primary): fail over again (with the monitor left paused, the incident probes the primary itself); else recorded, ignored',
    'a new run; stale (ignored) if it started before the primary was last verified serving',
  ),
  alertClosed: row(
    'recorded',
    'recorded (failing back is the hold-down’s or a human’s call)',
    'recorded',
    'recorded',
    'recorded',
    '–',
  ),
  primaryRecovered: row(
    'recorded',
    'recorded',
    'recorded',
    'recorded',
    'after a failover undone with the primary down: ends rolled_back; else recorded',
    '–',
  ),
  failback: row(
    'refused with a reason',
    'accepted once (a manual one checks the primary first)',
    'refused: already failing back',
    'refused: already failing back',
    'refused with a reason',
    '–',
  ),
  abort: row(
    'failover cancelled and undone: rolled_back (dismissed before any change)',
    'refused with a reason: fail back instead',
    'failback cancelled and undone: back on the standby',
    'refused: the primary is verified, only the cleanup is left',
    'refused with a reason',
    '–',
  ),
  retry: row(
    'recorded, ignored',
    'recorded, ignored',
    'recorded, ignored',
    'recorded, ignored',
    'the pending steps again (a cleanup checks the primary first: down, fail over again), or the failover',
    '–',
  ),
  acknowledge: row(
    'recorded, ignored',
    'recorded, ignored',
    'recorded, ignored',
    'recorded, ignored',
    'ends acknowledged, the world as it is',
    '–',
  ),
  cancel: row(
    'as abort: undone, rolled_back',
    'ends cancelled, users left on the serving standby (fail back first to undo)',
    'as abort: undone, then ends cancelled on the standby',
    'the cleanup finishes (never undone), then the run ends',
    'ends cancelled, the world as it is (as acknowledge)',
    '–',
  ),
  'config change': row(
    'the run keeps the policy it started with',
    'the run keeps its policy; the watcher restarts its probes and keeps re-triggering',
    'the run keeps its policy',
    'the run keeps its policy',
    'the run keeps its policy',
    '–',
  ),
  'permanent failure': row(
    'undone newest first; the primary serves: rolled_back, else needs_attention, retried on its own (bounded) unless the cause is permanent',
    'a failed hold-down: automatic failback off, with a warning',
    'undone: back on the standby (an automatic one counts, backs off, stops after maxAutoAttempts)',
    'needs_attention (users are on the verified primary)',
    'an undo or cleanup that fails again: still needs_attention',
    '–',
  ),
  'lost reply': row(
    'the retry finds the change made; its undo was registered first',
    'the hold-down resumes from its heartbeat',
    'as failing over',
    'the retry finds the cleanup done',
    'as the steps it runs',
    '–',
  ),
  'worker crash': row(
    'replayed on another worker; no change applied twice',
    'replayed; the hold-down resumes',
    'replayed; no change applied twice',
    'replayed; the drain timer survives',
    'replayed; still waiting',
    '–',
  ),
  'continue-as-new': row(
    '–',
    'when suggested: status, snapshots and an accepted failback request carried',
    '–',
    '–',
    'when suggested: the attention, the undo or cleanup steps left (as data) and any answer carried; the next run waits on',
    '–',
  ),
};

/** The table as Markdown, as docs/workflow.md shows it. */
export function renderIncidentTable(): string {
  const head = `| event | ${TABLE_PHASES.map((p) => p.replaceAll('_', ' ')).join(' | ')} |`;
  const rule = `|${'---|'.repeat(TABLE_PHASES.length + 1)}`;
  const rows = TABLE_EVENTS.map((e) => `| ${e} | ${TABLE_PHASES.map((p) => INCIDENT_TABLE[e][p]).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

// The invariants checked after each simulated incident (docs/workflow.md, "Invariants the
// simulation checks"). Pure: it judges what the harness observed, so it can be unit-tested on
// made-up worlds and statuses (test/simulation/invariants.test.ts).
import type { CellPhase } from './cells.ts';
import type { InMemorySiteState, Mutation } from '../../activities/providers/in-memory/world.ts';
import {
  CHANGE_STEPS,
  FAILBACK_STEPS,
  FAILOVER_STEPS,
  FINAL_PHASES,
  type IncidentStatus,
  type StepRecord,
  WAITING_PHASES,
} from '../../workflows/incident-types.ts';

export type ProviderState = Pick<InMemorySiteState, 'standbyAccess' | 'traffic' | 'monitor'>;

export interface Observed {
  /** How the incident's workflow chain ended: completed with a status, settled while running, or neither. */
  ending: 'completed' | 'settled' | 'unsettled' | 'failed';
  /** Its last status (the result when completed, else the last query). */
  status?: IncidentStatus;
  /** Why the workflow did not complete (failed, terminated, timed out), or the last error. */
  error?: string;
  /** The site's provider state before the incident. */
  before: ProviderState;
  /** The site's whole state when the incident ended (or settled). */
  atEnd: InMemorySiteState;
  /** Every effective mutation of the site's providers, oldest first. */
  mutations: Mutation[];
  /** Harness clock when the incident's workflow chain was seen ended (completed only). */
  endedAt?: number;
  /** When the primary last went down, if it is down at the end (a new outage may follow a good failback). */
  primaryDownSince?: number | undefined;
  /** A human acknowledged (the simulation's acknowledge event): `acknowledged` is then an end. */
  acknowledgedByHuman?: boolean;
  /** The workflow was cancelled: it must end cancelled, as the table says for the phase. */
  cancelRequested?: boolean;
  /** The phase the simulation cancelled it in. */
  cancelledIn?: CellPhase;
  /** The failback mode of the policy the chain started with (a config change must not reach it). */
  startedFailbackMode?: string;
  /** Triggers from the site's watcher after its locations went silent (it heard nothing since). */
  watcherTriggersAfterSilence?: number;
  /** The site's health watcher ran beside the incident (it may start a new one for an outage the chain did not see). */
  watcherRan?: boolean;
  /** The primary was down when the chain ended, or went down after. */
  downAtOrAfterEnd?: boolean;
}

const FAILOVER = new Set<string>(FAILOVER_STEPS);
const FAILBACK = new Set<string>(FAILBACK_STEPS);
/** No human acknowledges in the simulation: an incident must end by itself. */
const FINAL: readonly string[] = FINAL_PHASES.filter((p) => p !== 'acknowledged');
const OPEN_ENDINGS: readonly string[] = WAITING_PHASES;

function saga(name: string): 'failover' | 'failback' | 'other' {
  return FAILOVER.has(name) ? 'failover' : FAILBACK.has(name) ? 'failback' : 'other';
}

const serves = (s: InMemorySiteState, target: 'primary' | 'standby') =>
  target === 'primary' ? s.primaryUp : s.standbyUp && s.standbyAccess === 'open';

const show = (s: Partial<InMemorySiteState>) =>
  `access ${s.standbyAccess}, traffic ${s.traffic}, monitor ${s.monitor}` +
  (s.primaryUp !== undefined ? `, primary ${s.primaryUp ? 'up' : 'down'}, standby ${s.standbyUp ? 'up' : 'down'}` : '');

function sameProviders(a: ProviderState, b: ProviderState): boolean {
  return a.standbyAccess === b.standbyAccess && a.traffic === b.traffic && a.monitor === b.monitor;
}

/** Every invariant the observation breaks, one line each; empty when it keeps them all. */
export function checkIncident(o: Observed): string[] {
  const problems: string[] = [];
  const { status, atEnd, before } = o;
  const phase = status?.phase as string | undefined;

  // --- How it ended ---
  const cancelled = o.ending === 'failed' && o.cancelRequested === true && /cancel/i.test(o.error ?? '');
  if (cancelled) {
    // docs/workflow.md, the cancel row: a change in flight is undone (the world as before), users on
    // the standby stay on it while it serves, and needs_attention ends with the world as it is.
    const onServingStandby = atEnd.traffic === 'standby' && serves(atEnd, 'standby');
    if (!sameProviders(atEnd, before) && !onServingStandby && o.cancelledIn !== 'needs_attention')
      problems.push(
        `cancelled, but the world is ${show(atEnd)}: neither as before (${show(before)}) nor users on a serving standby`,
      );
  } else if (o.ending === 'failed') problems.push(`the workflow did not complete: ${o.error ?? 'unknown'}`);
  else if (o.ending === 'unsettled')
    problems.push(
      `never settled: still ${phase ?? 'unknown'} with ${runningSteps(status).join(', ') || 'nothing'} running`,
    );
  else if (!status || !phase) problems.push('no status');
  else if (o.ending === 'completed' && !FINAL.includes(phase) && !(phase === 'acknowledged' && o.acknowledgedByHuman))
    problems.push(`completed in phase ${phase}, not a final phase`);
  else if (o.ending === 'settled' && !OPEN_ENDINGS.includes(phase))
    problems.push(`settled in phase ${phase}: only on_standby or needs_attention may wait`);

  // --- The world it left, by phase (a cancelled run's was judged above) ---
  if (cancelled) {
    // judged above
  } else if (phase === 'resolved') {
    const want: ProviderState = { ...before, traffic: 'primary' };
    if (!sameProviders(atEnd, want)) problems.push(`resolved, but the world is ${show(atEnd)}; want ${show(want)}`);
    // A primary that went down after traffic moved back to it (and the verification that followed
    // passed) is a new outage, not a bad failback: the audit's clock and the harness's are the same.
    const movedBack = o.mutations.findLast((m) => m.op === 'traffic' && m.to === 'primary');
    const newOutage = o.primaryDownSince !== undefined && movedBack !== undefined && o.primaryDownSince > movedBack.at;
    if (!atEnd.primaryUp && !newOutage)
      problems.push('resolved, but the primary does not serve (and it did not go down after traffic moved back to it)');
  } else if (phase === 'rolled_back' || phase === 'dismissed') {
    if (!sameProviders(atEnd, before))
      problems.push(`${phase}, but the world is ${show(atEnd)}, not as before (${show(before)})`);
  } else if (phase === 'on_standby') {
    if (!serves(atEnd, atEnd.traffic))
      problems.push(`on_standby, but users reach the ${atEnd.traffic}, which does not serve (${show(atEnd)})`);
    else if (atEnd.traffic !== 'standby')
      problems.push(`on_standby, but traffic is on the ${atEnd.traffic} (${show(atEnd)})`);
  } else if (phase === 'needs_attention') {
    if (!serves(atEnd, atEnd.traffic) && !status?.cause)
      problems.push(`needs_attention with users on a target that does not serve, and no cause given (${show(atEnd)})`);
  }

  // --- A run keeps the policy it started with, across continue-as-new (the table's config change row) ---
  const mode = status?.failbackMode;
  if (o.startedFailbackMode !== undefined && mode !== undefined && mode !== o.startedFailbackMode)
    problems.push(`the run took a changed config: failback ${mode}, started ${o.startedFailbackMode}`);

  if (o.watcherTriggersAfterSilence)
    problems.push(`the watcher triggered ${o.watcherTriggersAfterSilence} time(s) after its locations went silent`);

  // --- Along the way (the audit log) ---
  for (const m of o.mutations) {
    const a = m.after;
    if (m.op === 'traffic' && a.traffic === 'standby' && !serves(a, 'standby'))
      problems.push(`users routed to a standby that does not serve at ${m.at} (${show(a)})`);
    if (m.op === 'standbyAccess' && a.standbyAccess === 'closed' && a.traffic === 'standby')
      problems.push(`standby closed while traffic reaches it at ${m.at} (${show(a)})`);
  }
  const byExecution = new Map<string, Mutation[]>();
  for (const m of o.mutations) {
    if (!m.by) continue;
    const key = `${m.by.runId}/${m.by.activityId}`;
    byExecution.set(key, [...(byExecution.get(key) ?? []), m]);
  }
  for (const [key, ms] of byExecution)
    if (ms.length > 1)
      problems.push(
        `one step applied ${ms.length} times with effect (${ms[0]!.by!.activityType}, ${key}): ${ms
          .map((m) => `${m.op} ${m.from}→${m.to} attempt ${m.by!.attempt}`)
          .join('; ')}`,
      );
  // A watcher that saw the primary down when the chain ended starts a new incident: not a stale trigger.
  const newOutageSeen = o.watcherRan === true && o.downAtOrAfterEnd === true;
  if (o.endedAt !== undefined && !newOutageSeen) {
    const after = o.mutations.filter((m) => m.at > o.endedAt!);
    for (const m of after)
      if (m.after.primaryUp)
        problems.push(
          `after the incident ended, ${m.by?.activityType ?? 'something'} changed ${m.op} ${m.from}→${m.to} ` +
            `on a healthy site (run ${m.by?.runId ?? '?'}): a stale trigger acted`,
        );
  }

  // --- No step re-run after it finished ---
  if (status) problems.push(...rerunSteps(status.steps));
  return problems;
}

function runningSteps(status: IncidentStatus | undefined): string[] {
  return (status?.steps ?? []).filter((s) => s.outcome === 'running').map((s) => s.name);
}

/** Steps that change the world; probes may run again harmlessly (e.g. a manual check after the automatic hold-down). */
const CHANGES = new Set<string>(CHANGE_STEPS);

/**
 * A change step that finished `ok` must not run again unless the incident moved the other way in
 * between (a step of the other saga or a compensation ran): a failback after a failover, a new
 * failover after a failback, a new attempt after a rollback.
 */
export function rerunSteps(steps: StepRecord[]): string[] {
  const problems: string[] = [];
  steps.forEach((step, i) => {
    const kind = saga(step.name);
    if (step.outcome !== 'ok' || kind === 'other' || !CHANGES.has(step.name)) return;
    for (let j = i + 1; j < steps.length; j++) {
      const later = steps[j]!;
      if (saga(later.name) !== kind) return;
      if (later.name === step.name) {
        problems.push(`step ${step.name} re-run after it finished (entries ${i} and ${j} of the timeline)`);
        return;
      }
    }
  });
  return problems;
}

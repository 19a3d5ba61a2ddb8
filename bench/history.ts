// Reading an incident's event history for the benchmarks: when it reached a phase, and where the
// time between its start and `on_standby` went (workflow tasks, activity dispatch, local reads).
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Phase } from '../workflows/incident-types.ts';
import type { CallRecord } from './latency.ts';

type Event = temporal.api.history.v1.IHistoryEvent;

const eventMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

function phaseOf(event: Event): Phase | undefined {
  const data =
    event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.FailoverPhase?.data;
  return data ? (JSON.parse(Buffer.from(data).toString()) as Phase) : undefined;
}

/**
 * Follows the history (long poll) until the phase search attribute says on_standby or
 * rolled_back; returns every event up to it. Long polls, not queries: a query is answered by a
 * workflow task, and polling one would slow down the very thing measured.
 */
export async function eventsUntilFinalPhase(client: Client, workflowId: string): Promise<Event[]> {
  const events: Event[] = [];
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      waitNewEvent: true,
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) {
      events.push(event);
      const phase = phaseOf(event);
      if (phase === 'on_standby' || phase === 'rolled_back') return events;
    }
    if (!page.nextPageToken?.length) throw new Error(`${workflowId} closed before reaching on_standby`);
    nextPageToken = page.nextPageToken;
  }
}

/** Start and on_standby times of a finished failover, from its whole history (no long poll). */
export async function failoverTimes(
  client: Client,
  workflowId: string,
): Promise<{ started: number; verified?: number; onStandby?: number; phase?: Phase; waits: Waits }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  return { ...times(events), waits: waits(events) };
}

/** Time tasks spent in the task queue and being run, summed up to on_standby. */
export interface Waits {
  /** Workflow tasks: scheduled → started (waiting for a poller, a slot, the worker's CPU). */
  workflowTaskQueued: number;
  /** Workflow tasks: started → completed (the worker running the workflow code, local reads included). */
  workflowTaskRun: number;
  /** Activities: scheduled → started. */
  activityQueued: number;
}

export function waits(events: Event[]): Waits {
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const at = (id: unknown) => eventMs(byId.get(String(id))?.eventTime);
  const w: Waits = { workflowTaskQueued: 0, workflowTaskRun: 0, activityQueued: 0 };
  for (const e of events) {
    const done = e.workflowTaskCompletedEventAttributes;
    if (done) {
      w.workflowTaskQueued += at(done.startedEventId) - at(done.scheduledEventId);
      w.workflowTaskRun += eventMs(e.eventTime) - at(done.startedEventId);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) w.activityQueued += eventMs(e.eventTime) - at(started.scheduledEventId);
    if (phaseOf(e) === 'on_standby') break;
  }
  return w;
}

export function times(events: Event[]): { started: number; verified?: number; onStandby?: number; phase?: Phase } {
  let started = 0;
  let verified: number | undefined;
  const verifyIds = new Set<string>();
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) started = eventMs(e.eventTime);
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyPublicUrl')
      verifyIds.add(String(e.eventId));
    const done = e.activityTaskCompletedEventAttributes;
    if (done && verifyIds.has(String(done.scheduledEventId)) && verified === undefined) verified = eventMs(e.eventTime);
    const phase = phaseOf(e);
    if (phase === 'on_standby' || phase === 'rolled_back')
      return { started, verified, onStandby: eventMs(e.eventTime), phase };
  }
  return { started, verified };
}

/** The critical path's activities, in order. */
const CHAIN = ['openStandbyAccess', 'awaitStandbyReady', 'routeTraffic', 'verifyPublicUrl'] as const;

/** Where the time from start to on_standby went; the parts add up to `total`. */
export interface Breakdown {
  total: number;
  /** Workflow tasks on the critical path: queued (scheduled → started) and run, less the local reads they waited for. */
  workflowTasks: number;
  /** Local-activity reads the critical workflow tasks waited for (the read before each change). */
  localReads: number;
  /** Critical activities: scheduled → started. */
  dispatch: number;
  /** Critical activities: started → completed, less the provider calls inside them. */
  inActivity: number;
  /** Provider calls inside the critical activities (read + write, probe loops). */
  providerCalls: number;
  /** The rest: between one event and the next task (e.g. waiting for the monitor's pause). */
  between: number;
}

/**
 * Attributes an incident's start → on_standby to the parts of its critical path, from the event
 * times and the registry's call log (same host clock).
 */
export function breakdown(events: Event[], calls: CallRecord[]): Breakdown {
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const at = (id: unknown) => eventMs(byId.get(String(id))?.eventTime);
  const { started, onStandby } = times(events);
  if (onStandby === undefined) throw new Error('no on_standby in the events');
  const upsert = events.find((e) => phaseOf(e) === 'on_standby')!;
  const wfts = new Set<string>([
    String(upsert.upsertWorkflowSearchAttributesEventAttributes!.workflowTaskCompletedEventId),
  ]);
  let dispatch = 0;
  let activityRun = 0;
  let providerCalls = 0;
  for (const name of CHAIN) {
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
    if (!scheduled) throw new Error(`no ${name} in the history`);
    const id = String(scheduled.eventId);
    const start = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
    const done = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
    if (!start || !done) throw new Error(`${name} did not complete`);
    wfts.add(String(scheduled.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId));
    const [s, t0, t1] = [eventMs(scheduled.eventTime), eventMs(start.eventTime), eventMs(done.eventTime)];
    dispatch += t0 - s;
    activityRun += t1 - t0;
    const inside = calls.filter((c) => c.kind !== 'read' && c.start >= t0 - 2 && c.end <= t1 + 2);
    if (inside.length) providerCalls += Math.max(...inside.map((c) => c.end)) - Math.min(...inside.map((c) => c.start));
  }
  let wftQueue = 0;
  let wftRun = 0;
  let localReads = 0;
  for (const id of wfts) {
    const done = byId.get(id)?.workflowTaskCompletedEventAttributes;
    if (!done) continue;
    const [s, t0, t1] = [at(done.scheduledEventId), at(done.startedEventId), at(id)];
    wftQueue += t0 - s;
    wftRun += t1 - t0;
    const reads = calls.filter((c) => c.kind === 'read' && c.start >= t0 - 2 && c.end <= t1 + 2);
    if (reads.length) localReads += Math.max(...reads.map((c) => c.end)) - Math.min(...reads.map((c) => c.start));
  }
  const total = onStandby - started;
  return {
    total,
    workflowTasks: wftQueue + wftRun - localReads,
    localReads,
    dispatch,
    inActivity: activityRun - providerCalls,
    providerCalls,
    between: total - wftQueue - wftRun - dispatch - activityRun,
  };
}

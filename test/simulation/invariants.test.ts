// The simulation's invariant checker must be able to fail: each case feeds it a world or a status
// that breaks one invariant and expects that invariant named; clean observations pass.
import { describe, expect, test } from 'vitest';
import type { InMemorySiteState, Mutation } from '../../activities/providers/in-memory/world.ts';
import type { IncidentStatus, StepName, StepRecord } from '../../workflows/incident-types.ts';
import { type Observed, checkIncident, rerunSteps } from './invariants.ts';

const BEFORE = { standbyAccess: 'closed', traffic: 'primary', monitor: 'enabled' } as const;
const HEALTHY: InMemorySiteState = { ...BEFORE, primaryUp: true, standbyUp: true };
const ON_STANDBY: InMemorySiteState = {
  standbyAccess: 'open',
  traffic: 'standby',
  monitor: 'paused',
  primaryUp: false,
  standbyUp: true,
};

const step = (name: StepName, outcome: StepRecord['outcome'] = 'ok', at = 1): StepRecord => ({
  name,
  outcome,
  startedAt: at,
  endedAt: at,
});
const FAILOVER = [
  step('pause_monitor'),
  step('enable_standby_access'),
  step('await_standby_ready'),
  step('route_traffic_to_standby'),
  step('verify_public_url_on_standby'),
];
const FAILBACK = [
  step('await_primary_healthy'),
  step('route_traffic_to_primary'),
  step('verify_public_url_on_primary', 'ok', 100),
  step('close_standby_access'),
  step('resume_monitor'),
];

function status(phase: string, steps: StepRecord[], cause?: string): IncidentStatus {
  return {
    site: 's',
    phase: phase as IncidentStatus['phase'],
    startedAt: 0,
    warnings: [],
    triggers: [],
    triggersDropped: 0,
    steps,
    failbackMode: 'manual',
    ...(cause && { cause }),
  };
}

let at = 0;
function mutation(
  op: Mutation['op'],
  from: string,
  to: string,
  after: InMemorySiteState,
  activityId = `${++at}`,
): Mutation {
  return {
    site: 's',
    op,
    from,
    to,
    at: ++at,
    after,
    by: { workflowId: 'incident-s', runId: 'r1', activityId, activityType: 't', attempt: 1 },
  };
}

function observed(o: Partial<Observed>): Observed {
  return {
    ending: 'completed',
    status: status('resolved', [...FAILOVER, ...FAILBACK]),
    before: { ...BEFORE },
    atEnd: { ...HEALTHY },
    mutations: [],
    ...o,
  };
}

describe('passes what keeps the invariants', () => {
  test('resolved, world as before', () => expect(checkIncident(observed({}))).toEqual([]));
  test('a new incident the watcher started for an outage the chain ended in', () =>
    expect(
      checkIncident(
        observed({
          endedAt: 1,
          watcherRan: true,
          downAtOrAfterEnd: true,
          mutations: [{ ...mutation('traffic', 'primary', 'standby', { ...ON_STANDBY, primaryUp: true }), at: 5 }],
        }),
      ),
    ).toEqual([]));
  test('resolved, the primary down again after traffic moved back (a new outage)', () =>
    expect(
      checkIncident(
        observed({
          atEnd: { ...HEALTHY, primaryUp: false },
          mutations: [mutation('traffic', 'standby', 'primary', HEALTHY)],
          primaryDownSince: 1e15,
        }),
      ),
    ).toEqual([]));
  test('rolled back, world as before', () =>
    expect(checkIncident(observed({ status: status('rolled_back', FAILOVER.slice(0, 2)) }))).toEqual([]));
  test('settled on standby, standby serving', () =>
    expect(
      checkIncident(observed({ ending: 'settled', status: status('on_standby', FAILOVER), atEnd: ON_STANDBY })),
    ).toEqual([]));
  test('needs attention, saying why', () =>
    expect(
      checkIncident(
        observed({
          ending: 'settled',
          status: status('needs_attention', FAILOVER, 'undo failed'),
          atEnd: { ...ON_STANDBY, standbyAccess: 'closed' },
        }),
      ),
    ).toEqual([]));
  test('acknowledged by a human', () =>
    expect(
      checkIncident(
        observed({ status: status('acknowledged', FAILOVER), atEnd: ON_STANDBY, acknowledgedByHuman: true }),
      ),
    ).toEqual([]));
  test('cancelled, compensated', () =>
    expect(
      checkIncident(
        observed({ ending: 'failed', error: 'Workflow execution cancelled', cancelRequested: true, atEnd: HEALTHY }),
      ),
    ).toEqual([]));
  test('cancelled on standby: users stay on the serving standby', () =>
    expect(
      checkIncident(
        observed({
          ending: 'failed',
          error: 'Workflow execution cancelled',
          cancelRequested: true,
          cancelledIn: 'on_standby',
          atEnd: ON_STANDBY,
        }),
      ),
    ).toEqual([]));
  test('a failback after a failover, a new failover after it', () =>
    expect(
      rerunSteps([...FAILOVER, ...FAILBACK.slice(0, 2), step('undo_route_traffic_to_primary'), ...FAILOVER]),
    ).toEqual([]));
  test('a new failover after one resolved (a new outage, same incident)', () =>
    expect(rerunSteps([...FAILOVER, ...FAILBACK, ...FAILOVER])).toEqual([]));
  test('a failed step tried again', () =>
    expect(rerunSteps([step('await_primary_healthy', 'failed'), step('await_primary_healthy')])).toEqual([]));
});

describe('fails what breaks one', () => {
  const cases: [string, Partial<Observed>, RegExp][] = [
    [
      'resolved with the standby left open',
      { atEnd: { ...HEALTHY, standbyAccess: 'open' } },
      /resolved, but the world is access open/,
    ],
    ['resolved with the monitor still paused', { atEnd: { ...HEALTHY, monitor: 'paused' } }, /monitor paused/],
    [
      'resolved with the primary down (no new outage)',
      { atEnd: { ...HEALTHY, primaryUp: false } },
      /primary does not serve/,
    ],
    [
      'rolled back with traffic on the standby',
      { status: status('rolled_back', FAILOVER), atEnd: { ...HEALTHY, traffic: 'standby', standbyAccess: 'open' } },
      /rolled_back, but the world is/,
    ],
    [
      'dismissed with the monitor paused',
      { status: status('dismissed', []), atEnd: { ...HEALTHY, monitor: 'paused' } },
      /dismissed, but/,
    ],
    [
      'on standby with a standby that does not serve',
      { ending: 'settled', status: status('on_standby', FAILOVER), atEnd: { ...ON_STANDBY, standbyUp: false } },
      /on_standby, but users reach the standby, which does not serve/,
    ],
    [
      'needs attention, users on a dead target, no cause',
      {
        ending: 'settled',
        status: status('needs_attention', FAILOVER),
        atEnd: { ...ON_STANDBY, standbyAccess: 'closed' },
      },
      /no cause given/,
    ],
    [
      'completed while on standby',
      { status: status('on_standby', FAILOVER), atEnd: ON_STANDBY },
      /completed in phase on_standby/,
    ],
    [
      'settled while failing over',
      { ending: 'settled', status: status('failing_over', FAILOVER) },
      /settled in phase failing_over/,
    ],
    [
      'never settled',
      { ending: 'unsettled', status: status('failing_back', [step('route_traffic_to_primary', 'running')]) },
      /never settled: still failing_back with route_traffic_to_primary running/,
    ],
    ['the workflow failed', { ending: 'failed', error: 'terminated' }, /did not complete: terminated/],
    [
      'a watcher that triggers after its locations went silent',
      { watcherTriggersAfterSilence: 1 },
      /the watcher triggered 1 time\(s\) after its locations went silent/,
    ],
    [
      'a run that took a changed config',
      { startedFailbackMode: 'auto' },
      /the run took a changed config: failback manual, started auto/,
    ],
    [
      'one step applied twice with effect',
      {
        mutations: [
          mutation('traffic', 'primary', 'standby', ON_STANDBY, 'x'),
          mutation('traffic', 'standby', 'primary', HEALTHY, 'y'),
          mutation('traffic', 'primary', 'standby', ON_STANDBY, 'x'),
        ],
      },
      /one step applied 2 times with effect/,
    ],
    [
      'users routed to a standby that does not serve',
      { mutations: [mutation('traffic', 'primary', 'standby', { ...ON_STANDBY, standbyAccess: 'closed' })] },
      /routed to a standby that does not serve/,
    ],
    [
      'the standby closed while traffic reaches it',
      { mutations: [mutation('standbyAccess', 'open', 'closed', { ...ON_STANDBY, standbyAccess: 'closed' })] },
      /standby closed while traffic reaches it/,
    ],
    [
      'a stale alert fails a healthy site over after the end',
      {
        endedAt: 1,
        mutations: [{ ...mutation('traffic', 'primary', 'standby', { ...ON_STANDBY, primaryUp: true }), at: 5 }],
      },
      /a stale trigger acted/,
    ],
    [
      'acknowledged with no human acknowledging',
      { status: status('acknowledged', FAILOVER), atEnd: ON_STANDBY },
      /completed in phase acknowledged, not a final phase/,
    ],
    [
      'cancelled while failing over, left half done',
      {
        ending: 'failed',
        error: 'Workflow execution cancelled',
        cancelRequested: true,
        cancelledIn: 'failing_over',
        atEnd: { ...HEALTHY, standbyAccess: 'open' },
      },
      /cancelled, but the world is .*neither as before/,
    ],
    [
      'failed (not cancelled) though a cancel was sent',
      { ending: 'failed', error: 'Workflow execution terminated', cancelRequested: true },
      /the workflow did not complete/,
    ],
    [
      'a finished step re-run',
      {
        status: status('on_standby', [...FAILOVER, step('enable_standby_access')]),
        ending: 'settled',
        atEnd: ON_STANDBY,
      },
      /step enable_standby_access re-run after it finished/,
    ],
  ];
  test.each(cases)('%s', (_name, o, expected) => {
    const problems = checkIncident(observed(o));
    expect(problems.join('\n')).toMatch(expected);
  });
});

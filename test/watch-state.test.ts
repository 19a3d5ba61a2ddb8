// The watcher's bookkeeping on its own: the quorum across locations, hysteresis when there is no
// quorum either way, locations added and forgotten with the policy, bounded events.
import { describe, expect, test } from 'vitest';
import { WatchState } from '../workflows/watch-state.ts';
import type { WatchPolicy } from '../workflows/watch-types.ts';

function policy(locations: string[], quorum: number): WatchPolicy {
  return {
    intervalMs: 1000,
    timeoutMs: 500,
    failuresToTrigger: 3,
    successesToRecover: 3,
    locations: locations.map((name) => ({ name, taskQueue: `q-${name}` })),
    quorum,
    taskQueue: 'q',
    maxProbeRunMs: 60_000,
    historyLimit: 2000,
  };
}

test('the verdict moves only when a quorum of locations agrees, and says which', () => {
  const s = new WatchState('www', policy(['a', 'b', 'c'], 2));
  s.syncLocations();
  s.locationReported('a', { verdict: 'down', checks: 3, detail: 'timeout' });
  expect(s.evaluate(s.location('a'))).toBeUndefined();
  s.locationReported('b', { verdict: 'down', checks: 3, detail: 'reset' });
  const t = s.evaluate(s.location('b'));
  expect(t).toMatchObject({ previous: 'unknown', next: 'down' });
  expect(t?.why).toBe('a, b (quorum 2/3): reset');
  // One location back up: no quorum for up, the verdict holds.
  s.locationReported('a', { verdict: 'up', checks: 3 });
  expect(s.evaluate(s.location('a'))).toBeUndefined();
  expect(s.status.verdict).toBe('down');
});

test('a new policy adds and forgets locations; an identical one is no change', () => {
  const s = new WatchState('www', policy(['a', 'b'], 1));
  s.syncLocations();
  expect(s.reconfigure(policy(['a', 'b'], 1))).toBe(false);
  expect(s.reconfigure(policy(['b', 'c'], 1))).toBe(true);
  s.syncLocations();
  expect(Object.keys(s.status.locations).sort()).toEqual(['b', 'c']);
});

test('a location error is noted once until it changes; events stay bounded; runs are counted', () => {
  const s = new WatchState('www', policy(['a'], 1));
  expect(s.locationFailed('a', 'no worker')).toBe(true);
  expect(s.locationFailed('a', 'no worker')).toBe(false);
  for (let i = 0; i < 100; i++) s.note(`event ${i}`);
  expect(s.status.events).toHaveLength(30);
  expect(s.status.events.at(-1)?.what).toBe('event 99');
  expect(new WatchState('www', s.policy, s.status).status.runs).toBe(2);
});

test('a vote expires: dropped on a failing probe, or after silence longer than the policy allows', () => {
  const p = policy(['a', 'b', 'c'], 2);
  const s = new WatchState('www', p);
  s.syncLocations();
  for (const name of ['a', 'b', 'c']) s.heard(name, 0);
  s.locationReported('a', { verdict: 'down', checks: 3 }, 1000);
  s.locationReported('b', { verdict: 'down', checks: 3 }, 1000);
  expect(s.evaluate(s.location('b'))?.next).toBe('down');
  s.locationReported('c', { verdict: 'up', checks: 3 }, 1000);

  // b's probe fails: its vote no longer counts (once).
  expect(s.dropVote('b', 2000)).toBe(true);
  expect(s.dropVote('b', 3000)).toBe(false);
  expect(s.location('b')).toMatchObject({ verdict: 'unknown', silentSince: 2000 });
  expect(s.details()).toMatch(/b: unknown \(silent since 1970-01-01T00:00:02\.000Z: vote not counted\)/);

  // Silence: past maxProbeRunMs (60 s) + heartbeat timeout (4.5 s) + schedule-to-start (60 s).
  const bound = 60_000 + 4_500 + 60_000;
  expect(s.nextSilenceCheckMs(1000)).toBe(bound + 1);
  expect(s.expireSilent(1000 + bound)).toEqual([]);
  expect(s.expireSilent(1001 + bound)).toEqual(['a', 'c']);
  expect(s.location('c')).toMatchObject({ verdict: 'unknown', silentSince: 1001 + bound });

  // A report counts again and clears the silence; a stale down plus one live down is no quorum.
  s.locationReported('a', { verdict: 'up', checks: 2 }, 200_000);
  s.locationReported('a', { verdict: 'down', checks: 3 }, 201_000);
  expect(s.location('a').silentSince).toBeUndefined();
  expect(s.quorumVerdict()).toBe('down'); // held: no quorum either way, the last verdict stays
  s.status.verdict = 'up';
  expect(s.quorumVerdict()).toBe('up'); // b's stale "down" does not make a quorum with a
});

describe('the loop', () => {
  const kinds = (s: WatchState, timeToContinue = false) => [...s.wakeUp(timeToContinue)].map((e) => e.kind);

  test('a stop, then a restart, come before anything else, alone', () => {
    const s = new WatchState('www', policy(['a'], 1));
    s.retriggerDue = true;
    s.probeReturned({ location: 'a', generation: 0, result: { verdict: 'up', checks: 1 } });
    expect(s.hasWork(false)).toBe(true);
    s.reconfigure(policy(['a', 'b'], 1));
    s.requestStop('cli');
    expect(kinds(s)).toEqual(['stop']);
    const t = new WatchState('www', policy(['a'], 1));
    t.reconfigure(policy(['a', 'b'], 1));
    expect(kinds(t, true)).toEqual(['reconfigure']);
    expect(kinds(t, true)).toEqual(['continue_as_new']);
    expect(t.generation).toBe(2);
  });

  test('one wake-up takes the due retrigger, the due silence check and one report; reports of older probes are dropped', () => {
    const s = new WatchState('www', policy(['a'], 1));
    const up = { verdict: 'up', checks: 1 } as const;
    s.probeReturned({ location: 'a', generation: 0, result: up });
    s.probeReturned({ location: 'a', generation: 0, error: 'no worker' });
    s.retriggerDue = s.silenceCheckDue = true;
    expect(kinds(s)).toEqual(['retrigger', 'silence_check', 'probe_report']);
    expect(kinds(s)).toEqual(['probe_failed']);
    expect(s.hasWork(false)).toBe(false);
    s.probeReturned({ location: 'a', generation: 0, result: up });
    s.reconfigure(policy(['a'], 1));
    s.reconfigure(policy(['a', 'b'], 1));
    expect(kinds(s)).toEqual(['reconfigure']);
    s.probeReturned({ location: 'a', generation: 0, result: up });
    expect(kinds(s)).toEqual([]);
  });

  test('a retrigger that was not needed leaves no trace; a failed trigger is recorded but not counted', () => {
    const s = new WatchState('www', policy(['a'], 1));
    s.triggered('w1', 'not needed: the incident is on_standby', true);
    expect([s.status.triggers, s.status.lastTrigger]).toEqual([0, undefined]);
    s.triggered('w2', 'trigger failed: Unavailable: down', true, false);
    expect([s.status.triggers, s.status.lastTrigger?.alertId]).toEqual([0, 'w2']);
    s.triggered('w3', 'started', false);
    expect(s.status.triggers).toBe(1);
    expect(s.status.events.at(-1)?.what).toBe('incident: started');
  });

  test("a failing probe's error is noted once, and its vote dropped only when votes expire", () => {
    const s = new WatchState('www', policy(['a'], 1));
    s.syncLocations();
    s.locationReported('a', { verdict: 'down', checks: 3 });
    expect(s.probeFailed('a', 'no worker')).toBe(false);
    expect(s.location('a').verdict).toBe('down');
    expect(s.probeFailed('a', 'no worker', 5000)).toBe(true);
    expect(s.status.events.map((e) => e.what)).toEqual([
      'a: no worker',
      'a: vote no longer counted until it reports again',
    ]);
  });
});

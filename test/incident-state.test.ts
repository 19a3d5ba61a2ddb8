// The incident's bookkeeping on its own: which triggers start, join or are ignored (and why),
// repeats counted, the list bounded, failback and abort accepted or refused with a reason.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import { autoFailoverRetryMs } from '../workflows/auto-retry.ts';
import { IncidentState, MAX_TRIGGERS } from '../workflows/incident-state.ts';
import type { IncidentPolicy } from '../workflows/incident-types.ts';

const policy: IncidentPolicy = {
  failback: { mode: 'manual', holdDownMs: 1000 },
  standbyReadyTimeoutMs: 1000,
  verifyTimeoutMs: 1000,
  primaryCheckTimeoutMs: 1000,
};
const fresh = () => new IncidentState('www', policy);

describe('alerts', () => {
  test('the first open triggers; a duplicate and a second alert are recorded as ignored, with why', () => {
    const s = fresh();
    s.alertOpened({ alertId: 'a', source: 'pubsub' });
    expect(s.triggered).toBe(true);
    s.alertOpened({ alertId: 'a', source: 'pubsub' });
    s.status.phase = 'on_standby';
    s.alertOpened({ alertId: 'b', source: 'watcher' });
    expect(s.status.triggers.map((t) => t.ignored)).toEqual([undefined, 'duplicate', 'incident already on_standby']);
  });

  test('an open that arrives after its close does not trigger', () => {
    const s = fresh();
    s.alertClosed({ alertId: 'a', source: 'pubsub' });
    s.alertOpened({ alertId: 'a', source: 'pubsub' });
    expect(s.triggered).toBe(false);
    expect(s.status.triggers.at(-1)?.ignored).toBe('already closed (arrived out of order)');
  });

  test('identical repeats are counted on one record; the list is bounded and counts what it dropped', () => {
    const s = fresh();
    for (let i = 0; i < 5; i++) s.reportRecovered({ by: 'watcher' });
    expect(s.status.triggers).toHaveLength(1);
    expect(s.status.triggers[0]?.repeats).toBe(4);
    for (let i = 0; i < MAX_TRIGGERS + 10; i++) s.alertClosed({ alertId: `c${i}`, source: 'pubsub' });
    expect(s.status.triggers).toHaveLength(MAX_TRIGGERS);
    expect(s.status.triggersDropped).toBe(11);
  });

  test('a continued run keeps a failback request accepted while it was continuing as new', () => {
    const s = fresh();
    s.alertOpened({ alertId: 'a', source: 'pubsub' });
    s.status.phase = 'on_standby';
    s.acceptFailback({ by: 'frank' });
    const next = new IncidentState('www', policy, s.carry());
    expect(next.failbackRequestedBy).toBe('frank');
  });

  test('a continued run remembers alerts beyond the capped trigger list', () => {
    const s = fresh();
    s.alertOpened({ alertId: 'first', source: 'pubsub' });
    s.status.phase = 'failing_back';
    for (let i = 0; i < MAX_TRIGGERS + 10; i++) s.alertClosed({ alertId: `c${i}`, source: 'pubsub' });
    s.status.triggers.splice(0, 1); // as if the list had rolled past the first alert
    const next = new IncidentState('www', policy, s.carry());
    next.status.phase = 'failing_back';
    // A redelivery of the first alert is a duplicate, not a new outage that would send users back.
    expect(next.alertOpened({ alertId: 'first', source: 'pubsub' })).toBeUndefined();
    expect(next.status.triggers.at(-1)?.ignored).toBe('duplicate');
  });

  test('a continued run remembers which alerts it saw and that it was triggered', () => {
    const first = fresh();
    first.alertOpened({ alertId: 'a', source: 'pubsub' });
    const next = new IncidentState('www', policy, { status: first.status, undo: {} });
    expect(next.triggered).toBe(true);
    next.alertOpened({ alertId: 'a', source: 'pubsub' });
    expect(next.status.triggers.at(-1)?.ignored).toBe('duplicate');
  });
});

describe('failback and abort', () => {
  test('failback is refused unless on standby, and only once', () => {
    const s = fresh();
    expect(s.failbackRefusal()).toMatch(/awaiting_trigger, not on_standby/);
    s.approveFailback({ by: 'ui' });
    expect(s.failbackRequestedBy).toBeUndefined();
    s.status.phase = 'on_standby';
    s.approveFailback({ by: 'ui' });
    expect(s.failbackRequestedBy).toBe('ui');
    expect(s.failbackRefusal()).toBe('failback already requested by ui');
  });

  test('abort cancels only what is in flight', () => {
    const s = fresh();
    s.status.phase = 'on_standby';
    expect(s.abort({ by: 'cli' })).toBe(false);
    expect(s.status.triggers.at(-1)?.ignored).toMatch(/use failback/);
    s.status.phase = 'failing_over';
    expect(s.abort({ by: 'cli' })).toBe(true);
    expect(s.abortRequestedBy).toBe('cli');
  });
});

describe('outcomes of the sagas', () => {
  test("a lever's before is kept from its first read only", () => {
    const s = fresh();
    s.keepBefore('traffic', { target: 'primary' });
    s.keepBefore('traffic', { target: 'standby' });
    expect(s.undo.traffic).toEqual({ target: 'primary' });
  });

  test('cancelling the workflow during a failover is an abort', () => {
    const s = fresh();
    s.failoverFailed(new Error('cancelled'), true);
    expect(s.status.cause).toBe('aborted by a cancellation of the workflow');
  });

  test('a failed or relapsed automatic failback counts; a manual one or an abort does not', () => {
    const s = fresh();
    s.failbackFailed(new Error('no'), true);
    expect(s.status.autoFailbackFailures).toBeUndefined();
    s.failbackFailed(new Error('no'), false);
    expect(s.status.autoFailbackFailures).toBe(1);
    expect(s.status.cause).toBe('failback failed: Error: no');
    s.outageAgain = true;
    s.failbackFailed(new Error('cancelled'), false);
    expect([s.status.cause, s.outageAgain]).toEqual(['failback stopped: a new outage was reported', false]);
    expect(s.status.autoFailbackFailures).toBe(2); // the primary died again under the failback (issue 16, path 3)
    s.abortRequestedBy = 'cli';
    s.failbackFailed(new Error('cancelled'), false);
    expect(s.status.cause).toBe('failback aborted by cli');
    s.relapsedAfterFailback(true);
    expect(s.status.autoFailbackFailures).toBe(2);
    s.relapsedAfterFailback(false);
    expect(s.status.autoFailbackFailures).toBe(3);
  });

  test('an older run (patch not applied) does not count a new outage', () => {
    const s = new IncidentState('www', policy, undefined, undefined, () => false);
    s.outageAgain = true;
    s.failbackFailed(new Error('cancelled'), false);
    s.relapsedAfterFailback(false);
    expect(s.status.autoFailbackFailures).toBeUndefined();
  });

  test('a new outage is answered once', () => {
    const s = fresh();
    s.outageAgain = true;
    expect(s.takeOutageAgain()).toBe(true);
    expect(s.takeOutageAgain()).toBe(false);
  });

  test('automatic failbacks back off, doubling up to an hour, and stop after maxAutoAttempts with a warning', () => {
    const auto = new IncidentState('www', {
      ...policy,
      failback: { mode: 'auto', holdDownMs: 1000, maxAutoAttempts: 9, retryBackoffMs: 60_000 },
    });
    expect(fresh().nextAutoFailback()).toBeUndefined();
    expect(auto.nextAutoFailback()).toEqual({});
    auto.status.autoFailbackFailures = 2;
    expect(auto.nextAutoFailback()).toEqual({ backoffMs: 120_000 });
    auto.status.autoFailbackFailures = 8;
    expect(auto.nextAutoFailback()).toEqual({ backoffMs: 3_600_000 });
    auto.status.autoFailbackFailures = 9;
    expect(auto.nextAutoFailback()).toBeUndefined();
    expect(auto.status.warnings).toEqual(['automatic failback stopped after 9 failed attempts; fail back by hand']);
  });
});

describe('needs_attention', () => {
  test('earlier answers do not count; the primary recovering answers only a failed failover', () => {
    const s = fresh();
    s.status.phase = 'needs_attention';
    s.steer('retry', { by: 'cli' });
    s.reportRecovered({ by: 'watcher' });
    s.needAttention({ reason: 'cleanup failed', retry: 'compensations', pending: ['resume_monitor'] });
    expect(s.attentionAnswered).toBe(false);
    s.reportRecovered({ by: 'watcher' });
    expect(s.attentionAnswered).toBe(false);
    s.needAttention({ reason: 'primary down too', retry: 'failover', pending: [] });
    s.reportRecovered({ by: 'watcher' });
    expect(s.attentionAnswered).toBe(true);
    expect(s.endAttention()).toBe('recovered');
    expect(s.status.attention).toBeUndefined();
  });

  test('a wait continued as new keeps its attention and the answers accepted meanwhile', () => {
    const s = fresh();
    s.alertOpened({ alertId: 'a', source: 'pubsub' });
    s.needAttention({ reason: 'primary down too', retry: 'failover', pending: [], autoRetryAt: 5 });
    s.status.phase = 'needs_attention';
    const quiet = new IncidentState('www', policy, s.carry({ attention: { first: true } }));
    expect(quiet.attentionAnswered).toBe(false);
    expect(quiet.status.attention).toMatchObject({ reason: 'primary down too', autoRetryAt: 5 });
    s.reportRecovered({ by: 'watcher' });
    const recovered = new IncidentState('www', policy, s.carry({ attention: { first: false } }));
    expect(recovered.attentionAnswered).toBe(true);
    expect(recovered.endAttention()).toBe('recovered');
    s.steer('acknowledge', { by: 'b' });
    const carried = s.carry({ attention: { first: true } });
    expect(carried.attention).toEqual({ first: true, acknowledgedBy: 'b', primaryRecovered: true });
    expect(new IncidentState('www', policy, carried).endAttention()).toBe('acknowledge');
  });

  test('acknowledge wins over retry', () => {
    const s = fresh();
    s.needAttention({ reason: 'x', retry: 'compensations', pending: [] });
    s.status.phase = 'needs_attention';
    s.steer('retry', { by: 'a' });
    s.steer('acknowledge', { by: 'b' });
    expect(s.endAttention()).toBe('acknowledge');
  });
});

describe('automatic retry of a failover undone with the primary down', () => {
  const retrying: IncidentPolicy = { ...policy, failoverRetry: { maxAttempts: 2, backoffMs: 1000 } };
  const status = () => new IncidentState('www', retrying).status;

  test('backs off, doubling, up to maxAttempts; off when the policy says nothing', () => {
    const s = status();
    const busy = ApplicationFailure.create({ type: 'Unavailable', message: '503' });
    expect(autoFailoverRetryMs(retrying, s, busy)).toBe(1000);
    s.autoFailoverRetries = 1;
    expect(autoFailoverRetryMs(retrying, s, busy)).toBe(2000);
    s.autoFailoverRetries = 2;
    expect(autoFailoverRetryMs(retrying, s, busy)).toBeUndefined();
    expect(autoFailoverRetryMs(policy, status(), busy)).toBeUndefined();
  });

  test('never for a cause a retry would meet again (permission, config)', () => {
    const denied = new Error('activity failed', {
      cause: ApplicationFailure.create({ type: 'PermissionDenied', message: 'no edit' }),
    });
    expect(autoFailoverRetryMs(retrying, status(), denied)).toBeUndefined();
    const slow = ApplicationFailure.create({ type: 'ProbeFailed', message: 'standby not ready' });
    expect(autoFailoverRetryMs(retrying, status(), slow)).toBe(1000);
  });
});

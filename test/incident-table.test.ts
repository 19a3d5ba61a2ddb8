// The incident as a table (workflows/incident-table.ts): docs/workflow.md shows the same table,
// every cell names the test that shows it, and the cells that are rules of IncidentState are
// tested here, phase by phase, on the state alone.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { IncidentState } from '../workflows/incident-state.ts';
import {
  INCIDENT_TABLE,
  TABLE_EVENTS,
  TABLE_PHASES,
  type TableEvent,
  type TablePhase,
  renderIncidentTable,
} from '../workflows/incident-table.ts';
import type { IncidentPolicy, Phase } from '../workflows/incident-types.ts';

const policy: IncidentPolicy = {
  failback: { mode: 'manual', holdDownMs: 1000 },
  standbyReadyTimeoutMs: 1000,
  verifyTimeoutMs: 1000,
  primaryCheckTimeoutMs: 1000,
};

/** A state in one of the table's running phases; needs_attention after a failed cleanup unless `failover`. */
function inPhase(phase: Exclude<TablePhase, 'ended'>, attention: 'cleanup' | 'failover' = 'cleanup'): IncidentState {
  const s = new IncidentState('www', policy);
  s.alertOpened({ alertId: 'first', source: 'watcher' });
  const workflowPhase: Phase = phase === 'draining' ? 'failing_back' : phase;
  if (phase === 'needs_attention') {
    s.needAttention(
      attention === 'cleanup'
        ? { reason: 'cleanup failed', retry: 'compensations', pending: ['close_standby_access'], onOutage: 'fail_over' }
        : { reason: 'failover undone, primary down', retry: 'failover', pending: [] },
    );
  }
  s.enterPhase(workflowPhase);
  if (phase === 'draining') s.verifiedPrimary(Date.now());
  return s;
}

const RUNNING = TABLE_PHASES.filter((p): p is Exclude<TablePhase, 'ended'> => p !== 'ended');
const last = (s: IncidentState) => s.status.triggers.at(-1)!;

/** Each cell's test: "<file>: <test name>", found in that file. */
const ROW = (event: string) => `incident-table.test.ts: row: ${event}`;
const EV = 'every-event.test.ts: ';
const FP = 'failure-paths.test.ts: ';
const INC = 'incident.test.ts: ';
const SB = 'standby-events.test.ts: ';
const NA = '–';
const TESTS: Record<TableEvent, Record<TablePhase, string>> = {
  outage: {
    failing_over: ROW('outage'),
    on_standby: ROW('outage'),
    failing_back: `${FP}before the primary is verified: traffic goes back to the standby, which stays open`,
    draining: `${FP}after the primary was verified, while cleaning up: the site fails over again`,
    needs_attention: `${EV}a new outage there fails over again instead of being ignored`,
    ended: `${EV}is judged against the last time the primary was verified serving, not the end of the incident`,
  },
  alertClosed: { ...each(ROW('alertClosed')), ended: NA },
  primaryRecovered: { ...each(ROW('primaryRecovered')), ended: NA },
  failback: { ...each(ROW('failback')), ended: NA },
  abort: {
    failing_over: `${INC}abort during failover compensates what was done`,
    on_standby: `${INC}abort on standby changes nothing and says why`,
    failing_back: ROW('abort'),
    draining: `${EV}is refused with a reason (nothing is in flight to undo)`,
    needs_attention: ROW('abort'),
    ended: NA,
  },
  retry: {
    ...each(ROW('retry')),
    needs_attention: `${EV}a retry with the primary down does not resolve onto it: it fails over again`,
    ended: NA,
  },
  acknowledge: {
    ...each(ROW('acknowledge')),
    needs_attention: 'cli.test.ts: needs attention: status says why and what to do; retry, then acknowledge',
    ended: NA,
  },
  cancel: {
    failing_over: `${INC}cancelling the workflow from Temporal also compensates`,
    on_standby: `${EV}on standby: the run ends cancelled, users left on the serving standby`,
    failing_back: `${EV}while failing back: undone, then the run ends cancelled on the standby`,
    draining: `${EV}during the drain: the cleanup finishes, the world as before the incident`,
    needs_attention: `${EV}in needs_attention: the run ends cancelled, the world as it is`,
    ended: NA,
  },
  'config change': {
    ...each(
      'watcher.test.ts: a config change during an outage keeps the re-trigger: an incident ended by hand is started again',
    ),
    ended: NA,
  },
  'permanent failure': {
    failing_over: `${FP}never closes the standby while traffic may reach it; waits in needs_attention; a retry finishes it`,
    on_standby: `${SB}a hold-down that fails for good turns the automatic failback off with a warning; a manual one still works`,
    failing_back: `${FP}backs off between attempts, then stops and waits for a human`,
    draining: `${EV}a new outage there fails over again instead of being ignored`,
    needs_attention: `${FP}never closes the standby while traffic may reach it; waits in needs_attention; a retry finishes it`,
    ended: NA,
  },
  'lost reply': {
    ...each(`${INC}are retried at every step and the failover completes`),
    on_standby: `${SB}an attempt of the hold-down lost midway: the retry resumes from its heartbeat, not from zero`,
    draining: `${FP}is put back when the incident ends; the site is on standby without waiting for the monitor`,
    ended: NA,
  },
  'worker crash': {
    ...each(
      'crash-recovery.test.ts: SIGKILL in the middle of each step: every incident completes, nothing applied twice, the world as it began',
    ),
    ended: NA,
  },
  'continue-as-new': {
    ...each(NA),
    on_standby: `${INC}continues as new to bound the history, keeping the status and what failback must restore`,
    needs_attention: `${EV}continues as new when suggested, still waiting with its attention; a retry then fails over`,
  },
};

function each(ref: string): Record<TablePhase, string> {
  return Object.fromEntries(TABLE_PHASES.map((p) => [p, ref])) as Record<TablePhase, string>;
}

describe('the table', () => {
  test('docs/workflow.md shows the table the code holds', () => {
    const docs = readFileSync(new URL('../docs/workflow.md', import.meta.url), 'utf8');
    expect(docs).toContain(renderIncidentTable());
  });

  test('every cell names a test that exists (or "open", with why); "–" only where the table says "–"', () => {
    const missing: string[] = [];
    const open: string[] = [];
    for (const event of TABLE_EVENTS) {
      for (const phase of TABLE_PHASES) {
        const ref = TESTS[event][phase];
        const cell = `${event} × ${phase}`;
        if (ref === NA) {
          if (INCIDENT_TABLE[event][phase] !== NA) missing.push(`${cell}: no test`);
          continue;
        }
        if (ref.startsWith('open:')) {
          open.push(`${cell}: ${ref}`);
          continue;
        }
        const [file, name] = ref.split(/: (.*)/s) as [string, string];
        const text = readFileSync(new URL(file, import.meta.url), 'utf8').replace(/\s+/g, ' ');
        if (!text.includes(`'${name}'`) && !text.includes(`"${name}"`)) missing.push(`${cell}: ${ref} not found`);
      }
    }
    console.log(`cells without a test yet (${open.length}):\n${open.join('\n')}`);
    expect(missing).toEqual([]);
    expect(open.length).toBe(0);
  });
});

describe('the rules of IncidentState, phase by phase', () => {
  test('row: outage', () => {
    for (const phase of RUNNING) {
      const s = inPhase(phase);
      const answer = s.alertOpened({ alertId: `new-${phase}`, source: 'watcher' });
      const again = phase === 'failing_back' || phase === 'draining' || phase === 'needs_attention';
      expect([phase, answer, last(s).ignored]).toEqual([
        phase,
        again ? 'again' : undefined,
        again ? undefined : `incident already ${phase}`,
      ]);
      if (again) {
        // A second outage while going back to the standby adds nothing.
        s.alertOpened({ alertId: `newer-${phase}`, source: 'watcher' });
        expect(last(s).ignored).toBe('incident already going back to the standby');
      }
    }
    // needs_attention after a failed failover (the primary is known down): no news.
    const s = inPhase('needs_attention', 'failover');
    expect(s.alertOpened({ alertId: 'x', source: 'watcher' })).toBeUndefined();
    expect(last(s).ignored).toBe('incident already needs_attention');
    // An older run (patch absent) keeps ignoring it in needs_attention.
    const old = new IncidentState('www', policy, undefined, undefined, () => false);
    old.alertOpened({ alertId: 'first', source: 'watcher' });
    old.needAttention({ reason: 'r', retry: 'compensations', pending: [], onOutage: 'fail_over' });
    old.enterPhase('needs_attention');
    expect(old.alertOpened({ alertId: 'y', source: 'watcher' })).toBeUndefined();
  });

  test('row: outage in needs_attention after a cleanup answers the wait', () => {
    const s = inPhase('needs_attention');
    expect(s.attentionAnswered).toBe(false);
    s.alertOpened({ alertId: 'dies', source: 'watcher' });
    expect(s.attentionAnswered).toBe(true);
    expect(s.endAttention()).toBe('outage');
  });

  test('row: alertClosed', () => {
    for (const phase of RUNNING) {
      const s = inPhase(phase);
      s.alertClosed({ alertId: 'first', source: 'pubsub' });
      expect(last(s)).toMatchObject({ kind: 'alert_closed', id: 'first' });
      expect(last(s).ignored).toBeUndefined();
      expect(s.status.phase).toBe(phase === 'draining' ? 'failing_back' : phase);
    }
  });

  test('row: primaryRecovered', () => {
    for (const phase of RUNNING) {
      const s = inPhase(phase, 'failover');
      s.reportRecovered({ by: 'watcher' });
      expect(last(s)).toMatchObject({ kind: 'primary_recovered' });
      expect(s.attentionAnswered).toBe(phase === 'needs_attention');
    }
    const cleanup = inPhase('needs_attention', 'cleanup');
    cleanup.reportRecovered({ by: 'watcher' });
    expect(cleanup.attentionAnswered).toBe(false);
  });

  test('row: failback', () => {
    for (const phase of RUNNING) {
      const s = inPhase(phase);
      s.approveFailback({ by: 'ui' });
      expect([phase, s.failbackRequestedBy]).toEqual([phase, phase === 'on_standby' ? 'ui' : undefined]);
      if (phase !== 'on_standby') expect(last(s).ignored).toMatch(/not on_standby: there is nothing to fail back/);
    }
  });

  test('row: abort', () => {
    const cancels: Record<string, boolean> = {};
    for (const phase of RUNNING) cancels[phase] = inPhase(phase).abort({ by: 'cli' });
    expect(cancels).toEqual({
      failing_over: true,
      on_standby: false,
      failing_back: true,
      draining: false,
      needs_attention: false,
    });
    const draining = inPhase('draining');
    draining.abort({ by: 'cli' });
    expect(last(draining).ignored).toMatch(/the primary is already verified/);
    expect(draining.abortRequestedBy).toBeUndefined();
  });

  test('row: retry', () => steerRow('retry'));
  test('row: acknowledge', () => steerRow('acknowledge'));
});

function steerRow(kind: 'retry' | 'acknowledge'): void {
  for (const phase of RUNNING) {
    const s = inPhase(phase);
    s.steer(kind, { by: 'cli' });
    if (phase === 'needs_attention') {
      expect(s.attentionAnswered).toBe(true);
      expect(s.endAttention()).toBe(kind);
    } else {
      expect(last(s).ignored).toMatch(/not needs_attention/);
    }
  }
}

// The simulation's generator reaches for every cell of the table: each incident aims at one in turn,
// so a run of 300 aims at every cell (known-open ones too when asked), about four times.
import { expect, test } from 'vitest';
import type { IncidentStatus, StepName, StepRecord } from '../../workflows/incident-types.ts';
import { CELL_EVENTS, CELL_PHASES, KNOWN_OPEN, cell, cellPhase, generatedCells } from './cells.ts';
import { drawSchedule } from './schedule.ts';

const aimed = (cells: ReturnType<typeof generatedCells>) =>
  new Set(
    Array.from({ length: 300 }, (_, i) => drawSchedule(12345, i, cells).cells).flatMap((cs) =>
      cs.map((c) => cell(c.phase, c.event)),
    ),
  );

test('300 incidents aim at every cell, known-open ones included when generated', () => {
  const all = generatedCells(true);
  expect(all).toHaveLength(CELL_PHASES.length * CELL_EVENTS.length);
  expect([...aimed(all)].sort()).toEqual([...all].sort());
  const withoutOpen = generatedCells(false);
  expect([...aimed(withoutOpen)].sort()).toEqual([...withoutOpen].sort());
  for (const c of KNOWN_OPEN.keys()) expect(all).toContain(c);
});

test('draining is failing_back after the primary was verified', () => {
  const step = (name: StepName, outcome: StepRecord['outcome'] = 'ok'): StepRecord => ({ name, outcome, startedAt: 0 });
  const at = (phase: string, steps: StepRecord[]) => cellPhase({ phase, steps } as unknown as IncidentStatus);
  const routed = [step('verify_public_url_on_standby'), step('route_traffic_to_primary')];
  expect(at('failing_back', routed)).toBe('failing_back');
  expect(at('failing_back', [...routed, step('verify_public_url_on_primary', 'running')])).toBe('failing_back');
  expect(at('failing_back', [...routed, step('verify_public_url_on_primary'), step('drain_standby', 'running')])).toBe(
    'draining',
  );
  expect(at('on_standby', routed)).toBe('on_standby');
  expect(at('resolved', routed)).toBeUndefined();
});

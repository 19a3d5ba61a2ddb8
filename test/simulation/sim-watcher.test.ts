// The simulation's judgement of a watcher that went silent: by when the watcher decided, not when
// the incident received the trigger.
import { describe, expect, test } from 'vitest';
import type { IncidentStatus, TriggerRecord } from '../../workflows/incident-types.ts';
import { triggersAfterSilence } from './watcher.ts';

const TAKEN = Date.parse('2026-12-07T10:00:00.000Z');
const trigger = (decided: string, receivedAt: number, source = 'watcher'): TriggerRecord => ({
  kind: 'alert_opened',
  id: `watcher:www:${decided}`,
  source,
  at: receivedAt,
});
const status = (...triggers: TriggerRecord[]) => ({ triggers }) as unknown as IncidentStatus;

describe('triggers after the watcher went silent', () => {
  test('one decided before, received after, does not count', () =>
    expect(triggersAfterSilence(status(trigger('2026-12-07T09:59:59.500Z', TAKEN + 5000)), TAKEN)).toBe(0));
  test('one decided after counts', () =>
    expect(triggersAfterSilence(status(trigger('2026-12-07T10:00:00.200Z', TAKEN + 300)), TAKEN)).toBe(1));
  test('other sources do not count; nothing is judged before the watcher took the silence', () => {
    expect(triggersAfterSilence(status(trigger('2026-12-07T10:00:01.000Z', TAKEN, 'pubsub')), TAKEN)).toBe(0);
    expect(triggersAfterSilence(status(trigger('2026-12-07T10:00:01.000Z', TAKEN)), undefined)).toBe(0);
  });
});

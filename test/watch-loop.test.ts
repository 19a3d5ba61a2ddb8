import { describe, expect, test } from 'vitest';
import { type WatchProgress, watchLoop } from '../activities/watch-probe.ts';
import type { ProbeOptions } from '../workflows/watch-types.ts';

/** A fake clock and a scripted primary: every check takes `checkMs`, sleeps advance the clock. */
function harness(script: (boolean | Error)[], checkMs = 0) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const beats: WatchProgress[] = [];
  const checkTimes: number[] = [];
  const check = async () => {
    checkTimes.push(now);
    const next = script.length ? script.shift()! : true;
    now += checkMs;
    if (next instanceof Error) throw next;
    return { ok: next, detail: next ? '200' : '503' };
  };
  const deps = {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    heartbeat: (p: WatchProgress) => beats.push({ ...p }),
  };
  return {
    check,
    deps,
    sleeps,
    beats,
    checkTimes,
    get now() {
      return now;
    },
  };
}

const opts = (o: Partial<ProbeOptions> = {}): ProbeOptions => ({
  intervalMs: 1000,
  timeoutMs: 500,
  failuresToTrigger: 3,
  successesToRecover: 2,
  current: 'up',
  maxRunMs: 60_000,
  ...o,
});

describe('watchLoop', () => {
  test('down after exactly K consecutive failures; since = the first of them', async () => {
    const h = harness([true, false, true, false, false, false, false]);
    const r = await watchLoop(h.check, opts(), h.deps);
    expect(r).toEqual({ verdict: 'down', checks: 6, detail: '503', since: h.checkTimes[3] });
  });

  test('thrown checks count as failures', async () => {
    const h = harness([new Error('ECONNRESET'), new Error('ECONNRESET'), new Error('timeout')]);
    expect(await watchLoop(h.check, opts(), h.deps)).toMatchObject({ verdict: 'down', checks: 3, detail: 'timeout' });
  });

  test('up after M successes when down or unknown; not while already up', async () => {
    const h = harness([false, true, true]);
    expect(await watchLoop(h.check, opts({ current: 'down' }), h.deps)).toMatchObject({ verdict: 'up', checks: 3 });
    const u = harness([true, true]);
    expect(await watchLoop(u.check, opts({ current: 'unknown' }), u.deps)).toMatchObject({ verdict: 'up', checks: 2 });
    const f = harness([false, false, false]);
    expect(await watchLoop(f.check, opts({ current: 'unknown' }), f.deps)).toMatchObject({
      verdict: 'down',
      checks: 3,
    });
  });

  test('no news within maxRunMs: returns the current verdict', async () => {
    const h = harness([]);
    const r = await watchLoop(h.check, opts({ maxRunMs: 5000 }), h.deps);
    expect(r).toMatchObject({ verdict: 'up', checks: 6 });
  });

  test('keeps the cadence: a slow check shortens the wait', async () => {
    const h = harness([false, false, false], 300);
    await watchLoop(h.check, opts(), h.deps);
    expect(h.sleeps).toEqual([700, 700]);
    expect(h.checkTimes[1]! - h.checkTimes[0]!).toBe(1000);
  });

  test('resumes the streak from the last heartbeat (retry on another worker)', async () => {
    const first = harness([false, false]);
    const aborted = new Error('worker died');
    let beats = 0;
    await expect(
      watchLoop(first.check, opts(), {
        ...first.deps,
        heartbeat: (p) => {
          first.beats.push({ ...p });
          if (++beats === 2) throw aborted;
        },
      }),
    ).rejects.toBe(aborted);
    const resume = first.beats.at(-1)!;
    expect(resume.failures).toBe(2);
    const second = harness([false]);
    const r = await watchLoop(second.check, opts(), { ...second.deps, resume });
    expect(r).toMatchObject({ verdict: 'down', checks: 3 });
  });

  test('a cancelled activity does not turn its aborted check into a verdict', async () => {
    const h = harness([false, false, false]);
    const cancelled = new Error('cancelled');
    let n = 0;
    await expect(
      watchLoop(h.check, opts(), {
        ...h.deps,
        throwIfCancelled: () => {
          if (++n === 3) throw cancelled;
        },
      }),
    ).rejects.toBe(cancelled);
  });
});

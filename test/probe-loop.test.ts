// The probe loop in isolation, on a fake clock.
import { describe, expect, test } from 'vitest';
import { ProviderError } from '../activities/errors.ts';
import { type ProbeProgress, probeUntilServing } from '../activities/probe-loop.ts';

function fakeClock() {
  let now = 0;
  const beats: ProbeProgress[] = [];
  return {
    beats,
    deps: {
      now: () => now,
      sleep: async (ms: number) => void (now += ms),
      heartbeat: (p: ProbeProgress) => void beats.push({ ...p }),
    },
  };
}

const script = (results: boolean[]) => {
  let i = 0;
  return async () => ({ ok: results[Math.min(i++, results.length - 1)]!, detail: `check ${i}` });
};

describe('probeUntilServing', () => {
  test('needs the configured number of consecutive successes', async () => {
    const { deps, beats } = fakeClock();
    const p = await probeUntilServing(
      script([true, false, true, true]),
      { what: 'x', intervalMs: 100, successesNeeded: 2 },
      deps,
    );
    expect(p.checks).toBe(4);
    expect(beats).toHaveLength(4);
  });

  test('a failure restarts the hold-down', async () => {
    const { deps } = fakeClock();
    const p = await probeUntilServing(
      script([true, true, true, false, true, true, true, true, true]),
      { what: 'x', intervalMs: 100, successesNeeded: 1, holdDownMs: 300 },
      deps,
    );
    expect(p.checks).toBe(8); // healthy from check 5 (t=400) to check 8 (t=700)
    expect(p.healthySince).toBe(400);
  });

  test('gives up after the timeout with a non-retryable error naming the target and the last result', async () => {
    const { deps } = fakeClock();
    const run = probeUntilServing(
      script([false]),
      { what: 'standby of blog', intervalMs: 1000, successesNeeded: 1, timeoutMs: 5000 },
      deps,
    );
    await expect(run).rejects.toBeInstanceOf(ProviderError);
    await expect(run).rejects.toMatchObject({
      kind: 'probe_failed',
      retryable: false,
      message: expect.stringMatching(/standby of blog did not serve within 5000 ms \(6 checks\); last: check 6/),
    });
  });

  test('a check that throws counts as a failed check', async () => {
    const { deps } = fakeClock();
    let n = 0;
    const check = async () => {
      if (++n < 3) throw new Error('ECONNREFUSED');
      return { ok: true, detail: 'ok' };
    };
    const p = await probeUntilServing(check, { what: 'x', intervalMs: 10, successesNeeded: 1 }, deps);
    expect(p.checks).toBe(3);
  });

  test('resumes from heartbeat details after a retry', async () => {
    const { deps } = fakeClock();
    const resume = { startedAt: -4000, checks: 40, consecutive: 0 };
    const run = probeUntilServing(
      script([false]),
      { what: 'x', intervalMs: 1000, successesNeeded: 1, timeoutMs: 5000 },
      { ...deps, resume },
    );
    await expect(run).rejects.toThrow(/\(42 checks\)/);
  });

  test('heartbeats on a timer while it sleeps and while a check is in flight, and stops the timer after', async () => {
    let now = 0;
    const beats: number[] = [];
    let tick: (() => void) | undefined;
    let stopped = false;
    /** Time passes in 1 s steps; the pulse timer fires at each. */
    const advance = (ms: number) => {
      for (let t = 0; t < ms; t += 1000) {
        now += 1000;
        tick?.();
      }
    };
    let n = 0;
    const check = async () => {
      advance(4000); // a slow check
      return { ok: ++n >= 2, detail: `check ${n}` };
    };
    const p = await probeUntilServing(
      check,
      { what: 'x', intervalMs: 6000, successesNeeded: 1 },
      {
        now: () => now,
        sleep: async (ms) => advance(ms),
        heartbeat: () => void beats.push(now),
        pulseMs: 1000,
        every: (ms, fn) => {
          expect(ms).toBe(1000);
          tick = fn;
          return () => void (stopped = true);
        },
      },
    );
    expect(p.checks).toBe(2);
    // Never more than 1 s without a heartbeat, over 4 s + 6 s + 4 s.
    const gaps = beats.slice(1).map((t, i) => t - beats[i]!);
    expect(beats.at(-1)).toBe(14_000);
    expect(Math.max(beats[0]!, ...gaps)).toBeLessThanOrEqual(1000);
    expect(stopped).toBe(true);
  });
});

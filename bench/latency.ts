// Provider latencies for the benchmarks: a ProviderRegistry that delays each call of another
// registry (the in-memory world) by operation, and logs when each call ran. Its levers behave as
// the real adapters do: `set` and `restore` read the resource first and write only when it differs
// (a read-modify-write, as Cloud Run's getIamPolicy + setIamPolicy), so each costs read + write.
import type { Change, Lever, ProbePolicy, ProviderRegistry, SiteProviders } from '../activities/providers/types.ts';
import type { Snapshot } from '../workflows/types.ts';

export type LeverName = 'standbyAccess' | 'traffic' | 'monitor';

/** Milliseconds each provider call takes, and the probe policy of every site. */
export interface Latencies {
  label: string;
  standbyAccess: { read: number; write: number };
  traffic: { read: number; write: number };
  monitor: { read: number; write: number };
  /** One HTTP check of the standby or the public URL. */
  probe: number;
  probePolicy: ProbePolicy;
}

/** The same latency on every call. */
export function uniform(ms: number, probePolicy: ProbePolicy, label = `${ms} ms/call`): Latencies {
  const rw = { read: ms, write: ms };
  return { label, standbyAccess: rw, traffic: rw, monitor: rw, probe: ms, probePolicy };
}

export interface CallRecord {
  site: string;
  op: LeverName | 'probe';
  /** `read` made on its own (the workflow's local activity) or inside a `set`/`restore`. */
  kind: 'read' | 'set-read' | 'write' | 'probe';
  start: number;
  end: number;
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/** Time to pass a probe loop: `successesNeeded` checks with `intervalMs` between them (see activities/probe-loop.ts). */
function probeSpan(l: Latencies): number {
  const n = l.probePolicy.successesNeeded;
  return n * l.probe + (n - 1) * l.probePolicy.intervalMs;
}

/**
 * The failover's lower bound from the settings alone: the critical path of its provider calls
 * (enable standby access = read + write, await standby ready = the probe loop, route traffic =
 * read + write, verify = the probe loop). Pausing the monitor (read + write) runs beside it.
 */
export function lowerBound(l: Latencies): { critical: number; monitor: number } {
  const rw = (x: { read: number; write: number }) => x.read + x.write;
  return {
    critical: rw(l.standbyAccess) + probeSpan(l) + rw(l.traffic) + probeSpan(l),
    monitor: rw(l.monitor),
  };
}

export class LatencyRegistry implements ProviderRegistry {
  /** Every call, in the order it ended; `Date.now()` times, comparable with Temporal event times on this host. */
  readonly calls: CallRecord[] = [];
  readonly latencies: Latencies;
  /** Off when only the delays matter (fleet runs), to keep the log from growing. */
  private readonly record: boolean;
  private readonly inner: ProviderRegistry;
  private readonly built = new Map<string, SiteProviders>();

  constructor(inner: ProviderRegistry, latencies: Latencies, record = true) {
    this.inner = inner;
    this.latencies = latencies;
    this.record = record;
  }

  private async timed<T>(
    site: string,
    op: CallRecord['op'],
    kind: CallRecord['kind'],
    ms: number,
    run: () => Promise<T>,
  ) {
    const start = Date.now();
    await sleep(ms);
    const result = await run();
    if (this.record) this.calls.push({ site, op, kind, start, end: Date.now() });
    return result;
  }

  callsOf(site: string): CallRecord[] {
    return this.calls.filter((c) => c.site === site);
  }

  forSite(site: string): SiteProviders {
    let p = this.built.get(site);
    if (p) return p;
    const inner = this.inner.forSite(site);
    const lever = <P extends string>(op: LeverName, l: Lever<P>): Lever<P> => {
      const ms = this.latencies[op];
      const change = async (apply: () => Promise<Change>, wanted: (before: Snapshot) => boolean): Promise<Change> => {
        const before = await this.timed(site, op, 'set-read', ms.read, () => l.read());
        if (wanted(before)) return apply();
        return this.timed(site, op, 'write', ms.write, apply);
      };
      return {
        resource: l.resource,
        read: () => this.timed(site, op, 'read', ms.read, () => l.read()),
        isAt: (position, snapshot) => l.isAt(position, snapshot),
        set: (position) =>
          change(
            () => l.set(position),
            (before) => l.isAt(position, before),
          ),
        restore: (before) =>
          change(
            () => l.restore(before),
            (now) => JSON.stringify(now) === JSON.stringify(before),
          ),
      };
    };
    p = {
      standbyAccess: lever('standbyAccess', inner.standbyAccess),
      traffic: lever('traffic', inner.traffic),
      monitor: lever('monitor', inner.monitor),
      prober: {
        check: (endpoint, expect, signal) =>
          this.timed(site, 'probe', 'probe', this.latencies.probe, () => inner.prober.check(endpoint, expect, signal)),
      },
      probe: this.latencies.probePolicy,
    };
    this.built.set(site, p);
    return p;
  }
}

// An in-process world for fast tests and benchmarks: every site's providers as plain state,
// with fault injection and an audit log of mutations. Not for production.
import type { Snapshot, Target } from '../../../workflows/types.ts';
import { ProviderError } from '../../errors.ts';
import type { Change, Endpoint, Lever, ProbePolicy, ProbeResult, ProviderRegistry, SiteProviders } from '../types.ts';

export interface InMemorySiteState {
  standbyAccess: 'open' | 'closed';
  traffic: Target;
  monitor: 'paused' | 'enabled';
  primaryUp: boolean;
  /** The standby container runs; it still answers 403 while access is closed. */
  standbyUp: boolean;
}

export type Operation = 'standbyAccess' | 'traffic' | 'monitor' | `probe:${Endpoint}`;

export interface Fault {
  /** Thrown for levers; for probes, a failing check. Default: a retryable 503. */
  error?: ProviderError;
  /** How many calls fail; Infinity for a permanent fault. */
  times: number;
}

export interface Mutation {
  site: string;
  op: 'standbyAccess' | 'traffic' | 'monitor';
  from: string;
  to: string;
  at: number;
}

const DEFAULT_STATE: InMemorySiteState = {
  standbyAccess: 'closed',
  traffic: 'primary',
  monitor: 'enabled',
  primaryUp: true,
  standbyUp: true,
};

export class InMemoryWorld implements ProviderRegistry {
  readonly mutations: Mutation[] = [];
  private readonly states = new Map<string, InMemorySiteState>();
  private readonly faults = new Map<string, Fault[]>();

  private readonly probePolicy: ProbePolicy;
  /** Artificial latency of every call, to model a slow API. */
  private readonly latencyMs: number;

  constructor(probePolicy: ProbePolicy = { intervalMs: 10, successesNeeded: 1 }, latencyMs = 0) {
    this.probePolicy = probePolicy;
    this.latencyMs = latencyMs;
  }

  addSite(site: string, state: Partial<InMemorySiteState> = {}): InMemorySiteState {
    const s = { ...DEFAULT_STATE, ...state };
    this.states.set(site, s);
    return s;
  }

  state(site: string): InMemorySiteState {
    const s = this.states.get(site);
    if (!s) throw new ProviderError('invalid_config', `unknown site "${site}": not in the config's sites`);
    return s;
  }

  /** Provider state only (what compensation must restore), without the simulated health. */
  snapshot(site: string): Pick<InMemorySiteState, 'standbyAccess' | 'traffic' | 'monitor'> {
    const { standbyAccess, traffic, monitor } = this.state(site);
    return { standbyAccess, traffic, monitor };
  }

  inject(site: string, op: Operation, fault: Fault): void {
    const key = `${site}/${op}`;
    this.faults.set(key, [...(this.faults.get(key) ?? []), { ...fault }]);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Consumes one failure of a pending fault, if any. */
  private fault(site: string, op: Operation): Fault | undefined {
    const pending = this.faults.get(`${site}/${op}`)?.find((f) => f.times > 0);
    if (pending) pending.times--;
    return pending;
  }

  private async call<T>(site: string, op: Operation, act: () => T): Promise<T> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const fault = this.fault(site, op);
    if (fault) throw fault.error ?? new ProviderError('unavailable', `in-memory ${op} of ${site}: injected 503`);
    return act();
  }

  forSite(site: string): SiteProviders {
    this.state(site);
    const lever = <K extends 'standbyAccess' | 'traffic' | 'monitor'>(op: K): Lever<InMemorySiteState[K]> => {
      const read = (): Snapshot => ({ [op]: this.state(site)[op] });
      // Like a real adapter: read, and only a needed write meets the API (and its faults).
      const write = async (to: InMemorySiteState[K], verb: string): Promise<Change> => {
        const before = read();
        if (before[op] === to) return { changed: false, before, summary: `${op} already ${to}` };
        return this.call(site, op, () => {
          const s = this.state(site);
          this.mutations.push({ site, op, from: String(s[op]), to: String(to), at: Date.now() });
          s[op] = to;
          return { changed: true, before, summary: `${verb} ${op}: ${String(before[op])} → ${String(to)}` };
        });
      };
      return {
        resource: `in-memory ${op} of ${site}`,
        // Faults target changes; reads always answer (they are not what the tests break).
        read: async () => read(),
        isAt: (position, snapshot) => snapshot[op] === position,
        set: (to) => write(to, 'set'),
        restore: (before) => write(before[op] as InMemorySiteState[K], 'restored'),
      };
    };
    return {
      standbyAccess: lever('standbyAccess'),
      traffic: lever('traffic'),
      monitor: lever('monitor'),
      prober: { check: (endpoint, expect) => this.check(site, endpoint, expect) },
      probe: this.probePolicy,
    };
  }

  private async check(site: string, endpoint: Endpoint, expect: Target): Promise<ProbeResult> {
    return this.call(site, `probe:${endpoint}`, () => {
      const s = this.state(site);
      const serves = (t: Target) => (t === 'primary' ? s.primaryUp : s.standbyUp && s.standbyAccess === 'open');
      const target = endpoint === 'public' ? s.traffic : endpoint;
      if (target !== expect) return { ok: false, detail: `${endpoint} is served by ${target}, expected ${expect}` };
      return serves(target)
        ? { ok: true, detail: `${target} serves 200` }
        : { ok: false, detail: `${target} does not serve` };
    });
  }
}

// An in-process world for fast tests, benchmarks and the fault simulation: every site's providers
// as plain state, with fault injection (errors, lost replies, latency) and an audit log of
// mutations that names the activity execution behind each one. Not for production.
import { Context } from '@temporalio/activity';
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
  /** The standby's minimum instances (standby.warmup; in-memory/warmup.ts); absent: 0. */
  minInstances?: number;
}

export type Operation = 'standbyAccess' | 'traffic' | 'monitor' | 'warmup' | `probe:${Endpoint}`;

export interface Fault {
  /** Thrown for levers; for probes, a failing check. Default: a retryable 503. */
  error?: ProviderError;
  /** How many calls fail; Infinity for a permanent fault. */
  times: number;
  /**
   * Levers only: the change lands, then the call fails anyway (the reply lost to a timeout or a
   * reset). Default error: a retryable 503.
   */
  lostReply?: boolean;
}

/** The activity execution a call came from (absent outside an activity). */
export interface CallOrigin {
  workflowId: string;
  runId: string;
  activityId: string;
  activityType: string;
  attempt: number;
}

export interface Mutation {
  site: string;
  op: 'standbyAccess' | 'traffic' | 'monitor' | 'warmup';
  from: string;
  to: string;
  at: number;
  /** Which activity applied it: two effective mutations from one execution are a step applied twice. */
  by?: CallOrigin;
  /** The site's whole state just after the change (with the simulated health at that moment). */
  after: InMemorySiteState;
  /** Its reply was lost (a `lostReply` fault): the caller saw an error although the change landed. */
  replyLost?: boolean;
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
  /** Latency per `site/op`, `*\/op` or `site/*`, overriding `latencyMs`. */
  private readonly latencies = new Map<string, number>();

  constructor(probePolicy: ProbePolicy = { intervalMs: 10, successesNeeded: 1 }, latencyMs = 0) {
    this.probePolicy = probePolicy;
    this.latencyMs = latencyMs;
  }

  /** Latency of one operation (or every operation, `op` '*') of one site (or every site, `site` '*'). */
  setLatency(site: string, op: Operation | '*', ms: number): void {
    this.latencies.set(`${site}/${op}`, ms);
  }

  private latency(site: string, op: Operation): number {
    return (
      this.latencies.get(`${site}/${op}`) ??
      this.latencies.get(`${site}/*`) ??
      this.latencies.get(`*/${op}`) ??
      this.latencyMs
    );
  }

  /** Pending faults of a site (what is left of them), for reports. */
  pendingFaults(site: string): { op: Operation; fault: Fault }[] {
    const out: { op: Operation; fault: Fault }[] = [];
    for (const [key, faults] of this.faults) {
      if (!key.startsWith(`${site}/`)) continue;
      for (const fault of faults) if (fault.times > 0) out.push({ op: key.slice(site.length + 1) as Operation, fault });
    }
    return out;
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

  /** One call to the world's API: its latency and faults, then `act` (the levers beside this file use it too). */
  async call<T>(site: string, op: Operation, act: () => T, onLostReply?: () => void): Promise<T> {
    const latency = this.latency(site, op);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const fault = this.fault(site, op);
    if (fault?.lostReply && onLostReply) {
      act();
      onLostReply();
      throw fault.error ?? new ProviderError('unavailable', `in-memory ${op} of ${site}: reply lost (injected)`);
    }
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
        let applied: Mutation | undefined;
        return this.call(
          site,
          op,
          () => {
            const s = this.state(site);
            // Written as it is now (a lost reply's retry may find it done): an edit that changes nothing has no effect.
            if (s[op] === to) return { changed: false, before, summary: `${op} already ${to}` };
            const from = String(s[op]);
            s[op] = to;
            const by = callOrigin();
            applied = { site, op, from, to: String(to), at: Date.now(), ...(by && { by }), after: { ...s } };
            this.mutations.push(applied);
            return { changed: true, before, summary: `${verb} ${op}: ${String(before[op])} → ${String(to)}` };
          },
          () => void (applied && (applied.replyLost = true)),
        );
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

export function callOrigin(): CallOrigin | undefined {
  try {
    const { workflowExecution, activityId, activityType, attempt } = Context.current().info;
    if (!workflowExecution) return undefined;
    return {
      workflowId: workflowExecution.workflowId,
      runId: workflowExecution.runId,
      activityId,
      activityType,
      attempt,
    };
  } catch {
    return undefined; // not called from an activity
  }
}

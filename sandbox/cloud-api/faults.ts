// Fault injection for the simulated APIs: latency, error statuses (with Retry-After), timeouts,
// resets, etag conflicts and held requests. Random choices come from a seeded generator, so a
// run with the same seed and the same requests hits the same faults.
import { EventEmitter } from 'node:events';
import { Rng } from '../../harness/random.ts';
import type { Api, FaultInfo, FaultRule, HeldRequest } from './types.ts';

/** The merged effect of every rule that hit one request. */
export interface FaultEffect extends Pick<
  FaultRule,
  | 'status'
  | 'retryAfterSeconds'
  | 'timeout'
  | 'reset'
  | 'etagConflict'
  | 'concurrentBinding'
  | 'hold'
  | 'operationError'
> {
  latencyMs: number;
  /** For the call log: e.g. "status 429, latency 200ms". */
  label: string;
}

export type HoldOutcome = 'release' | 'drop';

export class FaultInjector {
  private rules: FaultInfo[] = [];
  private nextId = 1;
  private random: Rng;
  private readonly held = new Map<number, { info: HeldRequest; settle: (o: HoldOutcome) => void }>();
  private readonly events = new EventEmitter();

  constructor(seed = 1) {
    this.random = new Rng(seed);
  }

  reseed(seed: number): void {
    this.random = new Rng(seed);
  }

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ ...rule, id, hits: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  /** Removes every rule (held requests stay held until released). */
  clear(): void {
    this.rules = [];
  }

  list(): FaultInfo[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Decides what happens to one request; consumes the rules that hit it. */
  pick(api: Api, op: string, resource: string): FaultEffect | undefined {
    let effect: FaultEffect | undefined;
    const labels: string[] = [];
    for (const r of this.rules) {
      if (r.api && r.api !== api) continue;
      if (r.op && r.op !== op) continue;
      if (r.resource && !resource.includes(r.resource)) continue;
      if (r.times !== undefined && r.hits >= r.times) continue;
      if (r.rate !== undefined && r.rate < 1 && this.random.float() >= r.rate) continue;
      r.hits++;
      effect ??= { latencyMs: 0, label: '' };
      if (r.latencyMs) {
        effect.latencyMs += r.latencyMs;
        labels.push(`latency ${r.latencyMs}ms`);
      }
      if (r.status && effect.status === undefined) {
        effect.status = r.status;
        if (r.retryAfterSeconds !== undefined) effect.retryAfterSeconds = r.retryAfterSeconds;
        labels.push(`status ${r.status}`);
      }
      if (r.timeout) {
        effect.timeout = true;
        labels.push('timeout');
      }
      if (r.reset) {
        effect.reset = true;
        labels.push('reset');
      }
      if (r.etagConflict) {
        effect.etagConflict = true;
        if (r.concurrentBinding) effect.concurrentBinding = r.concurrentBinding;
        labels.push('etag conflict');
      }
      if (r.operationError && !effect.operationError) {
        effect.operationError = r.operationError;
        labels.push(`operation error ${r.operationError.code}`);
      }
      if (r.hold && !effect.hold) {
        effect.hold = r.hold;
        labels.push(`hold ${r.hold}`);
      }
    }
    if (effect) {
      effect.label = labels.join(', ');
      this.rules = this.rules.filter((r) => r.times === undefined || r.hits < r.times); // spent rules expire
    }
    return effect;
  }

  // --- held requests -------------------------------------------------------------------------

  /** Parks a request until `release` (or `drop`); resolves with what to do with it. */
  hold(info: Omit<HeldRequest, 'id' | 'since'>): { id: number; outcome: Promise<HoldOutcome> } {
    const id = this.nextId++;
    const full: HeldRequest = { ...info, id, since: Date.now() };
    const outcome = new Promise<HoldOutcome>((resolve) => this.held.set(id, { info: full, settle: resolve }));
    this.events.emit('held', full);
    return { id, outcome };
  }

  heldRequests(): HeldRequest[] {
    return [...this.held.values()].map((h) => ({ ...h.info }));
  }

  /** Lets held requests go on ("release") or closes their connections ("drop"); all when no id. */
  release(id?: number, outcome: HoldOutcome = 'release'): number {
    let n = 0;
    for (const [hid, h] of this.held) {
      if (id !== undefined && hid !== id) continue;
      this.held.delete(hid);
      h.settle(outcome);
      n++;
    }
    return n;
  }

  /** Resolves with the first held request matching the filter (already held or held later). */
  waitForHeld(
    filter: Partial<Pick<HeldRequest, 'api' | 'op' | 'stage'>> & { resource?: string },
    timeoutMs = 30_000,
  ): Promise<HeldRequest> {
    const matches = (h: HeldRequest) =>
      (!filter.api || h.api === filter.api) &&
      (!filter.op || h.op === filter.op) &&
      (!filter.stage || h.stage === filter.stage) &&
      (!filter.resource || h.resource.includes(filter.resource));
    const already = this.heldRequests().find(matches);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const onHeld = (h: HeldRequest) => {
        if (!matches(h)) return;
        clearTimeout(timer);
        this.events.off('held', onHeld);
        resolve(h);
      };
      const timer = setTimeout(() => {
        this.events.off('held', onHeld);
        reject(new Error(`no request matching ${JSON.stringify(filter)} was held within ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on('held', onHeld);
    });
  }
}

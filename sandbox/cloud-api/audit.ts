// What the simulator saw: every API call, every mutation with its effect, and a structural diff
// of snapshots, so tests can say "nothing was applied twice" and "the world is as it was".
import type { Api, AuditEntry, CallRecord, FieldChange } from './types.ts';

/** Every difference between two JSON values, as dotted paths (arrays by index). */
export function diff(from: unknown, to: unknown, path = ''): FieldChange[] {
  if (Object.is(from, to)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(from) && Array.isArray(to)) {
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(from.length, to.length); i++) out.push(...diff(from[i], to[i], `${path}[${i}]`));
    return out;
  }
  if (isObj(from) && isObj(to) && !Array.isArray(from) && !Array.isArray(to)) {
    const out: FieldChange[] = [];
    for (const k of new Set([...Object.keys(from), ...Object.keys(to)])) {
      out.push(...diff(from[k], to[k], path ? `${path}.${k}` : k));
    }
    return out;
  }
  return [{ path: path || '(root)', from, to }];
}

export class AuditLog {
  private readonly entries: AuditEntry[] = [];
  private readonly callLog: CallRecord[] = [];
  private seq = 0;
  /** Bounds memory in long demos; tests stay far below it. */
  private readonly max = 100_000;

  call(c: Omit<CallRecord, 'seq' | 'at'>): CallRecord {
    const rec = { seq: ++this.seq, at: Date.now(), ...c };
    this.callLog.push(rec);
    if (this.callLog.length > this.max) this.callLog.shift();
    return rec;
  }

  mutation(m: {
    api: Api;
    op: string;
    method: string;
    path: string;
    resource: string;
    status: number;
    before: unknown;
    after: unknown;
  }): AuditEntry {
    const changes = m.status < 300 ? diff(m.before, m.after) : [];
    const entry: AuditEntry = {
      seq: ++this.seq,
      at: Date.now(),
      api: m.api,
      op: m.op,
      method: m.method,
      path: m.path,
      resource: m.resource,
      status: m.status,
      effect: changes.length > 0,
      changes,
    };
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.shift();
    return entry;
  }

  audit(sinceSeq = 0): AuditEntry[] {
    return this.entries.filter((e) => e.seq > sinceSeq).map((e) => structuredClone(e));
  }

  calls(sinceSeq = 0): CallRecord[] {
    return this.callLog.filter((c) => c.seq > sinceSeq).map((c) => ({ ...c }));
  }

  /** The highest sequence number handed out so far (a bookmark for `since`). */
  get lastSeq(): number {
    return this.seq;
  }

  clear(): void {
    this.entries.length = 0;
    this.callLog.length = 0;
  }
}

// The sandbox's control surface, the same in-process (world.control) and from another process
// (SandboxClient over the simulator's /_sandbox/ HTTP endpoints): kill and revive the primary,
// inject faults, hold and release requests, read the audit log, snapshot the state.
import type { TokenMeta } from './cloud-api/cloudflare-tokens.ts';
import type { IamChange, IamInfo } from './cloud-api/iam.ts';
import type { AuditEntry, CallRecord, FaultInfo, FaultRule, HeldRequest, StateSnapshot } from './cloud-api/types.ts';
import type { KillMode } from './sites.ts';

export type SiteServerName = 'primary' | 'standby' | 'edge';

export interface SandboxSiteInfo {
  publicUrl: string;
  primaryUrl: string;
  standbyUrl: string;
  primaryUp: boolean;
  /** Whether the standby's front end lets anonymous users in right now. */
  standbyPublic: boolean;
  traffic: string;
  /** The resource names the site's config refers to. */
  resources: Record<string, string>;
}

export interface WorldInfo {
  apiUrl: string;
  sites: Record<string, SandboxSiteInfo>;
}

export type HeldFilter = Partial<Pick<HeldRequest, 'api' | 'op' | 'stage'>> & { resource?: string };

export interface SandboxControl {
  info(): Promise<WorldInfo>;
  killPrimary(site: string, mode?: KillMode): Promise<void>;
  revivePrimary(site: string): Promise<void>;
  /** Makes one of a site's servers answer `status` to everything (null: back to normal). */
  setOverride(site: string, server: SiteServerName, status: number | null): Promise<void>;
  addFault(rule: FaultRule): Promise<number>;
  removeFault(id: number): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): Promise<FaultInfo[]>;
  held(): Promise<HeldRequest[]>;
  waitForHeld(filter: HeldFilter, timeoutMs?: number): Promise<HeldRequest>;
  /** Lets a held request go on (or, with drop, closes its connection); all of them without an id. */
  release(id?: number, opts?: { drop?: boolean }): Promise<number>;
  snapshot(): Promise<StateSnapshot>;
  audit(sinceSeq?: number): Promise<AuditEntry[]>;
  calls(sinceSeq?: number): Promise<CallRecord[]>;
  /** The latest sequence number of the audit/call logs: a bookmark for `since`. */
  seq(): Promise<number>;
  setPropagationDelay(ms: number): Promise<void>;
  /** The orchestrator's Google identity: its grants, revocations, the org policy, the checks made. */
  iam(): Promise<IamInfo>;
  /** Grants, revokes a role or a permission, sets domain-restricted sharing (cloud-api/iam.ts). */
  changeIam(change: IamChange): Promise<IamInfo>;
  /** Narrows (or widens) the world's Cloudflare token to these permission groups, e.g. ["DNS Write"]; `meta`: its expiry or disabling. */
  setCloudflareToken(groups: string[], meta?: TokenMeta): Promise<void>;
}

/** The control API of a sandbox running in another process, e.g. `new SandboxClient('http://127.0.0.1:8790')`. */
export class SandboxClient implements SandboxControl {
  private readonly base: string;

  constructor(apiUrl: string) {
    this.base = apiUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/_sandbox/${path}`, {
      method,
      ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  info = () => this.call<WorldInfo>('GET', 'world');
  killPrimary = async (site: string, mode: KillMode = 'refuse') =>
    void (await this.call('POST', `sites/${site}/primary/kill`, { mode }));
  revivePrimary = async (site: string) => void (await this.call('POST', `sites/${site}/primary/revive`, {}));
  setOverride = async (site: string, server: SiteServerName, status: number | null) =>
    void (await this.call('POST', `sites/${site}/${server}/override`, { status }));
  addFault = async (rule: FaultRule) => (await this.call<{ id: number }>('POST', 'faults', rule)).id;
  removeFault = async (id: number) => void (await this.call('DELETE', `faults/${id}`));
  clearFaults = async () => void (await this.call('DELETE', 'faults'));
  faults = () => this.call<FaultInfo[]>('GET', 'faults');
  held = () => this.call<HeldRequest[]>('GET', 'held');
  release = async (id?: number, opts: { drop?: boolean } = {}) =>
    (await this.call<{ released: number }>('POST', 'held/release', { ...(id !== undefined && { id }), ...opts }))
      .released;
  snapshot = () => this.call<StateSnapshot>('GET', 'state');
  audit = (sinceSeq = 0) => this.call<AuditEntry[]>('GET', `audit?since=${sinceSeq}`);
  calls = (sinceSeq = 0) => this.call<CallRecord[]>('GET', `calls?since=${sinceSeq}`);
  seq = async () => (await this.call<{ seq: number }>('GET', 'seq')).seq;
  setPropagationDelay = async (ms: number) => void (await this.call('POST', 'propagation', { delayMs: ms }));
  iam = () => this.call<IamInfo>('GET', 'iam');
  changeIam = (change: IamChange) => this.call<IamInfo>('POST', 'iam', change);
  setCloudflareToken = async (groups: string[], meta?: TokenMeta) =>
    void (await this.call('POST', 'cloudflare-token', { groups, ...(meta && { meta }) }));

  async waitForHeld(filter: HeldFilter, timeoutMs = 30_000): Promise<HeldRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.held()).find(
        (h) =>
          (!filter.api || h.api === filter.api) &&
          (!filter.op || h.op === filter.op) &&
          (!filter.stage || h.stage === filter.stage) &&
          (!filter.resource || h.resource.includes(filter.resource)),
      );
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no request matching ${JSON.stringify(filter)} was held within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

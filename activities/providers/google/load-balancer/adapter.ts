// Traffic by a Google Cloud external Application Load Balancer: the global URL map's default
// service (or one path matcher's) points at the primary's backend service (an internet NEG) or
// the standby's (a serverless NEG for Cloud Run). Read-modify-write with the fingerprint read as
// the optimistic lock; on a stale fingerprint (412) read again and retry; then wait for the
// global operation to be DONE. A default that is neither backend was set by someone else: refused.
import type { GlobalOperationsClient, UrlMapsClient, protos } from '@google-cloud/compute';
import type { Snapshot, Target } from '../../../../workflows/types.ts';
import { ProviderError } from '../../../errors.ts';
import { restoreField } from '../../snapshot.ts';
import type { CallBudget, Change, TrafficRouter } from '../../types.ts';
import { LB_ROLE, computeCall } from './errors.ts';
import { awaitOperation } from './operation.ts';
import { backendServicePath } from './schema.ts';

type UrlMap = protos.google.cloud.compute.v1.IUrlMap;
type Operation = protos.google.cloud.compute.v1.IOperation;

export interface LoadBalancerTrafficOptions {
  urlMaps: UrlMapsClient;
  operations: GlobalOperationsClient;
  project: string;
  urlMap: string;
  pathMatcher?: string | undefined;
  /** Relative or full self-links of the two global backend services. */
  primaryBackendService: string;
  standbyBackendService: string;
  /** Bound on each API call. */
  timeoutMs?: number;
  /** Read-patch rounds on fingerprint conflicts before giving up (retryable) to Temporal. */
  conflictRetries?: number;
  /** Polls of the operation before the attempt gives up (retryable), and the pause between them. */
  operationPolls?: number;
  pollIntervalMs?: number;
}

/** The snapshot: the backend service the map (or path matcher) sends users to, and the fingerprint read. */
export interface LoadBalancerSnapshot extends Snapshot {
  defaultService: string;
  target: Target;
  fingerprint: string;
}

/** The bounds used when the options leave them out. */
export const LB_DEFAULTS = {
  timeoutMs: 10_000,
  conflictRetries: 4,
  /** 60 polls 2 s apart: up to 2 minutes for the operation (a slow one), as long as Compute's own wait call holds. */
  operationPolls: 60,
  pollIntervalMs: 2_000,
} as const;

/** Calls one attempt makes at most: a get and a patch per fingerprint round, then the operation polls. */
export const maxCallsOf = (conflictRetries: number, operationPolls: number): number =>
  2 * conflictRetries + operationPolls;

export class LoadBalancerTraffic implements TrafficRouter {
  readonly resource: string;
  private readonly opts: LoadBalancerTrafficOptions;
  private readonly backends: Record<Target, string>;
  private readonly timeoutMs: number;
  private readonly conflictRetries: number;
  private readonly operationPolls: number;
  private readonly pollIntervalMs: number;

  constructor(opts: LoadBalancerTrafficOptions) {
    this.opts = opts;
    this.resource = `projects/${opts.project}/global/urlMaps/${opts.urlMap}`;
    const path = (link: string, field: string) => {
      const p = backendServicePath(link);
      if (!p)
        throw new ProviderError(
          'invalid_config',
          `${this.resource}: ${field} ${link} is not a global backend service self-link`,
        );
      return p;
    };
    this.backends = {
      primary: path(opts.primaryBackendService, 'primaryBackendService'),
      standby: path(opts.standbyBackendService, 'standbyBackendService'),
    };
    this.timeoutMs = opts.timeoutMs ?? LB_DEFAULTS.timeoutMs;
    this.conflictRetries = opts.conflictRetries ?? LB_DEFAULTS.conflictRetries;
    this.operationPolls = opts.operationPolls ?? LB_DEFAULTS.operationPolls;
    this.pollIntervalMs = opts.pollIntervalMs ?? LB_DEFAULTS.pollIntervalMs;
  }

  get maxCalls(): number {
    return maxCallsOf(this.conflictRetries, this.operationPolls);
  }

  /** "the default service" or "path matcher X's default service", for messages. */
  private get where(): string {
    return this.opts.pathMatcher ? `path matcher ${this.opts.pathMatcher}'s default service` : 'the default service';
  }

  private async get(budget?: CallBudget): Promise<UrlMap> {
    const [map] = await computeCall(
      { what: 'Compute get URL map', resource: this.resource, permission: 'compute.urlMaps.get', role: LB_ROLE },
      (options) => this.opts.urlMaps.get({ project: this.opts.project, urlMap: this.opts.urlMap }, options),
      budget,
      this.timeoutMs,
    );
    return map;
  }

  /** The default service the map routes by: the map's own, or the configured path matcher's. */
  private currentDefault(map: UrlMap): string | null | undefined {
    if (!this.opts.pathMatcher) return map.defaultService;
    const matchers = map.pathMatchers ?? [];
    const pm = matchers.find((m) => m.name === this.opts.pathMatcher);
    if (!pm) {
      throw new ProviderError(
        'invalid_config',
        `${this.resource} has no path matcher ${this.opts.pathMatcher} (it has: ${matchers.map((m) => m.name).join(', ') || 'none'}); check traffic.pathMatcher`,
      );
    }
    return pm.defaultService;
  }

  /** The snapshot of a map read, or an error when its default is neither configured backend. */
  private snapshotOf(map: UrlMap): LoadBalancerSnapshot {
    const raw = this.currentDefault(map);
    const current = raw ? backendServicePath(raw) : undefined;
    const target = (['primary', 'standby'] as const).find((t) => this.backends[t] === current);
    if (!target || !current) {
      throw new ProviderError(
        'unsupported',
        `${this.resource}: ${this.where} is ${raw ? raw : 'not a backend service (a URL redirect or route action?)'}, neither the primary's backend service ${this.backends.primary} nor the standby's ${this.backends.standby}. Someone changed the URL map by hand; refusing to overwrite it. Point it back at one of the two, or fix the config.`,
      );
    }
    if (!map.fingerprint)
      throw new ProviderError('unavailable', `${this.resource}: the API answered without a fingerprint`);
    return { defaultService: current, target, fingerprint: map.fingerprint };
  }

  async read(budget?: CallBudget): Promise<LoadBalancerSnapshot> {
    return this.snapshotOf(await this.get(budget));
  }

  isAt(target: Target, s: Snapshot): boolean {
    return s.defaultService === this.backends[target];
  }

  set(target: Target, budget?: CallBudget): Promise<Change> {
    return this.apply(target, `set (traffic → ${target})`, budget);
  }

  restore(before: Snapshot, budget?: CallBudget): Promise<Change> {
    const service = restoreField(this.resource, before, 'defaultService', 'string');
    const target = (['primary', 'standby'] as const).find((t) => this.backends[t] === backendServicePath(service));
    if (!target) {
      throw new ProviderError(
        'invalid_config',
        `${this.resource}: cannot restore ${service}: it is neither the primary's nor the standby's backend service in the config`,
      );
    }
    return this.apply(target, 'restored', budget);
  }

  /** The patch body: only the changed default, with the fingerprint read. */
  private patchOf(map: UrlMap, service: string): UrlMap {
    if (!this.opts.pathMatcher) return { fingerprint: map.fingerprint, defaultService: service };
    // JSON merge patch replaces a list whole: send every path matcher as read, one default changed.
    return {
      fingerprint: map.fingerprint,
      pathMatchers: (map.pathMatchers ?? []).map((pm) =>
        pm.name === this.opts.pathMatcher ? { ...pm, defaultService: service } : pm,
      ),
    };
  }

  private async patch(map: UrlMap, service: string, budget?: CallBudget): Promise<Operation> {
    const [lro] = await computeCall(
      {
        what: 'Compute patch URL map',
        resource: this.resource,
        permission: 'compute.urlMaps.update',
        role: LB_ROLE,
        write: true,
      },
      (options) =>
        this.opts.urlMaps.patch(
          { project: this.opts.project, urlMap: this.opts.urlMap, urlMapResource: this.patchOf(map, service) },
          options,
        ),
      budget,
      this.timeoutMs,
    );
    return lro.latestResponse as Operation;
  }

  private async apply(target: Target, verb: string, budget?: CallBudget): Promise<Change> {
    const want = this.backends[target];
    let before: LoadBalancerSnapshot | undefined;
    // Each call checks the budget first: a cancelled or expired attempt stops between rounds.
    for (let round = 1; ; round++) {
      const map = await this.get(budget);
      const now = this.snapshotOf(map);
      before ??= now;
      if (now.defaultService === want)
        return { changed: false, before, summary: `${this.resource}: ${this.where} already ${want} (${target})` };
      let op: Operation;
      try {
        op = await this.patch(map, want, budget);
      } catch (err) {
        if (err instanceof ProviderError && err.kind === 'conflict' && round < this.conflictRetries) continue;
        throw err;
      }
      await awaitOperation(
        op,
        {
          client: this.opts.operations,
          project: this.opts.project,
          resource: this.resource,
          polls: this.operationPolls,
          intervalMs: this.pollIntervalMs,
          timeoutMs: this.timeoutMs,
        },
        budget,
      );
      return {
        changed: true,
        before,
        summary: `${verb}: ${this.where} of ${this.resource} ${now.defaultService} → ${want} (operation ${op.name} DONE)${round > 1 ? ` (after ${round - 1} fingerprint conflict(s))` : ''}`,
      };
    }
  }
}

// The Google Cloud Load Balancing traffic lever, described for the provider registry: its config
// schema, how to build it, what one attempt may cost, and the permissions it needs.
import { GlobalOperationsClient, UrlMapsClient } from '@google-cloud/compute';
import type { TrafficRouter } from '../../types.ts';
import { type GoogleEndpoint, googleClientOptions } from '../options.ts';
import { LB_DEFAULTS, LoadBalancerTraffic, maxCallsOf } from './adapter.ts';
import { type GoogleLoadBalancerConfig, googleLoadBalancerSchema } from './schema.ts';

export interface ComputeClients {
  urlMaps: UrlMapsClient;
  operations: GlobalOperationsClient;
  close(): Promise<void>;
}

/** The two Compute clients the lever uses, on the REST transport like every Google client here. */
export function computeClients(endpoint: GoogleEndpoint = {}): ComputeClients {
  const urlMaps = new UrlMapsClient(googleClientOptions(endpoint));
  const operations = new GlobalOperationsClient(googleClientOptions(endpoint));
  return {
    urlMaps,
    operations,
    async close() {
      await urlMaps.close();
      await operations.close();
    },
  };
}

export interface LoadBalancerBuildContext {
  /** The process's Compute clients (made once and shared by every site). */
  compute(): ComputeClients;
  /** Bound on each API call (apis.google.timeout). */
  googleTimeoutMs?: number;
}

export const googleLoadBalancerLever = {
  kind: 'traffic',
  type: 'google-load-balancer',
  schema: googleLoadBalancerSchema,
  build: (cfg: GoogleLoadBalancerConfig, ctx: LoadBalancerBuildContext): TrafficRouter => {
    const { urlMaps, operations } = ctx.compute();
    return new LoadBalancerTraffic({
      urlMaps,
      operations,
      project: cfg.project,
      urlMap: cfg.urlMap,
      pathMatcher: cfg.pathMatcher,
      primaryBackendService: cfg.primaryBackendService,
      standbyBackendService: cfg.standbyBackendService,
      ...(ctx.googleTimeoutMs !== undefined && { timeoutMs: ctx.googleTimeoutMs }),
    });
  },
  /**
   * One attempt: a get and a patch per fingerprint round (4), then up to 30 operation polls
   * 1 s apart. The attempt's deadline cuts it short; the next attempt reads the map again.
   */
  calls: {
    perAttempt: maxCallsOf(LB_DEFAULTS.conflictRetries, LB_DEFAULTS.operationPolls),
    callTimeoutMs: LB_DEFAULTS.timeoutMs,
  },
  permissions: [
    'compute.urlMaps.get',
    'compute.urlMaps.update',
    'compute.backendServices.use',
    'compute.globalOperations.get',
  ],
  /** A predefined role that holds them all (a custom role with just the four is the least privilege). */
  role: 'roles/compute.loadBalancerAdmin',
} as const;

// Traffic by a Google Cloud external Application Load Balancer: the global URL map's default
// service (or one path matcher's) switched between the primary's and the standby's backend service.
import { defineProvider } from '../../descriptor.ts';
import { GOOGLE_CALL_TIMEOUT_MS, googleTimeoutMs } from '../clients.ts';
import { LB_DEFAULTS, LoadBalancerTraffic, maxCallsOf } from './adapter.ts';
import { globalOperationsClient, urlMapsClient } from './clients.ts';
import { googleLoadBalancerSchema } from './schema.ts';
import { urlMapPermissions } from './readiness.ts';

export const googleLoadBalancerTraffic = defineProvider({
  kind: 'traffic',
  type: 'google-load-balancer',
  schema: googleLoadBalancerSchema,
  build: (t, ctx) =>
    new LoadBalancerTraffic({
      urlMaps: urlMapsClient(ctx),
      operations: globalOperationsClient(ctx),
      project: t.project,
      urlMap: t.urlMap,
      pathMatcher: t.pathMatcher,
      primaryBackendService: t.primaryBackendService,
      standbyBackendService: t.standbyBackendService,
      timeoutMs: googleTimeoutMs(ctx),
    }),
  // One attempt: a get and a patch per fingerprint round (the round's get is the read; 4 rounds),
  // then up to 60 operation polls 2 s apart, i.e. it waits up to 2 minutes for the operation, as
  // long as Compute's own operations.wait holds a call: a URL map change usually takes 10–40 s,
  // a slow one a minute or more. The step's start-to-close must hold the worst such attempt, so
  // every call counts at the full Google call bound (10 s) and the margin adds the pauses between
  // polls to the usual 5 s: 68 × 10 s + 125 s = 805 s. That bound only stops an attempt that
  // is stuck; a lost worker is seen by the 10 s heartbeat, and a normal switch takes seconds.
  callProfile: {
    calls: maxCallsOf(LB_DEFAULTS.conflictRetries, LB_DEFAULTS.operationPolls),
    callTimeoutMs: GOOGLE_CALL_TIMEOUT_MS,
    marginMs: 5_000 + LB_DEFAULTS.operationPolls * LB_DEFAULTS.pollIntervalMs,
    firstRetryMs: 1000,
  },
  permissions: {
    google: [
      'compute.urlMaps.get',
      'compute.urlMaps.update',
      'compute.backendServices.use',
      'compute.globalOperations.get',
    ],
  },
  readiness: async (t, ctx) => [await urlMapPermissions(urlMapsClient(ctx), t.project, t.urlMap, googleTimeoutMs(ctx))],
});

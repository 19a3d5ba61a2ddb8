// Traffic by a Google Cloud external Application Load Balancer in the sandbox: two global backend
// services (the primary's internet NEG, the standby's serverless NEG) and a URL map whose default
// service is the primary's. The edge serves from the backend the map's default names as Google's
// front ends serve it: once the change's operation is DONE and has propagated.
import { computeOf } from '../cloud-api/compute-state.ts';
import type { TrafficMode } from './mode.ts';

export const loadBalancerMode: TrafficMode = ({ state, site, project, primaryUrl, standbyUrl }) => {
  const compute = computeOf(state);
  const primary = compute.addBackendService(project, `${site}-primary`);
  const standby = compute.addBackendService(project, `${site}-standby`);
  // An unrelated path matcher beside the default: a switch must leave it as it is.
  const other = compute.addBackendService(project, `${site}-static`);
  compute.addUrlMap(project, `${site}-lb`, {
    defaultService: primary,
    hostRules: [{ hosts: ['static.example.test'], pathMatcher: 'static' }],
    pathMatchers: [{ name: 'static', defaultService: other }],
  });
  const urlMap = `projects/${project}/global/urlMaps/${site}-lb`;
  const origins: Record<string, string> = { [primary]: primaryUrl, [standby]: standbyUrl };
  return {
    traffic: {
      type: 'google-load-balancer',
      project,
      urlMap: `${site}-lb`,
      primaryBackendService: primary,
      standbyBackendService: standby,
    },
    ids: { urlMap },
    route: () => {
      const service = compute.serving(urlMap);
      const origin = service ? origins[service] : undefined;
      return origin ? { origin } : { error: 502, title: 'no healthy upstream' };
    },
  };
};

// What a Google Cloud external Application Load Balancer in front of a site does with a request,
// for the sandbox edge: it goes to the backend service the URL map's default (or one path
// matcher's default) names, as Google's front ends serve it now (after the change's operation
// is DONE and has propagated), and that backend's origin answers.
import type { ComputeState } from './cloud-api/compute-state.ts';

export interface UrlMapRouting {
  mode: 'url-map';
  /** projects/{p}/global/urlMaps/{name} */
  urlMap: string;
  /** Route by this path matcher's default instead of the map's own. */
  pathMatcher?: string;
  /** projects/{p}/global/backendServices/{name} → the base URL of the server behind it (its NEG). */
  backends: Record<string, string>;
}

export function urlMapDecision(
  compute: ComputeState,
  routing: UrlMapRouting,
  now = Date.now(),
): { origin: string } | { error: number; title: string } {
  const service = compute.serving(routing.urlMap, routing.pathMatcher ?? '', now);
  const origin = service ? routing.backends[service] : undefined;
  return origin ? { origin } : { error: 502, title: 'no healthy upstream' };
}

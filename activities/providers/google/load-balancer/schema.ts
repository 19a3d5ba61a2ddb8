// The config of the Google Cloud Load Balancing traffic lever: which global URL map (and
// optionally which of its path matchers) to switch, and the two backend services it switches
// between.
import { z } from 'zod';

/** A Compute Engine resource name (RFC 1035): lowercase letters, digits and hyphens, 1–63. */
const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** A project ID, or a domain-scoped one (example.com:my-project). */
const PROJECT = /^(?:[a-z0-9][-a-z0-9.]*[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
/** A global backend service, as a relative or a fully qualified self-link. */
const BACKEND =
  /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/v1\/)?(projects\/[^/]+\/global\/backendServices\/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$/;

/** `projects/p/global/backendServices/b` of a relative or full self-link; undefined if it is not one. */
export function backendServicePath(link: string): string | undefined {
  const m = BACKEND.exec(link);
  return m && PROJECT.test(m[1]!.split('/')[1]!) ? m[1] : undefined;
}

const name = (what: string, example: string) =>
  z.string().regex(NAME, {
    error: `expected the ${what}'s name, e.g. ${example} (lowercase letters, digits and hyphens, starting with a letter, at most 63)`,
  });

const backendService = z.string().refine((link) => backendServicePath(link) !== undefined, {
  error:
    'expected a global backend service self-link: projects/<project>/global/backendServices/<name> or https://www.googleapis.com/compute/v1/projects/<project>/global/backendServices/<name>',
});

export const googleLoadBalancerSchema = z
  .strictObject({
    type: z.literal('google-load-balancer'),
    project: z.string().regex(PROJECT, { error: 'expected a Google Cloud project ID, e.g. my-project' }),
    /** The global URL map of the external Application Load Balancer. */
    urlMap: name('URL map', 'blog-lb'),
    /** Switch this path matcher's default service instead of the URL map's own default. */
    pathMatcher: name('path matcher', 'blog-paths').optional(),
    primaryBackendService: backendService,
    standbyBackendService: backendService,
  })
  .refine((c) => backendServicePath(c.primaryBackendService) !== backendServicePath(c.standbyBackendService), {
    error:
      'primaryBackendService and standbyBackendService name the same backend service: switching would change nothing',
    path: ['standbyBackendService'],
  });

export type GoogleLoadBalancerConfig = z.infer<typeof googleLoadBalancerSchema>;

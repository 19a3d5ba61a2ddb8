// What each simulated API module declares (its routes, and the dialect its errors and credentials
// follow), and the dialect every Google API shares.
import { GoogleApiError, googleError, type ApiRequest, type ApiResponse, type Route } from './http.ts';
import { iamOf, permissionDenied } from './iam.ts';
import type { CloudState } from './state.ts';
import type { FaultRule } from './types.ts';

/** How an API family answers what no route handles, checks credentials and words an error. */
export interface Dialect {
  notFound(method: string, path: string): ApiResponse;
  malformedJson(): ApiResponse;
  /** Throws the API's own error when the request's credential is missing or lacks `route.permission`. */
  authenticate(state: CloudState, req: ApiRequest, route: Route): void;
  /** The error the API answers for an injected status, worded the way that API words it. */
  injectedError(route: Route, status: number, retryAfterSeconds?: number): ApiResponse;
  /** An error a route threw, in the API's own format; undefined when it is not one of the API's (default: GoogleApiError, CloudflareApiError). */
  answerError?(err: unknown): ApiResponse | undefined;
}

export interface SimulatedApi {
  /** Its name in routes, fault rules and the audit log. */
  name: string;
  /** Paths under this prefix are this API's, answered in its dialect when no route matches. */
  prefix: string;
  dialect: Dialect;
  route(state: CloudState, method: string, path: string): Route | undefined;
  /**
   * The `etagConflict` fault: another writer changes the resource between the caller's read and
   * write. Returns what it did, for the audit log; undefined when the route has no such race.
   */
  concurrentEdit?(state: CloudState, route: Route, fault: FaultRule): { path: string; after: unknown } | undefined;
}

export const retryAfterHeader = (seconds?: number): Record<string, string> =>
  seconds !== undefined ? { 'retry-after': String(seconds) } : {};

/** The dialect of the Google APIs: `service` (e.g. run.googleapis.com) names the API in quota errors. */
export function googleDialect(service: string): Dialect {
  return {
    notFound: (_, path) => googleError(404, `The requested URL ${path} was not found on this server.`),
    malformedJson: () => googleError(400, 'Invalid JSON payload received.'),
    authenticate(state, req, route) {
      if (!req.headers['x-goog-api-key'] && !/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) {
        throw new GoogleApiError(
          401,
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
      }
      // Checked before the resource is looked up, as IAM does: a 403 does not tell whether it exists.
      // An empty permission: a call anyone authenticated may make (testIamPermissions).
      if (route.permission) iamOf(state).require(route.permission, route.resource);
    },
    injectedError: (route, status, retryAfterSeconds) => ({
      ...googleError(status, googleMessage(route, status, service), googleDetails(route, status, retryAfterSeconds)),
      headers: retryAfterHeader(retryAfterSeconds),
    }),
  };
}

function googleMessage(route: Route, status: number, service: string): string {
  if (status === 403) return permissionDenied(route.permission, route.resource).message;
  if (status === 401)
    return 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.';
  if (status === 404) return `Resource '${route.resource}' was not found`;
  if (status === 429) return `Quota exceeded for quota metric 'Write requests' of service '${service}'.`;
  if (status === 409)
    return 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.';
  if (status === 400) return 'Request contains an invalid argument.';
  return status === 503 ? 'The service is currently unavailable.' : 'Internal error encountered.';
}

function googleDetails(route: Route, status: number, retryAfterSeconds?: number): unknown[] {
  const details: unknown[] = status === 403 ? [...permissionDenied(route.permission, route.resource).details] : [];
  if (retryAfterSeconds !== undefined) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` });
  }
  return details;
}

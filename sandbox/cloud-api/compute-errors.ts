// Compute Engine's own error format (the older JSON API style): `{"error": {code, message,
// errors: [{message, domain, reason}]}}` with no google.rpc `status` for most errors, so the
// client maps a 412 by its HTTP code (FAILED_PRECONDITION), not as ABORTED. Quota errors (429)
// carry `status` and google.rpc details as well, as the real API's do.
import { retryAfterHeader, type Dialect } from './api-module.ts';
import type { ApiResponse, Route } from './http.ts';

const REASON: Record<number, string> = {
  400: 'invalid',
  401: 'required',
  403: 'forbidden',
  404: 'notFound',
  409: 'alreadyExists',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};

/** An error the Compute API answers with; `reason` as in `errors[].reason`. */
export class ComputeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, message: string, reason?: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.reason = reason ?? REASON[status] ?? 'backendError';
    this.extra = extra;
  }
}

export function computeError(
  status: number,
  message: string,
  reason = REASON[status] ?? 'backendError',
  extra: Record<string, unknown> = {},
): ApiResponse {
  return {
    status,
    body: { error: { code: status, message, errors: [{ message, domain: 'global', reason, ...extra }] } },
  };
}

/** "Required 'compute.urlMaps.get' permission for 'projects/p/global/urlMaps/m'", the API's wording. */
export const forbidden = (permission: string, resource: string): ComputeApiError =>
  new ComputeApiError(403, `Required '${permission}' permission for '${resource}'`);

export const notFound = (resource: string): ComputeApiError =>
  new ComputeApiError(404, `The resource '${resource}' was not found`);

/** The error for an injected status, worded as Compute words it. */
export function computeInjectedError(route: Route, status: number, retryAfterSeconds?: number): ApiResponse {
  if (status === 403) return computeError(403, forbidden(route.permission, route.resource).message);
  if (status === 404) return computeError(404, notFound(route.resource).message);
  if (status === 412)
    return computeError(412, 'Precondition Failed', 'conditionNotMet', {
      location: 'If-Match',
      locationType: 'header',
    });
  if (status === 429) {
    const message =
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com' for consumer 'project_number:000000000000'.";
    const answer = computeError(429, message);
    const details: unknown[] = [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com' },
    ];
    if (retryAfterSeconds !== undefined)
      details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` });
    Object.assign((answer.body as { error: object }).error, { status: 'RESOURCE_EXHAUSTED', details });
    return answer;
  }
  if (status === 400) return computeError(400, "Invalid value for field 'resource'.");
  return computeError(
    status,
    status === 503
      ? 'The service is currently unavailable.'
      : 'Internal error. Please try again or contact Google Support.',
  );
}

/** How Compute answers what no route handles, a missing credential, an injected fault, a refusal. */
export const computeDialect: Dialect = {
  notFound: (_, path) => computeError(404, `The resource '${path}' was not found`),
  malformedJson: () => computeError(400, 'Invalid JSON payload received.', 'parseError'),
  authenticate(_, req) {
    if (!req.headers['x-goog-api-key'] && !/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) {
      throw new ComputeApiError(
        401,
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        'required',
        { location: 'Authorization', locationType: 'header' },
      );
    }
  },
  injectedError: (route, status, retryAfterSeconds) => ({
    ...computeInjectedError(route, status, retryAfterSeconds),
    headers: retryAfterHeader(retryAfterSeconds),
  }),
  answerError: (err) =>
    err instanceof ComputeApiError ? computeError(err.status, err.message, err.reason, err.extra) : undefined,
};

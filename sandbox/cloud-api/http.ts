// Plumbing shared by the simulated APIs: requests, answers, and each API's own error format.
import type { IncomingMessage } from 'node:http';
import type { FaultEffect } from './faults.ts';
import type { Api } from './types.ts';

export interface ApiRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One routed operation of a simulated API. */
export interface Route {
  api: Api;
  /** e.g. "setIamPolicy", "rules.edit". */
  op: string;
  /** The resource, named as the API names it. */
  resource: string;
  mutating: boolean;
  /** The permission (Google) or token permission group (Cloudflare) the call needs. */
  permission: string;
  /** The resource's semantic state, recorded before and after a mutation for the audit log. */
  state?: () => unknown;
  /** `fault`: what fault injection chose for this request, for the faults only the API can play (e.g. an operation that ends in error). */
  handle: (req: ApiRequest, fault?: FaultEffect) => ApiResponse | Promise<ApiResponse>;
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** An error a Google API answers with: `{"error": {code, message, status, details}}`. */
export class GoogleApiError extends Error {
  readonly status: number;
  readonly details: unknown[];
  /** The google.rpc status when it is not the HTTP status's usual one (e.g. FAILED_PRECONDITION with 400). */
  readonly statusName: string | undefined;
  constructor(status: number, message: string, details: unknown[] = [], statusName?: string) {
    super(message);
    this.status = status;
    this.details = details;
    this.statusName = statusName;
  }
}

/** An error Cloudflare answers with: `{"success": false, "errors": [{code, message}], ...}`. */
export class CloudflareApiError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function googleError(
  status: number,
  message: string,
  details: unknown[] = [],
  statusName?: string,
): ApiResponse {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        status: statusName ?? GOOGLE_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'UNKNOWN'),
        details,
      },
    },
  };
}

export function cloudflareError(status: number, code: number, message: string): ApiResponse {
  return { status, body: { success: false, errors: [{ code, message }], messages: [], result: null } };
}

export function cloudflareOk(result: unknown, extra: Record<string, unknown> = {}): ApiResponse {
  return { status: 200, body: { success: true, errors: [], messages: [], result, ...extra } };
}

export function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

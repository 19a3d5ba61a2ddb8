// `POST /v2/{resource}:testIamPermissions` as Cloud Run answers it (google.iam.v1
// TestIamPermissions): no permission is needed to ask; the answer is the subset of the asked
// permissions the caller holds on the resource (an empty object when none). Wildcards and
// permissions of another service are refused with INVALID_ARGUMENT, as the real API does.
import { GoogleApiError, isRecord, type ApiRequest, type ApiResponse } from './http.ts';
import type { Iam } from './iam.ts';

export function testIamPermissions(iam: Iam, resource: string, req: ApiRequest, service: string): ApiResponse {
  const asked = isRecord(req.body) && Array.isArray(req.body.permissions) ? req.body.permissions.map(String) : [];
  const wild = asked.filter((p) => p.includes('*'));
  if (wild.length > 0)
    throw new GoogleApiError(400, `Permissions (${wild.map((p) => `'${p}'`).join(', ')}) are not allowed.`);
  const foreign = asked.filter((p) => !p.startsWith(`${service}.`));
  if (foreign.length > 0) throw new GoogleApiError(400, `Permission ${foreign[0]} is not valid for this resource.`);
  // Asking records no check: testIamPermissions is how a caller learns what it holds.
  const held = asked.filter((p) => iam.holds(p, resource));
  return { status: 200, body: held.length > 0 ? { permissions: held } : {} };
}

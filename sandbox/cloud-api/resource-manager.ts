// Cloud Resource Manager v3, the one call the readiness checks make: `POST
// /v3/projects/{project}:testIamPermissions` (google.iam.v1 TestIamPermissions on the project).
// Cloud Monitoring's alert policies have no IAM policy of their own, so a project-level test is
// how monitoring.alertPolicies.update is known without a write. No permission is needed to ask;
// wildcards are refused with 400, as the real API does.
import { googleDialect, type SimulatedApi } from './api-module.ts';
import { GoogleApiError, isRecord, type ApiRequest, type ApiResponse, type Route } from './http.ts';
import { iamOf } from './iam.ts';
import type { CloudState } from './state.ts';

const PROJECT = /^\/v3\/(projects\/[^/:]+):testIamPermissions$/;

function route(state: CloudState, method: string, path: string): Route | undefined {
  const m = PROJECT.exec(decodeURIComponent(path));
  if (!m || method !== 'POST') return undefined;
  const resource = m[1]!;
  return {
    api: 'resourcemanager',
    op: 'projects.testIamPermissions',
    resource,
    mutating: false,
    permission: '',
    handle: (req: ApiRequest): ApiResponse => {
      const asked = isRecord(req.body) && Array.isArray(req.body.permissions) ? req.body.permissions.map(String) : [];
      const wild = asked.filter((p) => p.includes('*'));
      if (wild.length > 0)
        throw new GoogleApiError(400, `Permissions (${wild.map((p) => `'${p}'`).join(', ')}) are not allowed.`);
      const held = asked.filter((p) => iamOf(state).holds(p, resource));
      return { status: 200, body: held.length > 0 ? { permissions: held } : {} };
    },
  };
}

export const resourceManagerApi = {
  name: 'resourcemanager',
  prefix: '/v3/projects/',
  dialect: googleDialect('cloudresourcemanager.googleapis.com'),
  route,
} as const satisfies SimulatedApi;

// `POST /compute/v1/projects/{project}/global/urlMaps/{urlMap}/testIamPermissions` as Compute
// answers it: no permission is needed to ask; the answer is the subset of the asked permissions
// held on the URL map. Wildcards and other services' permissions are refused with 400.
import type { ComputeState } from './compute-state.ts';
import { ComputeApiError, notFound } from './compute-errors.ts';
import { isRecord, type ApiRequest, type ApiResponse, type Route } from './http.ts';

const TEST = /^\/compute\/v1\/(projects\/([^/]+)\/global\/urlMaps\/([^/]+))\/testIamPermissions$/;

export function urlMapTestIamRoute(state: ComputeState, method: string, path: string): Route | undefined {
  const m = TEST.exec(decodeURIComponent(path));
  if (!m || method !== 'POST') return undefined;
  const resource = m[1]!;
  return {
    api: 'compute',
    op: 'urlMaps.testIamPermissions',
    resource,
    mutating: false,
    permission: '',
    handle: (req: ApiRequest): ApiResponse => {
      if (!state.urlMap(resource)) throw notFound(resource);
      const asked = isRecord(req.body) && Array.isArray(req.body.permissions) ? req.body.permissions.map(String) : [];
      const bad = asked.find((p) => p.includes('*') || !p.startsWith('compute.'));
      if (bad) throw new ComputeApiError(400, `Invalid permission: ${bad}`, 'invalid');
      return { status: 200, body: { permissions: asked.filter((p) => state.holds(p, resource)) } };
    },
  };
}

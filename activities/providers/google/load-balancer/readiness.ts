// Readiness of the load balancer's traffic lever (docs/readiness.md): may the worker's identity
// change the URL map? Asked with urlMaps.testIamPermissions (no change made; no permission needed
// to ask). compute.backendServices.use (on the backend services) and compute.globalOperations.get
// (on the project) are not permissions of the URL map, so this call cannot test them: said so.
import type { UrlMapsClient } from '@google-cloud/compute';
import type { ReadinessCheck } from '../../../../workflows/readiness-types.ts';
import { errorMessage } from '../../../../workflows/error-text.ts';
import { googleCall } from '../errors.ts';

const ON_THE_MAP = ['compute.urlMaps.get', 'compute.urlMaps.update'];

export async function urlMapPermissions(
  client: UrlMapsClient,
  project: string,
  urlMap: string,
  timeoutMs: number,
): Promise<ReadinessCheck> {
  const subject = `projects/${project}/global/urlMaps/${urlMap}`;
  try {
    const [answer] = await googleCall(
      { what: 'Compute urlMaps.testIamPermissions', resource: subject, permission: '(none needed)', role: 'any' },
      (options) =>
        client.testIamPermissions(
          { project, resource: urlMap, testPermissionsRequestResource: { permissions: ON_THE_MAP } },
          options,
        ),
      undefined,
      timeoutMs,
    );
    const held = new Set(answer.permissions ?? []);
    const missing = ON_THE_MAP.filter((p) => !held.has(p));
    if (missing.length > 0)
      return {
        check: 'permissions',
        status: 'fail',
        subject,
        reason: `the worker's identity lacks ${missing.join(', ')} on the URL map`,
        fix: 'grant it the custom role failoverTrafficSwitch (docs/production.md) on the project',
      };
    return {
      check: 'permissions',
      status: 'ok',
      subject,
      reason: `holds ${ON_THE_MAP.join(', ')}; compute.backendServices.use and compute.globalOperations.get are not on the URL map and are not tested`,
    };
  } catch (err) {
    return {
      check: 'permissions',
      status: 'fail',
      subject,
      reason: `cannot test the permissions: ${errorMessage(err)}`,
      fix: "check the URL map in the config and the worker's Application Default Credentials",
    };
  }
}

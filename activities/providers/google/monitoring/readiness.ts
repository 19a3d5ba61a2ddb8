// Readiness of the Cloud Monitoring lever (docs/readiness.md). The Monitoring API has no
// testIamPermissions, and alert policies have no IAM policy of their own: the grant is on the
// project, so Resource Manager's projects.testIamPermissions tells whether the worker may
// update the policy (pause and resume it) without a write. When that API cannot answer (e.g. it
// is not enabled on the project), only the read vouches (the reachable check): a warning.
import type { ApiEndpoints } from '../../descriptor.ts';
import type { ReadinessCheck } from '../../../../workflows/readiness-types.ts';
import { errorMessage } from '../../../../workflows/error-text.ts';
import { projectPermissionsHeld } from '../project-permissions.ts';

export async function monitoringPermissions(
  endpoint: ApiEndpoints['google'],
  alertPolicy: string,
  needed: readonly string[],
  timeoutMs: number,
): Promise<ReadinessCheck> {
  const subject = alertPolicy;
  const project = /^projects\/([^/]+)\//.exec(alertPolicy)?.[1] ?? '';
  try {
    const held = new Set(await projectPermissionsHeld(endpoint, project, needed, timeoutMs));
    const missing = needed.filter((p) => !held.has(p));
    if (missing.length === 0)
      return {
        check: 'permissions',
        status: 'ok',
        subject,
        reason: `holds ${needed.join(', ')} on projects/${project}`,
      };
    return {
      check: 'permissions',
      status: 'fail',
      subject,
      reason: `the worker's identity lacks ${missing.join(', ')} on projects/${project}`,
      fix: 'grant it the custom role failoverAlertToggle (docs/production.md) on the project',
    };
  } catch (err) {
    return {
      check: 'permissions',
      status: 'warn',
      subject,
      reason: `cannot test the permissions (${errorMessage(err)}); only the read is checked`,
      fix: 'enable the Cloud Resource Manager API (cloudresourcemanager.googleapis.com) on the project',
    };
  }
}

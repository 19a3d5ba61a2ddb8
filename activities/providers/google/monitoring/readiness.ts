// Readiness of the Cloud Monitoring lever (docs/readiness.md). The Monitoring API v3 has no
// testIamPermissions on alert policies, so only the read is checked (the lever's own read, in the
// reachable check); monitoring.alertPolicies.update can be known only by writing, which a
// read-only check never does: reported as a warning the first time a pause is refused.
import type { ReadinessCheck } from '../../../../workflows/readiness-types.ts';

export function monitoringPermissions(alertPolicy: string): ReadinessCheck {
  return {
    check: 'permissions',
    status: 'ok',
    subject: alertPolicy,
    reason:
      'read allowed (checked by reading the policy); the Monitoring API has no testIamPermissions, so monitoring.alertPolicies.update is not tested',
  };
}

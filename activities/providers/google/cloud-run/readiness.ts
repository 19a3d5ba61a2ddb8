// Readiness of Cloud Run standby access (docs/readiness.md): may the worker's identity make the
// changes a failover and failback make (and, for a warmed standby, the warm-up's)? Asked with
// services:testIamPermissions, which needs no permission of its own and answers the subset held
// (those granted on the service and those inherited from its project): no change is made to find out.
import type { ServicesClient } from '@google-cloud/run';
import type { ReadinessCheck } from '../../../../workflows/readiness-types.ts';
import { errorMessage } from '../../../../workflows/error-text.ts';
import { googleCall } from '../errors.ts';

export async function cloudRunPermissions(
  client: ServicesClient,
  resource: string,
  needed: readonly string[],
  timeoutMs: number,
  /** The grant that gives them, for the fix. */
  grant = 'the custom role failoverStandbyAccess (docs/production.md) on the service or its project',
): Promise<ReadinessCheck> {
  const subject = resource;
  try {
    const [answer] = await googleCall(
      { what: 'Cloud Run testIamPermissions', resource, permission: '(none needed)', role: 'any' },
      (options) => client.testIamPermissions({ resource, permissions: [...needed] }, options),
      undefined,
      timeoutMs,
    );
    const held = new Set(answer.permissions ?? []);
    const missing = needed.filter((p) => !held.has(p));
    if (missing.length === 0)
      return { check: 'permissions', status: 'ok', subject, reason: `holds ${needed.join(', ')}` };
    return {
      check: 'permissions',
      status: 'fail',
      subject,
      reason: `the worker's identity lacks ${missing.join(', ')} on the standby service`,
      fix: `grant it ${grant}`,
    };
  } catch (err) {
    return {
      check: 'permissions',
      status: 'fail',
      subject,
      reason: `cannot test the permissions: ${errorMessage(err)}`,
      fix: "check the service name in the config and the worker's Application Default Credentials",
    };
  }
}

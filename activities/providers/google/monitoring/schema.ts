// Config of the monitor lever on Cloud Monitoring: the alert policy to pause during an incident.
import { z } from 'zod';

export const alertPolicyMonitorSchema = z.strictObject({
  type: z.literal('cloud-monitoring'),
  alertPolicy: z
    .string()
    .regex(/^projects\/[^/]+\/alertPolicies\/[^/]+$/, 'expected projects/<project>/alertPolicies/<id>'),
});

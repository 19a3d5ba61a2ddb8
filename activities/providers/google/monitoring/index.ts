// The monitor lever on a Cloud Monitoring alert policy (`enabled`, written with an update mask).
import { defineProvider } from '../../descriptor.ts';
import { GOOGLE_CALL_TIMEOUT_MS, alertPolicyClient, googleTimeoutMs } from '../clients.ts';
import { AlertPolicyMonitor } from './adapter.ts';
import { alertPolicyMonitorSchema } from './schema.ts';
import { monitoringPermissions } from './readiness.ts';

const MONITORING_PERMISSIONS = ['monitoring.alertPolicies.get', 'monitoring.alertPolicies.update'];

export const alertPolicyMonitor = defineProvider({
  kind: 'monitor',
  type: 'cloud-monitoring',
  schema: alertPolicyMonitorSchema,
  build: (m, ctx) =>
    new AlertPolicyMonitor({
      client: alertPolicyClient(ctx),
      alertPolicy: m.alertPolicy,
      timeoutMs: googleTimeoutMs(ctx),
    }),
  // A read and a write; off the critical path, so a wider margin than the others (30 s in all).
  callProfile: { calls: 2, callTimeoutMs: GOOGLE_CALL_TIMEOUT_MS, marginMs: 10_000, firstRetryMs: 1000 },
  permissions: { google: MONITORING_PERMISSIONS },
  readiness: async (m, ctx) => [
    await monitoringPermissions(ctx.apis.google, m.alertPolicy, MONITORING_PERMISSIONS, googleTimeoutMs(ctx)),
  ],
});

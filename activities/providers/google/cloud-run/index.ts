// Standby access through Cloud Run IAM (allUsers as roles/run.invoker on the standby service).
import { defineProvider } from '../../descriptor.ts';
import { GOOGLE_CALL_TIMEOUT_MS, cloudRunClient, googleTimeoutMs } from '../clients.ts';
import { CONFLICT_ROUNDS, CloudRunStandbyAccess } from './adapter.ts';
import { cloudRunAccessSchema } from './schema.ts';
import { cloudRunPermissions } from './readiness.ts';

const CLOUD_RUN_PERMISSIONS = ['run.services.get', 'run.services.getIamPolicy', 'run.services.setIamPolicy'];

export const cloudRunAccess = defineProvider({
  kind: 'standbyAccess',
  type: 'cloud-run',
  schema: cloudRunAccessSchema,
  build: (a, ctx) =>
    new CloudRunStandbyAccess({
      client: cloudRunClient(ctx),
      project: a.project,
      region: a.region,
      service: a.service,
      timeoutMs: googleTimeoutMs(ctx),
    }),
  // Etag conflicts and 5xx are common under concurrent edits: get the service, then a read and a
  // write per etag round.
  callProfile: { calls: 1 + 2 * CONFLICT_ROUNDS, callTimeoutMs: GOOGLE_CALL_TIMEOUT_MS, firstRetryMs: 1000 },
  permissions: { google: CLOUD_RUN_PERMISSIONS },
  readiness: async (a, ctx) => [
    await cloudRunPermissions(
      cloudRunClient(ctx),
      `projects/${a.project}/locations/${a.region}/services/${a.service}`,
      CLOUD_RUN_PERMISSIONS,
      googleTimeoutMs(ctx),
    ),
  ],
});

// Traffic by a Cloudflare page rule: active while on the standby, disabled while on the primary.
import { defineProvider } from '../../descriptor.ts';
import { CLOUDFLARE_CALL_TIMEOUT_MS, sharedCloudflareClient } from '../client.ts';
import { CloudflarePageRuleTraffic } from './adapter.ts';
import { pageRuleTrafficSchema } from './schema.ts';
import { cloudflareTokenCheck } from '../token-readiness.ts';

export const pageRuleTraffic = defineProvider({
  kind: 'traffic',
  type: 'cloudflare-page-rule',
  schema: pageRuleTrafficSchema,
  build: (t, ctx) =>
    new CloudflarePageRuleTraffic({ client: sharedCloudflareClient(ctx), zoneId: t.zoneId, pageRuleId: t.pageRuleId }),
  // A read and a write; a fast API whose 429s carry Retry-After (honoured through nextRetryDelay).
  callProfile: { calls: 2, callTimeoutMs: CLOUDFLARE_CALL_TIMEOUT_MS, firstRetryMs: 500 },
  permissions: { cloudflare: ['Page Rules Write'] },
  readiness: async (t, ctx) => [
    await cloudflareTokenCheck(sharedCloudflareClient(ctx), t.zoneId, ['Page Rules Write']),
  ],
});

// Traffic by a Cloudflare Single Redirect rule: enabled while on the standby.
import { defineProvider } from '../../descriptor.ts';
import { CLOUDFLARE_CALL_TIMEOUT_MS, sharedCloudflareClient } from '../client.ts';
import { CloudflareRedirectRuleTraffic } from './adapter.ts';
import { redirectRuleTrafficSchema } from './schema.ts';
import { cloudflareTokenCheck } from '../token-readiness.ts';

export const redirectRuleTraffic = defineProvider({
  kind: 'traffic',
  type: 'cloudflare-redirect-rule',
  schema: redirectRuleTrafficSchema,
  build: (t, ctx) =>
    new CloudflareRedirectRuleTraffic({
      client: sharedCloudflareClient(ctx),
      zoneId: t.zoneId,
      ruleId: t.ruleId,
      ...(t.rulesetId && { rulesetId: t.rulesetId }),
    }),
  // A read of the ruleset and a write of the rule; 429s carry Retry-After.
  callProfile: { calls: 2, callTimeoutMs: CLOUDFLARE_CALL_TIMEOUT_MS, firstRetryMs: 500 },
  permissions: { cloudflare: ['Dynamic URL Redirects Write'] },
  readiness: async (t, ctx) => [
    await cloudflareTokenCheck(sharedCloudflareClient(ctx), t.zoneId, ['Dynamic URL Redirects Write']),
  ],
});

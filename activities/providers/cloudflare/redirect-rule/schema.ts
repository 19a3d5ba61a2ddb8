// Config of traffic by a Cloudflare Single Redirect rule.
import { z } from 'zod';

export const redirectRuleTrafficSchema = z.strictObject({
  type: z.literal('cloudflare-redirect-rule'),
  zoneId: z.string().min(1),
  /** The zone's http_request_dynamic_redirect entrypoint ruleset; looked up when omitted. */
  rulesetId: z.string().min(1).optional(),
  ruleId: z.string().min(1),
});

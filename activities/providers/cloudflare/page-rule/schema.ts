// Config of traffic by a Cloudflare page rule: the zone and the rule (a Forwarding URL to the standby).
import { z } from 'zod';

export const pageRuleTrafficSchema = z.strictObject({
  type: z.literal('cloudflare-page-rule'),
  zoneId: z.string().min(1),
  pageRuleId: z.string().min(1),
});

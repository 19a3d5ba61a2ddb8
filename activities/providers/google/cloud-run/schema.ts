// Config of standby access through Cloud Run IAM: the standby service, by project, region and name.
import { z } from 'zod';

export const cloudRunAccessSchema = z.strictObject({
  type: z.literal('cloud-run'),
  project: z.string().min(1),
  region: z.string().min(1),
  service: z.string().min(1),
});

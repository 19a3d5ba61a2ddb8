// Config of a standby that is public all the time: only traffic is switched.
import { z } from 'zod';

export const alwaysOpenSchema = z.strictObject({ type: z.literal('always-open') });

// Config of a site with no alert to pause (the default).
import { z } from 'zod';

export const noMonitorSchema = z.strictObject({ type: z.literal('none') });

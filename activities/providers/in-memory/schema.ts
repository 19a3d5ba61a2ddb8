// Config of a lever simulated in memory (tests, benchmarks, the demo): the same for every lever.
import { z } from 'zod';

export const inMemorySchema = z.strictObject({ type: z.literal('in-memory') });

// The monitor lever of a site simulated in memory: the world's own (in-memory/world.ts).
import { defineProvider } from '../../descriptor.ts';
import { inMemorySchema } from '../schema.ts';

export const inMemoryMonitor = defineProvider({
  kind: 'monitor',
  type: 'in-memory',
  schema: inMemorySchema,
  build: (_, ctx) => ctx.inMemory().monitor,
  callProfile: null,
  permissions: {},
});

// The traffic lever of a site simulated in memory: the world's own (in-memory/world.ts).
import { defineProvider } from '../../descriptor.ts';
import { inMemorySchema } from '../schema.ts';

export const inMemoryTraffic = defineProvider({
  kind: 'traffic',
  type: 'in-memory',
  schema: inMemorySchema,
  build: (_, ctx) => ctx.inMemory().traffic,
  callProfile: null,
  permissions: {},
});

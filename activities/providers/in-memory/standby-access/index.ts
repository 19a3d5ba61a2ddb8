// The standby-access lever of a site simulated in memory: the world's own (in-memory/world.ts).
import { defineProvider } from '../../descriptor.ts';
import { inMemorySchema } from '../schema.ts';

export const inMemoryStandbyAccess = defineProvider({
  kind: 'standbyAccess',
  type: 'in-memory',
  schema: inMemorySchema,
  build: (_, ctx) => ctx.inMemory().standbyAccess,
  callProfile: null,
  permissions: {},
});

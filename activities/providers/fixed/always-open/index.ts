// Standby access for a standby public all the time: nothing to open or close.
import { defineProvider } from '../../descriptor.ts';
import { alwaysOpen } from './adapter.ts';
import { alwaysOpenSchema } from './schema.ts';

export const alwaysOpenAccess = defineProvider({
  kind: 'standbyAccess',
  type: 'always-open',
  schema: alwaysOpenSchema,
  build: (_, { site }) => alwaysOpen(`standby of ${site}`),
  callProfile: null,
  permissions: {},
});

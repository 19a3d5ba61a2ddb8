// The monitor lever of a site with no monitor: nothing to pause or resume.
import { defineProvider } from '../../descriptor.ts';
import { noMonitor } from './adapter.ts';
import { noMonitorSchema } from './schema.ts';

export const noMonitorProvider = defineProvider({
  kind: 'monitor',
  type: 'none',
  schema: noMonitorSchema,
  build: (_, { site }) => noMonitor(site),
  callProfile: null,
  permissions: {},
});

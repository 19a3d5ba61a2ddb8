// The activities the incident workflow calls. Each is one idempotent step over a provider
// interface; which adapter stands behind it (in-process, simulator, real cloud) is the worker's
// choice. The names are recorded in test/histories: they must stay as they are.
import type { ProviderRegistry } from './providers/types.ts';
import { createLeverActivities } from './lever-activities.ts';
import { createProbeActivities } from './probe-activities.ts';

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;

export function createIncidentActivities(registry: ProviderRegistry) {
  return { ...createLeverActivities(registry), ...createProbeActivities(registry) };
}

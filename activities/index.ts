// The activity contracts the workflows call, as types only: the workflow bundle never loads
// activity code, and each contract follows its implementation.
export type { IncidentActivities } from './incident.ts';
export type { NotificationActivities } from './notify.ts';
export type { WatchProbeActivities } from './watch-probe.ts';
export type { WatchTriggerActivities } from './watch-trigger.ts';
export type { ReadinessActivities } from './readiness/index.ts';

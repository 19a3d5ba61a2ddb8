// The change steps of both sagas: what each reads first, changes, and restores when undone.
import type { IncidentContext } from './incident-context.ts';
import type { ChangeStep } from './saga.ts';
import type { Target } from './types.ts';

export function pauseMonitor({ act, site }: IncidentContext): ChangeStep {
  return {
    name: 'pause_monitor',
    undoName: 'undo_pause_monitor',
    read: (step) => act.read(step).readMonitor(site),
    apply: (step) => act.monitor(step).pauseMonitor(site),
    restore: (step, before) => act.monitor(step).restoreMonitor(site, before),
  };
}

/** The standby's minimum instances raised before it is opened (standby.warmup); undone after the standby's closing. */
export function warmStandby({ act, site }: IncidentContext): ChangeStep {
  return {
    name: 'warm_standby',
    undoName: 'undo_warm_standby',
    read: (step) => act.read(step).readWarmup(site),
    apply: (step) => act.warmup(step).warmStandby(site),
    restore: (step, before) => act.warmup(step).restoreWarmup(site, before),
    // Cooled only once it no longer serves: after the standby is closed again.
    after: ['undo_enable_standby_access'],
  };
}

export function enableStandbyAccess({ act, site }: IncidentContext): ChangeStep {
  return {
    name: 'enable_standby_access',
    undoName: 'undo_enable_standby_access',
    read: (step) => act.read(step).readStandbyAccess(site),
    apply: (step) => act.standbyAccess(step).openStandbyAccess(site),
    restore: (step, before) => act.standbyAccess(step).restoreStandbyAccess(site, before),
    // The standby is never closed while traffic may still reach it (docs/workflow.md invariant 2).
    after: ['undo_route_traffic_to_standby'],
  };
}

export function routeTraffic({ act, site }: IncidentContext, target: Target): ChangeStep {
  return {
    name: `route_traffic_to_${target}`,
    undoName: `undo_route_traffic_to_${target}`,
    read: (step) => act.read(step).readTraffic(site),
    apply: (step) => act.traffic(step).routeTraffic(site, target),
    restore: (step, before) => act.traffic(step).restoreTraffic(site, before),
  };
}

// The change steps of both sagas: what each reads first, changes, and restores when undone.
import type { IncidentContext } from './incident-context.ts';
import type { ChangeStep, LeverRestore } from './saga.ts';
import type { Target } from './types.ts';

export function pauseMonitor(ctx: IncidentContext): ChangeStep {
  const { act, site } = ctx;
  return {
    name: 'pause_monitor',
    lever: 'monitor',
    undoName: 'undo_pause_monitor',
    read: (step) => act.read(step).readMonitor(site),
    apply: (step) => act.monitor(step).pauseMonitor(site),
    restore: (step, before) => restoreLever(ctx)('monitor', step, before),
  };
}

/** The standby's minimum instances raised before it is opened (standby.warmup); undone after the standby's closing. */
export function warmStandby(ctx: IncidentContext): ChangeStep {
  const { act, site } = ctx;
  return {
    name: 'warm_standby',
    lever: 'warmup',
    undoName: 'undo_warm_standby',
    read: (step) => act.read(step).readWarmup(site),
    apply: (step) => act.warmup(step).warmStandby(site),
    restore: (step, before) => restoreLever(ctx)('warmup', step, before),
    // Cooled only once it no longer serves: after the standby is closed again.
    after: ['undo_enable_standby_access'],
  };
}

export function enableStandbyAccess(ctx: IncidentContext): ChangeStep {
  const { act, site } = ctx;
  return {
    name: 'enable_standby_access',
    lever: 'standbyAccess',
    undoName: 'undo_enable_standby_access',
    read: (step) => act.read(step).readStandbyAccess(site),
    apply: (step) => act.standbyAccess(step).openStandbyAccess(site),
    restore: (step, before) => restoreLever(ctx)('standbyAccess', step, before),
    // The standby is never closed while traffic may still reach it (docs/workflow.md invariant 2).
    after: ['undo_route_traffic_to_standby'],
  };
}

export function routeTraffic(ctx: IncidentContext, target: Target): ChangeStep {
  const { act, site } = ctx;
  return {
    name: `route_traffic_to_${target}`,
    lever: 'traffic',
    undoName: `undo_route_traffic_to_${target}`,
    read: (step) => act.read(step).readTraffic(site),
    apply: (step) => act.traffic(step).routeTraffic(site, target),
    restore: (step, before) => restoreLever(ctx)('traffic', step, before),
  };
}

/** Puts a lever back to a snapshot: every undo and restore of both sagas. */
export function restoreLever({ act, site }: IncidentContext): LeverRestore {
  return (lever, step, before) => {
    if (lever === 'monitor') return act.monitor(step).restoreMonitor(site, before);
    if (lever === 'standbyAccess') return act.standbyAccess(step).restoreStandbyAccess(site, before);
    if (lever === 'warmup') return act.warmup(step).restoreWarmup(site, before);
    return act.traffic(step).restoreTraffic(site, before);
  };
}

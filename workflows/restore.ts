// Putting the site back as it was before the incident once users are on a serving primary: the
// monitor resumed, the standby closed and cooled, each restored to what the incident first read. Used by
// the failback's cleanup and by a re-failover that was rolled back (docs/workflow.md invariant 2).
import type { IncidentContext } from './incident-context.ts';
import { Saga } from './saga.ts';

/** Resumes the monitor and closes the standby, each restored to what the incident first read. */
export function restoreBeforeIncident({ site, act, state }: IncidentContext): Saga {
  const saga = new Saga();
  const { monitor, standbyAccess, warmup } = state.undo;
  // Added first, so it runs last: the standby cools down once it is closed (only runs that warmed it have the snapshot).
  if (warmup) {
    const after = standbyAccess ? (['close_standby_access'] as const) : [];
    saga.add('cool_standby', (step) => act.warmup(step).restoreWarmup(site, warmup), [...after]);
  }
  if (monitor) saga.add('resume_monitor', (step) => act.monitor(step).restoreMonitor(site, monitor));
  if (standbyAccess) {
    saga.add('close_standby_access', (step) => act.standbyAccess(step).restoreStandbyAccess(site, standbyAccess));
  }
  return saga;
}

/** Does the primary serve? A probe, recorded in the history; a pass also dates the primary's last service. */
export async function primaryServes({ site, policy, act, timeline, state }: IncidentContext): Promise<boolean> {
  const since = Date.now();
  try {
    await timeline.run('check_primary_serves', (step) =>
      act.primaryCheck(step).checkPrimaryHealthy(site, policy.primaryCheckTimeoutMs),
    );
    state.servedAt(since);
    return true;
  } catch {
    return false;
  }
}

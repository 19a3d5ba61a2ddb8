// Putting the site back as it was before the incident once users are on a serving primary: the
// monitor resumed, the standby closed and cooled, each restored to what the incident first read. Used by
// the failback's cleanup and by a re-failover that was rolled back (docs/workflow.md invariant 2).
import { restoreLever } from './change-steps.ts';
import type { IncidentContext } from './incident-context.ts';
import type { StepName } from './incident-types.ts';
import { Saga } from './saga.ts';

/**
 * Resumes the monitor and closes the standby, each restored to what the incident first read; `only`
 * keeps the steps a cleanup cut by continue-as-new had left.
 */
export function restoreBeforeIncident(ctx: IncidentContext, only?: StepName[]): Saga {
  const saga = new Saga();
  const restore = restoreLever(ctx);
  const { monitor, standbyAccess, warmup } = ctx.state.undo;
  const wanted = (step: StepName) => only === undefined || only.includes(step);
  // Added first, so it runs last: the standby cools down once it is closed (only runs that warmed it have the snapshot).
  if (warmup && wanted('cool_standby')) {
    const after = standbyAccess ? (['close_standby_access'] as const) : [];
    saga.add('cool_standby', (step) => restore('warmup', step, warmup), [...after], {
      lever: 'warmup',
      before: warmup,
    });
  }
  if (monitor && wanted('resume_monitor'))
    saga.add('resume_monitor', (step) => restore('monitor', step, monitor), [], { lever: 'monitor', before: monitor });
  if (standbyAccess && wanted('close_standby_access')) {
    const before = standbyAccess;
    saga.add('close_standby_access', (step) => restore('standbyAccess', step, before), [], {
      lever: 'standbyAccess',
      before,
    });
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

// The failover plan's dry run (`failover start <site> --dry-run`, and the readiness check
// dry_run): each provider reads the world and says what a failover would change. Only reads (and
// GET probes) are made; nothing is written.
import type { Endpoint, Lever, ProviderRegistry } from './providers/types.ts';
import type { FailoverChange } from '../workflows/incident-types.ts';
import type { Snapshot, Target } from '../workflows/types.ts';
import { errorMessage } from '../workflows/error-text.ts';

export type PlanVerdict = 'would change' | 'already as wanted' | 'cannot read';

export interface PlannedStep {
  step: FailoverChange;
  resource: string;
  wanted: string;
  current?: Snapshot;
  verdict: PlanVerdict;
  error?: string;
}

export interface PlannedProbe {
  endpoint: Endpoint;
  expect: Target;
  ok?: boolean;
  detail: string;
}

export interface FailoverPlan {
  site: string;
  steps: PlannedStep[];
  probes: PlannedProbe[];
}

async function planStep<P extends string>(kind: PlannedStep['step'], lever: Lever<P>, wanted: P): Promise<PlannedStep> {
  try {
    const current = await lever.read();
    return {
      step: kind,
      resource: lever.resource,
      wanted,
      current,
      verdict: lever.isAt(wanted, current) ? 'already as wanted' : 'would change',
    };
  } catch (err) {
    return {
      step: kind,
      resource: lever.resource,
      wanted,
      verdict: 'cannot read',
      error: errorMessage(err),
    };
  }
}

/** `probeTimeoutMs`: the site's `probe.timeout`. */
export async function planFailover(
  registry: ProviderRegistry,
  site: string,
  probeTimeoutMs: number,
): Promise<FailoverPlan> {
  const p = registry.forSite(site);
  const steps = await Promise.all([
    ...(p.warmup ? [planStep('warm_standby', p.warmup, 'warm')] : []),
    planStep('enable_standby_access', p.standbyAccess, 'open'),
    planStep('route_traffic_to_standby', p.traffic, 'standby'),
    planStep('pause_monitor', p.monitor, 'paused'),
  ]);
  const probe = async (endpoint: Endpoint, expect: Target): Promise<PlannedProbe> => {
    try {
      const r = await p.prober.check(endpoint, expect, AbortSignal.timeout(probeTimeoutMs + 1000));
      return { endpoint, expect, ok: r.ok, detail: r.detail };
    } catch (err) {
      return { endpoint, expect, detail: errorMessage(err) };
    }
  };
  const probes = await Promise.all([
    probe('primary', 'primary'),
    probe('standby', 'standby'),
    probe('public', 'primary'),
  ]);
  return { site, steps, probes };
}

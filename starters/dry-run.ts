// `failover start <site> --dry-run`: each provider reads the world and says what a failover would
// change. Only reads (and GET probes) are made; nothing is written.
import type { Endpoint, Lever, ProviderRegistry } from '../activities/providers/types.ts';
import type { SiteConfig } from '../worker/config.ts';
import type { Snapshot, Target } from '../workflows/types.ts';

export type PlanVerdict = 'would change' | 'already as wanted' | 'unknown' | 'cannot read';

export interface PlannedStep {
  step: 'enable_standby_access' | 'route_traffic_to_standby' | 'pause_monitor';
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

/** Does a snapshot (as the adapters report it) already show the wanted position? */
export function isAsWanted(kind: PlannedStep['step'], snapshot: Snapshot, site: SiteConfig): boolean | undefined {
  const s = snapshot;
  switch (kind) {
    case 'enable_standby_access':
      if ('standbyAccess' in s) return s.standbyAccess === 'open';
      if ('allUsersInvoker' in s) return s.allUsersInvoker === true || s.invokerIamDisabled === true;
      if (s.access === 'always-open') return true;
      return undefined;
    case 'route_traffic_to_standby':
      if ('traffic' in s) return s.traffic === 'standby';
      if ('pageRuleStatus' in s) return s.pageRuleStatus === 'active';
      if ('redirectRuleEnabled' in s) return s.redirectRuleEnabled === true;
      if ('dnsContent' in s && site.traffic.type === 'cloudflare-dns') return s.dnsContent === site.traffic.standbyContent;
      return undefined;
    case 'pause_monitor':
      if ('monitor' in s) return s.monitor === 'paused' || s.monitor === 'none';
      if ('enabled' in s) return s.enabled === false;
      return undefined;
  }
}

async function planStep(kind: PlannedStep['step'], lever: Lever<string>, wanted: string, site: SiteConfig): Promise<PlannedStep> {
  try {
    const current = await lever.read();
    const as = isAsWanted(kind, current, site);
    return { step: kind, resource: lever.resource, wanted, current, verdict: as === undefined ? 'unknown' : as ? 'already as wanted' : 'would change' };
  } catch (err) {
    return { step: kind, resource: lever.resource, wanted, verdict: 'cannot read', error: err instanceof Error ? err.message : String(err) };
  }
}

export async function planFailover(registry: ProviderRegistry, site: string, cfg: SiteConfig): Promise<FailoverPlan> {
  const p = registry.forSite(site);
  const steps = await Promise.all([
    planStep('enable_standby_access', p.standbyAccess, 'open', cfg),
    planStep('route_traffic_to_standby', p.traffic, 'standby', cfg),
    planStep('pause_monitor', p.monitor, 'paused', cfg),
  ]);
  const probe = async (endpoint: Endpoint, expect: Target): Promise<PlannedProbe> => {
    try {
      const r = await p.prober.check(endpoint, expect, AbortSignal.timeout(cfg.probe.timeout + 1000));
      return { endpoint, expect, ok: r.ok, detail: r.detail };
    } catch (err) {
      return { endpoint, expect, detail: err instanceof Error ? err.message : String(err) };
    }
  };
  const probes = await Promise.all([probe('primary', 'primary'), probe('standby', 'standby'), probe('public', 'primary')]);
  return { site, steps, probes };
}

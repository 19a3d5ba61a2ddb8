// `failover start <site> --dry-run`: the failover plan (activities/failover-plan.ts), with the site's probe timeout.
import { type FailoverPlan, planFailover as plan } from '../../activities/failover-plan.ts';
import type { ProviderRegistry } from '../../activities/providers/types.ts';
import type { SiteConfig } from '../../config/schema.ts';

export type { FailoverPlan, PlannedProbe, PlannedStep, PlanVerdict } from '../../activities/failover-plan.ts';

export const planFailover = (registry: ProviderRegistry, site: string, cfg: SiteConfig): Promise<FailoverPlan> =>
  plan(registry, site, cfg.probe.timeout);

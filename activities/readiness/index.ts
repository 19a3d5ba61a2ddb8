// The readiness workflow's activities (workflows/readiness.ts, docs/readiness.md): each runs one
// group of checks and reports ok / warn / fail with the reason and the fix. Read-only: no lever
// is changed, and a check that finds something wrong answers with it rather than throwing.
import { planFailover } from '../failover-plan.ts';
import type { ProviderRegistry } from '../providers/types.ts';
import { ProviderError } from '../errors.ts';
import type { ReadinessCheck } from '../../workflows/readiness-types.ts';
import { checkLevers } from './levers.ts';
import { checkStandby } from './standby.ts';
import type { ReadinessHistory, ReadinessTarget } from './target.ts';

export type ReadinessActivities = ReturnType<typeof createReadinessActivities>;

export interface ReadinessDeps {
  registry: ProviderRegistry;
  /** The site's data from the config; undefined: not a configured site. */
  target(site: string): ReadinessTarget | undefined;
  history: ReadinessHistory;
}

export function createReadinessActivities(d: ReadinessDeps) {
  const target = (site: string): ReadinessTarget => {
    const t = d.target(site);
    if (!t) throw new ProviderError('invalid_config', `unknown site "${site}": not in the worker's config`);
    return t;
  };
  return {
    checkLevers: (site: string) => checkLevers(d.registry.forSite(site), target(site)),
    checkPermissions: async (site: string): Promise<ReadinessCheck[]> => (await d.registry.readiness?.(site)) ?? [],
    checkStandby: (site: string) => checkStandby(target(site)),
    checkDryRun: async (site: string): Promise<ReadinessCheck[]> => {
      const plan = await planFailover(d.registry, site, target(site).probeTimeoutMs);
      const unreadable = plan.steps.filter((s) => s.verdict === 'cannot read');
      if (unreadable.length > 0)
        return unreadable.map((s) => ({
          check: 'dry_run' as const,
          status: 'fail' as const,
          subject: s.resource,
          reason: `${s.step} cannot be planned: ${s.error ?? 'cannot read'}`,
          fix: 'see the reachable check of the same resource',
        }));
      const summary = plan.steps.map((s) => `${s.step}: ${s.verdict}`).join('; ');
      return [{ check: 'dry_run', status: 'ok', reason: summary }];
    },
    lastFailover: async (site: string): Promise<ReadinessCheck[]> => {
      const last = await d.history.lastIncident(site);
      return [
        {
          check: 'last_failover',
          status: 'ok',
          reason: last
            ? `${last.startTime} (${last.workflowId}, ${last.status.toLowerCase()})`
            : 'none recorded in Temporal (no practice failover yet: docs/drill.md)',
        },
      ];
    },
    previousReadiness: (site: string) => d.history.previousReady(site),
  };
}

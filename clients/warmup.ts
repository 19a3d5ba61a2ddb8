// A site's warm-up lever (standby.warmup), on the same service as its standby access: Cloud Run's
// service-level minimum instances, or the in-memory world's; and its permission check (readiness).
import { ProviderError } from '../activities/errors.ts';
import type { BuildContext } from '../activities/providers/descriptor.ts';
import { cloudRunClient, googleTimeoutMs } from '../activities/providers/google/clients.ts';
import { cloudRunPermissions } from '../activities/providers/google/cloud-run/readiness.ts';
import { CloudRunWarmup, WARMUP_PERMISSIONS } from '../activities/providers/google/cloud-run/warmup.ts';
import { inMemoryWarmup } from '../activities/providers/in-memory/warmup.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import type { Warmup } from '../activities/providers/types.ts';
import type { SiteConfig } from '../config/schema.ts';
import type { ReadinessCheck } from '../workflows/readiness-types.ts';

type AccessConfig = { type: string; project?: string; region?: string; service?: string };

export function buildWarmup(cfg: SiteConfig, ctx: BuildContext, world?: InMemoryWorld): Warmup | undefined {
  const warmup = cfg.standby.warmup;
  if (!warmup) return undefined;
  const access = cfg.standby.access as AccessConfig;
  if (access.type === 'cloud-run' && access.project && access.region && access.service) {
    return new CloudRunWarmup({
      client: cloudRunClient(ctx),
      project: access.project,
      region: access.region,
      service: access.service,
      minInstances: warmup.minInstances,
      timeoutMs: googleTimeoutMs(ctx),
    });
  }
  if (access.type === 'in-memory' && world) {
    ctx.inMemory(); // the site exists in the world
    return inMemoryWarmup(world, ctx.site, warmup.minInstances);
  }
  throw new ProviderError(
    'invalid_config',
    `sites.${ctx.site}.standby.warmup: needs standby.access of type cloud-run (its service's minimum instances are raised), not "${access.type}"`,
  );
}

/** May the worker raise and restore the standby's minimum instances (docs/readiness.md)? Cloud Run only. */
export async function warmupReadiness(cfg: SiteConfig, ctx: BuildContext): Promise<ReadinessCheck[]> {
  const access = cfg.standby.access as AccessConfig;
  if (!cfg.standby.warmup || access.type !== 'cloud-run') return [];
  return [
    await cloudRunPermissions(
      cloudRunClient(ctx),
      `projects/${access.project}/locations/${access.region}/services/${access.service}`,
      WARMUP_PERMISSIONS,
      googleTimeoutMs(ctx),
      "the custom role failoverStandbyWarmup (or roles/run.developer) on the standby's project: docs/production.md, its standby.warmup row",
    ),
  ];
}

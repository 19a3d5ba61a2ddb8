// A site's warm-up lever (standby.warmup), on the same service as its standby access: Cloud Run's
// service-level minimum instances, or the in-memory world's.
import { ProviderError } from '../activities/errors.ts';
import type { BuildContext } from '../activities/providers/descriptor.ts';
import { cloudRunClient, googleTimeoutMs } from '../activities/providers/google/clients.ts';
import { CloudRunWarmup } from '../activities/providers/google/cloud-run/warmup.ts';
import { inMemoryWarmup } from '../activities/providers/in-memory/warmup.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import type { Warmup } from '../activities/providers/types.ts';
import type { SiteConfig } from '../config/schema.ts';

export function buildWarmup(cfg: SiteConfig, ctx: BuildContext, world?: InMemoryWorld): Warmup | undefined {
  const warmup = cfg.standby.warmup;
  if (!warmup) return undefined;
  const access = cfg.standby.access as { type: string; project?: string; region?: string; service?: string };
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

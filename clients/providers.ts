// Builds each site's provider adapters from its config, through the provider registry
// (activities/providers/registry.ts): each config `type` names the descriptor that builds its adapter.
import { ProviderError } from '../activities/errors.ts';
import type { BuildContext, LeverKind, LeverOf } from '../activities/providers/descriptor.ts';
import { HttpProber } from '../activities/providers/http/prober.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { providerFor } from '../activities/providers/registry.ts';
import type { ProbeRegistry, Prober, ProviderRegistry, SiteProviders } from '../activities/providers/types.ts';
import type { Config, SiteConfig } from '../config/schema.ts';
import { buildWarmup, warmupReadiness } from './warmup.ts';
import type { ReadinessCheck } from '../workflows/readiness-types.ts';

export interface RegistryDeps {
  /** Backs the sites whose providers are `in-memory` (demo, tests, benchmarks). */
  world?: InMemoryWorld;
  /** Where CLOUDFLARE_API_TOKEN is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export function buildRegistry(config: Config, deps: RegistryDeps = {}): ProviderRegistry {
  const built = new Map<string, SiteProviders>();
  const clients = new Map<string, unknown>();
  const shared = <T>(key: string, make: () => T): T => {
    if (!clients.has(key)) clients.set(key, make());
    return clients.get(key) as T;
  };
  const context = (site: string): BuildContext => ({
    site,
    apis: config.apis ?? {},
    env: deps.env ?? process.env,
    shared,
    inMemory: inMemorySite(site, deps),
  });
  const siteConfig = (site: string): SiteConfig => {
    const cfg = config.sites[site];
    if (!cfg) throw new ProviderError('invalid_config', `unknown site "${site}": not in the worker's config`);
    return cfg;
  };
  return {
    forSite(site) {
      let providers = built.get(site);
      if (!providers) {
        const cfg = siteConfig(site);
        const ctx = context(site);
        providers = buildSite(cfg, ctx);
        const warmup = buildWarmup(cfg, ctx, deps.world);
        if (warmup) providers = { ...providers, warmup };
        built.set(site, providers);
      }
      return providers;
    },
    readiness: async (site) => {
      const [levers, warmup] = await Promise.all([
        leverReadiness(siteConfig(site), context(site)),
        warmupReadiness(siteConfig(site), context(site)),
      ]);
      return [...levers, ...warmup];
    },
  };
}

/** Each lever's provider `readiness` hook (docs/readiness.md), in lever order. */
async function leverReadiness(cfg: SiteConfig, ctx: BuildContext): Promise<ReadinessCheck[]> {
  const levers: Array<[LeverKind, { type: string }]> = [
    ['standbyAccess', cfg.standby.access],
    ['traffic', cfg.traffic],
    ['monitor', cfg.monitor],
  ];
  const found = await Promise.all(levers.map(([kind, c]) => providerFor(kind, c.type)?.readiness?.(c, ctx) ?? []));
  return found.flat();
}

function build<K extends LeverKind>(kind: K, cfg: { type: string }, ctx: BuildContext): LeverOf[K] {
  const provider = providerFor(kind, cfg.type);
  // The schema admits only registered types; this guards a config built by hand.
  if (!provider) throw new ProviderError('invalid_config', `sites.${ctx.site}: no ${kind} provider "${cfg.type}"`);
  return provider.build(cfg, ctx) as LeverOf[K];
}

function buildSite(cfg: SiteConfig, ctx: BuildContext): SiteProviders {
  return {
    standbyAccess: build('standbyAccess', cfg.standby.access, ctx),
    traffic: build('traffic', cfg.traffic, ctx),
    monitor: build('monitor', cfg.monitor, ctx),
    prober: buildProber(cfg, ctx.inMemory),
    probe: probePolicy(cfg),
  };
}

function inMemorySite(site: string, deps: RegistryDeps): () => SiteProviders {
  return () => {
    if (!deps.world) {
      throw new ProviderError(
        'invalid_config',
        `site ${site} uses in-memory providers but this worker has no in-memory world`,
      );
    }
    try {
      deps.world.state(site);
    } catch {
      deps.world.addSite(site);
    }
    return deps.world.forSite(site);
  };
}

const probePolicy = (cfg: SiteConfig) => ({
  intervalMs: cfg.probe.interval,
  successesNeeded: cfg.probe.successesNeeded,
});

function buildProber(cfg: SiteConfig, inMemory: () => SiteProviders): Prober {
  // A site whose access or traffic is simulated in memory is probed in memory too: its URLs are not real.
  const simulated = cfg.standby.access.type === 'in-memory' || cfg.traffic.type === 'in-memory';
  return simulated
    ? inMemory().prober
    : new HttpProber({
        primary: {
          url: cfg.primary.url,
          expectStatus: cfg.primary.expectStatus,
          ...(cfg.primary.marker && { marker: cfg.primary.marker }),
        },
        standby: {
          url: cfg.standby.url,
          expectStatus: cfg.standby.expectStatus,
          ...(cfg.standby.marker && { marker: cfg.standby.marker }),
        },
        publicUrl: cfg.publicUrl,
        timeoutMs: cfg.probe.timeout,
        attempts: cfg.probe.attempts,
        followRedirects: cfg.probe.followRedirects,
      });
}

/**
 * Only the probers of each site, for a watcher location's probe-only worker (worker/location.ts):
 * no SDK client is made and no credential is read, so a location needs none (no Cloudflare token,
 * no Google credentials) to probe.
 */
export function buildProbeRegistry(config: Config, deps: Pick<RegistryDeps, 'world'> = {}): ProbeRegistry {
  const built = new Map<string, Pick<SiteProviders, 'prober' | 'probe'>>();
  return {
    forSite(site) {
      let probes = built.get(site);
      if (!probes) {
        const cfg = config.sites[site];
        if (!cfg) throw new ProviderError('invalid_config', `unknown site "${site}": not in the watcher's config`);
        probes = { prober: buildProber(cfg, inMemorySite(site, deps)), probe: probePolicy(cfg) };
        built.set(site, probes);
      }
      return probes;
    },
  };
}

// Builds each site's provider adapters from its config: the one place that knows which
// adapter stands behind which config `type`.
import { ProviderError } from '../activities/errors.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory.ts';
import type { Lever, ProviderRegistry, SiteProviders } from '../activities/providers/types.ts';
import type { Config, SiteConfig } from './config.ts';

export interface RegistryDeps {
  /** Backs the sites whose providers are `in-memory` (demo, tests, benchmarks). */
  world?: InMemoryWorld;
}

export function buildRegistry(config: Config, deps: RegistryDeps = {}): ProviderRegistry {
  const built = new Map<string, SiteProviders>();
  return {
    forSite(site) {
      let providers = built.get(site);
      if (!providers) {
        const cfg = config.sites[site];
        if (!cfg) throw new ProviderError('invalid_config', `unknown site "${site}": not in the worker's config`);
        providers = buildSite(site, cfg, deps);
        built.set(site, providers);
      }
      return providers;
    },
  };
}

function buildSite(site: string, cfg: SiteConfig, deps: RegistryDeps): SiteProviders {
  const inMemory = () => {
    if (!deps.world) throw new ProviderError('invalid_config', `site ${site} uses in-memory providers but this worker has no in-memory world`);
    try {
      deps.world.state(site);
    } catch {
      deps.world.addSite(site);
    }
    return deps.world.forSite(site);
  };
  const unsupported = (field: string, type: string): never => {
    throw new ProviderError('invalid_config', `sites.${site}.${field}: type "${type}" has no adapter in this build`);
  };

  const standbyAccess = (() => {
    const a = cfg.standby.access;
    if (a.type === 'in-memory') return inMemory().standbyAccess;
    if (a.type === 'always-open') return alwaysOpen(`standby of ${site}`);
    return unsupported('standby.access', a.type);
  })();
  const traffic = cfg.traffic.type === 'in-memory' ? inMemory().traffic : unsupported('traffic', cfg.traffic.type);
  const monitor = (() => {
    const m = cfg.monitor;
    if (m.type === 'in-memory') return inMemory().monitor;
    if (m.type === 'none') return noMonitor(site);
    return unsupported('monitor', m.type);
  })();
  return {
    standbyAccess,
    traffic,
    monitor,
    prober: inMemory().prober,
    probe: { intervalMs: cfg.probe.interval, successesNeeded: cfg.probe.successesNeeded },
  };
}

/** For standbys kept public all the time: opening is a no-op, closing is never done. */
function alwaysOpen(resource: string): Lever<'open' | 'closed'> {
  const before = { access: 'always-open' };
  return {
    resource,
    read: async () => before,
    set: async (position) => ({ changed: false, before, summary: `${resource} is always open; ${position} is not applied` }),
    restore: async () => ({ changed: false, before, summary: `${resource} is always open; nothing to restore` }),
  };
}

function noMonitor(site: string): Lever<'paused' | 'enabled'> {
  const before = { monitor: 'none' };
  return {
    resource: `no monitor for ${site}`,
    read: async () => before,
    set: async () => ({ changed: false, before, summary: 'no monitor configured' }),
    restore: async () => ({ changed: false, before, summary: 'no monitor configured' }),
  };
}

// Builds each site's provider adapters from its config: the one place that knows which
// adapter stands behind which config `type`.
import { ServicesClient } from '@google-cloud/run';
import { AlertPolicyServiceClient } from '@google-cloud/monitoring';
import type Cloudflare from 'cloudflare';
import { ProviderError } from '../activities/errors.ts';
import { AlertPolicyMonitor } from '../activities/providers/cloud-monitoring.ts';
import { CloudRunStandbyAccess } from '../activities/providers/cloud-run.ts';
import { CloudflareDnsTraffic } from '../activities/providers/cloudflare-dns.ts';
import { cloudflareClient } from '../activities/providers/cloudflare-errors.ts';
import { CloudflarePageRuleTraffic } from '../activities/providers/cloudflare-page-rule.ts';
import { CloudflareRedirectRuleTraffic } from '../activities/providers/cloudflare-redirect-rule.ts';
import { googleClientOptions } from '../activities/providers/google.ts';
import { HttpProber } from '../activities/providers/http-prober.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory.ts';
import type { Lever, ProviderRegistry, SiteProviders } from '../activities/providers/types.ts';
import type { ApisConfig, Config, SiteConfig } from './config.ts';

export interface RegistryDeps {
  /** Backs the sites whose providers are `in-memory` (demo, tests, benchmarks). */
  world?: InMemoryWorld;
  /** Where CLOUDFLARE_API_TOKEN is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** SDK clients, made on first use and shared by every site of the process. */
class Clients {
  private run: ServicesClient | undefined;
  private monitoring: AlertPolicyServiceClient | undefined;
  private cf: Cloudflare | undefined;
  private readonly apis: ApisConfig;
  private readonly env: NodeJS.ProcessEnv;

  constructor(apis: ApisConfig, env: NodeJS.ProcessEnv) {
    this.apis = apis;
    this.env = env;
  }

  get googleTimeoutMs(): number {
    return this.apis.google?.timeout ?? 10_000;
  }

  cloudRun(): ServicesClient {
    return (this.run ??= new ServicesClient(googleClientOptions(this.apis.google)));
  }

  alertPolicies(): AlertPolicyServiceClient {
    return (this.monitoring ??= new AlertPolicyServiceClient(googleClientOptions(this.apis.google)));
  }

  cloudflare(site: string): Cloudflare {
    if (this.cf) return this.cf;
    const token = this.env.CLOUDFLARE_API_TOKEN;
    if (!token) {
      throw new ProviderError(
        'invalid_config',
        `sites.${site}.traffic: CLOUDFLARE_API_TOKEN is not set in the worker's environment (a token with Zone.Page Rules, Single Redirect or DNS Edit on the zone)`,
      );
    }
    return (this.cf = cloudflareClient({ token, ...(this.apis.cloudflare && { baseURL: this.apis.cloudflare.baseURL, timeoutMs: this.apis.cloudflare.timeout }) }));
  }
}

export function buildRegistry(config: Config, deps: RegistryDeps = {}): ProviderRegistry {
  const built = new Map<string, SiteProviders>();
  const clients = new Clients(config.apis ?? {}, deps.env ?? process.env);
  return {
    forSite(site) {
      let providers = built.get(site);
      if (!providers) {
        const cfg = config.sites[site];
        if (!cfg) throw new ProviderError('invalid_config', `unknown site "${site}": not in the worker's config`);
        providers = buildSite(site, cfg, deps, clients);
        built.set(site, providers);
      }
      return providers;
    },
  };
}

function buildSite(site: string, cfg: SiteConfig, deps: RegistryDeps, clients: Clients): SiteProviders {
  const inMemory = () => {
    if (!deps.world) throw new ProviderError('invalid_config', `site ${site} uses in-memory providers but this worker has no in-memory world`);
    try {
      deps.world.state(site);
    } catch {
      deps.world.addSite(site);
    }
    return deps.world.forSite(site);
  };

  const standbyAccess = (() => {
    const a = cfg.standby.access;
    if (a.type === 'in-memory') return inMemory().standbyAccess;
    if (a.type === 'always-open') return alwaysOpen(`standby of ${site}`);
    return new CloudRunStandbyAccess({ client: clients.cloudRun(), project: a.project, region: a.region, service: a.service, timeoutMs: clients.googleTimeoutMs });
  })();
  const traffic = (() => {
    const t = cfg.traffic;
    if (t.type === 'in-memory') return inMemory().traffic;
    const client = clients.cloudflare(site);
    if (t.type === 'cloudflare-page-rule') return new CloudflarePageRuleTraffic({ client, zoneId: t.zoneId, pageRuleId: t.pageRuleId });
    if (t.type === 'cloudflare-redirect-rule') {
      return new CloudflareRedirectRuleTraffic({ client, zoneId: t.zoneId, ruleId: t.ruleId, ...(t.rulesetId && { rulesetId: t.rulesetId }) });
    }
    return new CloudflareDnsTraffic({ client, zoneId: t.zoneId, recordId: t.recordId, primaryContent: t.primaryContent, standbyContent: t.standbyContent, ttl: t.ttl });
  })();
  const monitor = (() => {
    const m = cfg.monitor;
    if (m.type === 'in-memory') return inMemory().monitor;
    if (m.type === 'none') return noMonitor(site);
    return new AlertPolicyMonitor({ client: clients.alertPolicies(), alertPolicy: m.alertPolicy, timeoutMs: clients.googleTimeoutMs });
  })();
  // A site whose access or traffic is simulated in memory is probed in memory too: its URLs are not real.
  const simulated = cfg.standby.access.type === 'in-memory' || cfg.traffic.type === 'in-memory';
  const prober = simulated
    ? inMemory().prober
    : new HttpProber({
        primary: { url: cfg.primary.url, expectStatus: cfg.primary.expectStatus, ...(cfg.primary.marker && { marker: cfg.primary.marker }) },
        standby: { url: cfg.standby.url, expectStatus: cfg.standby.expectStatus, ...(cfg.standby.marker && { marker: cfg.standby.marker }) },
        publicUrl: cfg.publicUrl,
        timeoutMs: cfg.probe.timeout,
        attempts: cfg.probe.attempts,
        followRedirects: cfg.probe.followRedirects,
      });
  return {
    standbyAccess,
    traffic,
    monitor,
    prober,
    probe: { intervalMs: cfg.probe.interval, successesNeeded: cfg.probe.successesNeeded },
  };
}

/** For standbys kept public all the time: opening is a no-op, closing is never done. */
function alwaysOpen(resource: string): Lever<'open' | 'closed'> {
  const before = { access: 'always-open' };
  return {
    resource,
    read: async () => before,
    isAt: (position) => position === 'open',
    set: async (position) => ({ changed: false, before, summary: `${resource} is always open; ${position} is not applied` }),
    restore: async () => ({ changed: false, before, summary: `${resource} is always open; nothing to restore` }),
  };
}

function noMonitor(site: string): Lever<'paused' | 'enabled'> {
  const before = { monitor: 'none' };
  return {
    resource: `no monitor for ${site}`,
    read: async () => before,
    isAt: () => true,
    set: async () => ({ changed: false, before, summary: 'no monitor configured' }),
    restore: async () => ({ changed: false, before, summary: 'no monitor configured' }),
  };
}

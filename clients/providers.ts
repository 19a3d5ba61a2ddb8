// Builds each site's provider adapters from its config: the one place that knows which
// adapter stands behind which config `type`.
import { ServicesClient } from '@google-cloud/run';
import { AlertPolicyServiceClient } from '@google-cloud/monitoring';
import type Cloudflare from 'cloudflare';
import { ProviderError } from '../activities/errors.ts';
import { cloudflareClient } from '../activities/providers/cloudflare/client.ts';
import { CloudflareDnsTraffic } from '../activities/providers/cloudflare/dns.ts';
import { CloudflarePageRuleTraffic } from '../activities/providers/cloudflare/page-rule.ts';
import { CloudflareRedirectRuleTraffic } from '../activities/providers/cloudflare/redirect-rule.ts';
import { alwaysOpen, noMonitor } from '../activities/providers/fixed.ts';
import { CloudRunStandbyAccess } from '../activities/providers/google/cloud-run.ts';
import { AlertPolicyMonitor } from '../activities/providers/google/monitoring.ts';
import { googleClientOptions } from '../activities/providers/google/options.ts';
import { HttpProber } from '../activities/providers/http/prober.ts';
import type { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import type {
  Monitor,
  ProbeRegistry,
  Prober,
  ProviderRegistry,
  SiteProviders,
  StandbyAccess,
  TrafficRouter,
} from '../activities/providers/types.ts';
import type { ApisConfig, Config, SiteConfig } from '../config/schema.ts';

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
    return (this.cf = cloudflareClient({
      token,
      ...(this.apis.cloudflare && { baseURL: this.apis.cloudflare.baseURL, timeoutMs: this.apis.cloudflare.timeout }),
    }));
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

type Builder<C, T> = (cfg: C, ctx: { site: string; clients: Clients; inMemory: () => SiteProviders }) => T;
type Table<U extends { type: string }, T> = { [K in U['type']]: Builder<Extract<U, { type: K }>, T> };

/** Which adapter stands behind each config `type`: exhaustive, so a new type cannot be forgotten. */
const STANDBY_ACCESS: Table<SiteConfig['standby']['access'], StandbyAccess> = {
  'in-memory': (_, { inMemory }) => inMemory().standbyAccess,
  'always-open': (_, { site }) => alwaysOpen(`standby of ${site}`),
  'cloud-run': (a, { clients }) =>
    new CloudRunStandbyAccess({
      client: clients.cloudRun(),
      project: a.project,
      region: a.region,
      service: a.service,
      timeoutMs: clients.googleTimeoutMs,
    }),
};

const TRAFFIC: Table<SiteConfig['traffic'], TrafficRouter> = {
  'in-memory': (_, { inMemory }) => inMemory().traffic,
  'cloudflare-page-rule': (t, { site, clients }) =>
    new CloudflarePageRuleTraffic({ client: clients.cloudflare(site), zoneId: t.zoneId, pageRuleId: t.pageRuleId }),
  'cloudflare-redirect-rule': (t, { site, clients }) =>
    new CloudflareRedirectRuleTraffic({
      client: clients.cloudflare(site),
      zoneId: t.zoneId,
      ruleId: t.ruleId,
      ...(t.rulesetId && { rulesetId: t.rulesetId }),
    }),
  'cloudflare-dns': (t, { site, clients }) =>
    new CloudflareDnsTraffic({
      client: clients.cloudflare(site),
      zoneId: t.zoneId,
      recordId: t.recordId,
      primaryContent: t.primaryContent,
      standbyContent: t.standbyContent,
      ttl: t.ttl,
    }),
};

const MONITOR: Table<SiteConfig['monitor'], Monitor> = {
  'in-memory': (_, { inMemory }) => inMemory().monitor,
  none: (_, { site }) => noMonitor(site),
  'cloud-monitoring': (m, { clients }) =>
    new AlertPolicyMonitor({
      client: clients.alertPolicies(),
      alertPolicy: m.alertPolicy,
      timeoutMs: clients.googleTimeoutMs,
    }),
};

function build<U extends { type: string }, T>(table: Table<U, T>, cfg: U, ctx: Parameters<Builder<U, T>>[1]): T {
  return (table[cfg.type as U['type']] as Builder<U, T>)(cfg, ctx);
}

function buildSite(site: string, cfg: SiteConfig, deps: RegistryDeps, clients: Clients): SiteProviders {
  const inMemory = inMemorySite(site, deps);
  const ctx = { site, clients, inMemory };
  return {
    standbyAccess: build(STANDBY_ACCESS, cfg.standby.access, ctx),
    traffic: build(TRAFFIC, cfg.traffic, ctx),
    monitor: build(MONITOR, cfg.monitor, ctx),
    prober: buildProber(cfg, inMemory),
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

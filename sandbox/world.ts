// The local world in one call: the cloud API simulator, and for each site a primary, a standby
// (Cloud Run-like: 403 until allUsers may invoke it) and an edge (the public URL), plus a config
// that points the real SDK clients at the simulator.
//
//   const world = await startSandboxWorld({ sites: ['www'] });
//   world.config            // a parsed Config: apis + sites, ready for buildRegistry()
//   world.configYaml()      // the same as YAML, for a worker in another process
//   world.env               // CLOUDFLARE_API_TOKEN for that worker
//   await world.control.killPrimary('www');
//   await world.stop();
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { type Config, configSchema } from '../config/schema.ts';
import { ALL_CF_PERMISSIONS } from './cloud-api/cloudflare.ts';
import { diff } from './cloud-api/audit.ts';
import { API_TOKENS_READ, type TokenMeta, setTokenMeta } from './cloud-api/cloudflare-tokens.ts';
import { iamOf } from './cloud-api/iam.ts';
import { ORCHESTRATOR_EMAIL } from './cloud-api/metadata.ts';
import { invokedWithIdToken } from './standby-auth.ts';
import type { ApiResponse } from './cloud-api/http.ts';
import { CloudApi } from './cloud-api/server.ts';
import { INVOKER_ROLE } from './cloud-api/state.ts';
import type { FaultRule, IamBinding, StateSnapshot } from './cloud-api/types.ts';
import type { SandboxControl, SandboxSiteInfo, SiteServerName, WorldInfo } from './control.ts';
import { Edge } from './edge.ts';
import { type KillMode, MARKER, SiteServer } from './sites.ts';
import type { TrafficIds } from './traffic/mode.ts';
import { TRAFFIC_MODES, type TrafficModeName } from './traffic/modes.ts';

export { diff };
export { SandboxClient } from './control.ts';
export type { SandboxControl, WorldInfo } from './control.ts';

/** How a site's traffic is switched: a key of sandbox/traffic/modes.ts. */
export type TrafficMode = TrafficModeName;

export interface SandboxSiteSpec {
  name: string;
  /** How traffic is switched: a page rule, a single redirect rule (default), a DNS record, ... */
  traffic?: TrafficMode;
  /** A Cloud Monitoring alert policy to pause (default true); false: monitor type none. */
  monitor?: boolean;
  /** cloud-run (default): IAM is opened and closed; always-open: the standby stays public. */
  access?: 'cloud-run' | 'always-open';
  /** The Cloud Run service has its invoker IAM check disabled (public whatever IAM says). */
  invokerIamDisabled?: boolean;
  /** The standby service's IAM bindings at start (default: an uptime checker invoker and a developer). */
  bindings?: IamBinding[];
  /** Merged into this site's probe section, over the world's. */
  probe?: Record<string, unknown>;
  ports?: { primary?: number; standby?: number; edge?: number };
}

export interface SandboxWorldOptions {
  /** Site names or specs; default one site, "www". */
  sites?: Array<string | SandboxSiteSpec>;
  host?: string;
  /** Port of the cloud API simulator; default a free one. */
  apiPort?: number;
  seed?: number;
  /** How long an IAM change takes to reach the standby (real Cloud Run: typically 2 min, sometimes 7+). */
  propagationDelayMs?: number;
  /** The Cloudflare token the simulator accepts; default a random one. */
  cloudflareToken?: string;
  project?: string;
  region?: string;
  /** Merged into every site's probe section (defaults are fast: 100 ms interval). */
  probe?: Record<string, unknown>;
  failback?: Record<string, unknown>;
  /**
   * A standby's cold start: the first page after it was idle waits this long for an instance, unless
   * the service keeps a minimum of instances (its warm-up, cloud-api/cloud-run-scaling.ts). Default 0.
   */
  coldStartMs?: number;
}

/** A sandbox site, with the ids of the resources its traffic mode made (TrafficIds). */
export interface SandboxSite extends TrafficIds {
  name: string;
  spec: Required<Pick<SandboxSiteSpec, 'traffic' | 'monitor' | 'access'>> & SandboxSiteSpec;
  primary: SiteServer;
  standby: SiteServer;
  edge: Edge;
  /** projects/…/locations/…/services/… */
  serviceName: string;
  alertPolicy?: string;
  zoneId: string;
}

export interface SandboxWorld {
  api: CloudApi;
  sites: Record<string, SandboxSite>;
  urls: {
    api: string;
    google: { apiEndpoint: string; port: number; protocol: 'http' };
    cloudflare: string;
    sites: Record<string, { public: string; primary: string; standby: string }>;
  };
  /** The config (apis + sites), parsed with the worker's schema. */
  config: Config;
  /** The same config as a plain object, before schema defaults (what configYaml writes). */
  rawConfig: Record<string, unknown>;
  /** What a worker process needs in its environment (the Cloudflare token; the metadata server, for ID tokens). */
  env: { CLOUDFLARE_API_TOKEN: string; GCE_METADATA_HOST: string };
  configYaml(extra?: Record<string, unknown>): string;
  writeConfig(path: string, extra?: Record<string, unknown>): void;
  control: SandboxControl;
  /** The state now, without etags, versions and timestamps. */
  snapshot(): StateSnapshot;
  /** What differs between two snapshots, by path (empty: the same). */
  diff: typeof diff;
  stop(): Promise<void>;
}

const DEFAULT_PROBE = {
  interval: '100ms',
  timeout: '1s',
  successesNeeded: 1,
  standbyReadyTimeout: '20s',
  verifyTimeout: '10s',
  primaryCheckTimeout: '5s',
};

/** Instances scale to zero after this long without a request (Cloud Run: about 15 minutes). */
const IDLE_MS = 15 * 60_000;

/** The wait of each page: none while an instance is warm (a minimum kept, or a recent request), else the cold start. */
function coldStarts(coldStartMs: number, service: () => { minInstanceCount: number } | undefined): () => number {
  let readyAt = 0;
  let lastServed = -Infinity;
  return () => {
    const now = Date.now();
    if ((service()?.minInstanceCount ?? 0) > 0) {
      lastServed = now;
      return 0;
    }
    if (readyAt > now) return readyAt - now; // a cold start under way: wait for it
    if (now - lastServed < IDLE_MS) {
      lastServed = now;
      return 0;
    }
    readyAt = now + coldStartMs;
    lastServed = readyAt;
    return coldStartMs;
  };
}

export async function startSandboxWorld(options: SandboxWorldOptions = {}): Promise<SandboxWorld> {
  const host = options.host ?? '127.0.0.1';
  const project = options.project ?? 'sandbox-project';
  const region = options.region ?? 'europe-west1';
  const token = options.cloudflareToken ?? `sandbox-${randomBytes(16).toString('hex')}`;
  const specs = (options.sites ?? ['www']).map((s) => (typeof s === 'string' ? { name: s } : s));

  const api = new CloudApi({ host, port: options.apiPort ?? 0, seed: options.seed ?? 1 });
  const state = api.state;
  state.propagationDelayMs = options.propagationDelayMs ?? 0;
  state.tokens.set(token, new Set([...ALL_CF_PERMISSIONS, API_TOKENS_READ]));
  await api.start();

  const sites: Record<string, SandboxSite> = {};
  const rawSites: Record<string, unknown> = {};
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const s of specs) {
      const spec = { traffic: 'redirect-rule' as const, monitor: true, access: 'cloud-run' as const, ...s };
      const serviceName = `projects/${project}/locations/${region}/services/${spec.name}-standby`;
      const primary = new SiteServer({
        site: spec.name,
        role: 'primary',
        host,
        ...(spec.ports?.primary && { port: spec.ports.primary }),
      });
      const standby = new SiteServer({
        site: spec.name,
        role: 'standby',
        host,
        ...(spec.ports?.standby && { port: spec.ports.standby }),
        gate: (req) =>
          spec.access === 'always-open' || state.isPublic(serviceName) || invokedWithIdToken(state, serviceName, req)
            ? undefined
            : 403,
        ...(options.coldStartMs && { coldStart: coldStarts(options.coldStartMs, () => state.service(serviceName)) }),
      });
      await primary.start();
      started.push(primary);
      await standby.start();
      started.push(standby);

      const runHost = `${spec.name}-standby-x7k2q-ew.a.run.app`;
      state.addService({
        project,
        region,
        service: `${spec.name}-standby`,
        uri: `https://${runHost}`,
        invokerIamDisabled: spec.invokerIamDisabled ?? false,
        bindings: spec.bindings ?? [
          {
            role: INVOKER_ROLE,
            members: [
              `serviceAccount:uptime-checker@${project}.iam.gserviceaccount.com`,
              `serviceAccount:${ORCHESTRATOR_EMAIL}`,
            ],
          },
          { role: 'roles/run.developer', members: ['user:ops@example.test'] },
        ],
      });

      const zone = state.addZone(`${spec.name}.example.test`);
      const site: SandboxSite = {
        name: spec.name,
        spec,
        primary,
        standby,
        edge: undefined as unknown as Edge,
        serviceName,
        zoneId: zone.id,
      };
      const seeded = TRAFFIC_MODES[spec.traffic]({
        state,
        site: spec.name,
        project,
        zone,
        host,
        primaryUrl: primary.url,
        standbyUrl: standby.url,
      });
      Object.assign(site, seeded.ids);
      const edge = new Edge({
        site: spec.name,
        route: seeded.route,
        host,
        ...(spec.ports?.edge && { port: spec.ports.edge }),
      });
      await edge.start();
      started.push(edge);
      site.edge = edge;

      let monitor: Record<string, unknown> = { type: 'none' };
      if (spec.monitor) {
        const policy = state.addAlertPolicy(project, {
          displayName: `${spec.name} is down`,
          documentation: { content: `The primary of ${spec.name} failed its uptime check.`, mimeType: 'text/markdown' },
          userLabels: { failover_site: spec.name },
          combiner: 'OR',
          conditions: [
            {
              displayName: 'Uptime check failed',
              conditionThreshold: {
                filter:
                  'metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND resource.type="uptime_url"',
                comparison: 'COMPARISON_GT',
                thresholdValue: 1,
                duration: '60s',
                trigger: { count: 1 },
                aggregations: [
                  {
                    alignmentPeriod: '1200s',
                    perSeriesAligner: 'ALIGN_NEXT_OLDER',
                    crossSeriesReducer: 'REDUCE_COUNT_FALSE',
                    groupByFields: ['resource.label.*'],
                  },
                ],
              },
            },
          ],
          notificationChannels: [`projects/${project}/notificationChannels/1234567890`],
          enabled: true,
        });
        site.alertPolicy = String(policy.name);
        monitor = { type: 'cloud-monitoring', alertPolicy: site.alertPolicy };
      }

      sites[spec.name] = site;
      rawSites[spec.name] = {
        publicUrl: edge.url,
        primary: { url: `${primary.url}healthz`, marker: MARKER.primary },
        standby: {
          url: standby.url,
          marker: MARKER.standby,
          access:
            spec.access === 'always-open'
              ? { type: 'always-open' }
              : { type: 'cloud-run', project, region, service: `${spec.name}-standby` },
        },
        traffic: seeded.traffic,
        monitor,
        probe: { ...DEFAULT_PROBE, ...options.probe, ...spec.probe },
        ...(options.failback && { failback: options.failback }),
      };
    }
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    await api.stop();
    throw err;
  }

  const port = api.boundPort;
  const rawConfig: Record<string, unknown> = {
    apis: { google: { apiEndpoint: host, port, protocol: 'http' }, cloudflare: { baseURL: `${api.url}/client/v4` } },
    sites: rawSites,
  };
  const config = configSchema.parse(rawConfig);
  const configYaml = (extra: Record<string, unknown> = {}) =>
    `# Generated by sandbox/world.ts: the sites of a local sandbox world (no real cloud).\n${stringify({ ...extra, ...rawConfig })}`;

  const siteOf = (name: string): SandboxSite => {
    const s = sites[name];
    if (!s) throw new Error(`no site "${name}" in this sandbox (sites: ${Object.keys(sites).join(', ')})`);
    return s;
  };
  const serverOf = (name: string, which: SiteServerName) => {
    const s = siteOf(name);
    return which === 'primary' ? s.primary : which === 'standby' ? s.standby : s.edge;
  };
  const info = (): WorldInfo => ({
    apiUrl: api.url,
    sites: Object.fromEntries(
      Object.values(sites).map((s): [string, SandboxSiteInfo] => [
        s.name,
        {
          publicUrl: s.edge.url,
          primaryUrl: s.primary.url,
          standbyUrl: s.standby.url,
          primaryUp: s.primary.isUp,
          standbyPublic: s.spec.access === 'always-open' || state.isPublic(s.serviceName),
          traffic: s.spec.traffic,
          resources: Object.fromEntries(
            Object.entries({
              service: s.serviceName,
              alertPolicy: s.alertPolicy,
              zoneId: s.zoneId,
              pageRuleId: s.pageRuleId,
              rulesetId: s.rulesetId,
              ruleId: s.ruleId,
              recordId: s.recordId,
              urlMap: s.urlMap,
            }).filter((e): e is [string, string] => e[1] !== undefined),
          ),
        },
      ]),
    ),
  });

  const control: SandboxControl = {
    info: async () => info(),
    killPrimary: (name, mode: KillMode = 'refuse') => siteOf(name).primary.kill(mode),
    revivePrimary: (name) => siteOf(name).primary.revive(),
    setOverride: async (name, which, status) => void (serverOf(name, which).override = status ?? undefined),
    addFault: async (rule: FaultRule) => api.faults.add(rule),
    removeFault: async (id) => api.faults.remove(id),
    clearFaults: async () => api.faults.clear(),
    faults: async () => api.faults.list(),
    held: async () => api.faults.heldRequests(),
    waitForHeld: (filter, timeoutMs) => api.faults.waitForHeld(filter, timeoutMs),
    release: async (id, opts = {}) => api.faults.release(id, opts.drop ? 'drop' : 'release'),
    snapshot: async () => state.snapshot(),
    audit: async (since) => api.log.audit(since),
    calls: async (since) => api.log.calls(since),
    seq: async () => api.log.lastSeq,
    setPropagationDelay: async (ms) => void (state.propagationDelayMs = ms),
    iam: async () => iamOf(state).info(),
    changeIam: async (change) => {
      iamOf(state).change(change);
      return iamOf(state).info();
    },
    setCloudflareToken: async (groups, meta) => {
      state.tokens.set(token, new Set(groups));
      if (meta) setTokenMeta(state, token, meta);
    },
  };

  // The same controls over HTTP, for the demo, drills and the CLI in other processes.
  api.controlHook = async (method, parts, body): Promise<ApiResponse | undefined> => {
    const ok = (b: unknown = {}): ApiResponse => ({ status: 200, body: b });
    if (method === 'GET' && parts.join('/') === 'world') return ok(info());
    if (method === 'POST' && parts.join('/') === 'cloudflare-token')
      return ok(
        await control.setCloudflareToken(
          (body as { groups?: string[] } | undefined)?.groups ?? [],
          (body as { meta?: TokenMeta } | undefined)?.meta,
        ),
      );
    if (method === 'GET' && parts.join('/') === 'config')
      return ok({ yaml: configYaml(), env: ['CLOUDFLARE_API_TOKEN'] });
    if (parts[0] !== 'sites' || !parts[1] || !sites[parts[1]]) return undefined;
    const [, name, which, action] = parts as [string, string, string, string | undefined];
    const b = (body ?? {}) as { mode?: KillMode; status?: number | null };
    if (method === 'POST' && which === 'primary' && action === 'kill')
      return ok(await control.killPrimary(name, b.mode ?? 'refuse'));
    if (method === 'POST' && which === 'primary' && action === 'revive') return ok(await control.revivePrimary(name));
    if (
      method === 'POST' &&
      (which === 'primary' || which === 'standby' || which === 'edge') &&
      action === 'override'
    ) {
      return ok(await control.setOverride(name, which, b.status ?? null));
    }
    return undefined;
  };

  return {
    api,
    sites,
    urls: {
      api: api.url,
      google: { apiEndpoint: host, port, protocol: 'http' },
      cloudflare: `${api.url}/client/v4`,
      sites: Object.fromEntries(
        Object.values(sites).map((s) => [
          s.name,
          { public: s.edge.url, primary: s.primary.url, standby: s.standby.url },
        ]),
      ),
    },
    config,
    rawConfig,
    env: { CLOUDFLARE_API_TOKEN: token, GCE_METADATA_HOST: `${host}:${port}` },
    configYaml,
    writeConfig: (path, extra) => writeFileSync(path, configYaml(extra)),
    control,
    snapshot: () => state.snapshot(),
    diff,
    async stop() {
      for (const s of Object.values(sites)) {
        await s.edge.stop();
        await s.standby.stop();
        await s.primary.stop();
      }
      await api.stop();
    },
  };
}

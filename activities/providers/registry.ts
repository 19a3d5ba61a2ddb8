// Every provider, one line each: the config schema (config/site-schema.ts), the adapters
// (clients/providers.ts) and the step policies (config/policies.ts) are all built from this list.
// A new lever is its folder and one line here.
import { dnsTraffic } from './cloudflare/dns/index.ts';
import { pageRuleTraffic } from './cloudflare/page-rule/index.ts';
import { redirectRuleTraffic } from './cloudflare/redirect-rule/index.ts';
import type { LeverKind, ProviderDescriptor } from './descriptor.ts';
import { alwaysOpenAccess } from './fixed/always-open/index.ts';
import { noMonitorProvider } from './fixed/none/index.ts';
import { cloudRunAccess } from './google/cloud-run/index.ts';
import { googleLoadBalancerTraffic } from './google/load-balancer/index.ts';
import { alertPolicyMonitor } from './google/monitoring/index.ts';
import { inMemoryMonitor } from './in-memory/monitor/index.ts';
import { inMemoryStandbyAccess } from './in-memory/standby-access/index.ts';
import { inMemoryTraffic } from './in-memory/traffic/index.ts';

export const PROVIDERS = [
  inMemoryStandbyAccess,
  cloudRunAccess,
  alwaysOpenAccess,
  inMemoryTraffic,
  pageRuleTraffic,
  redirectRuleTraffic,
  dnsTraffic,
  googleLoadBalancerTraffic,
  inMemoryMonitor,
  alertPolicyMonitor,
  noMonitorProvider,
] as const;

export type Provider = (typeof PROVIDERS)[number];
/** The providers of one lever, as a union of their descriptor types. */
export type ProviderOf<K extends LeverKind> = Extract<Provider, { kind: K }>;

export const providersOf = <K extends LeverKind>(kind: K): ProviderOf<K>[] =>
  PROVIDERS.filter((p): p is ProviderOf<K> => p.kind === kind);

const BY_TYPE = new Map<string, ProviderDescriptor>(PROVIDERS.map((p) => [`${p.kind}:${p.type}`, p]));

/** The provider behind a lever's config `type` (undefined: none is registered). */
export const providerFor = (kind: LeverKind, type: string): ProviderDescriptor | undefined =>
  BY_TYPE.get(`${kind}:${type}`);

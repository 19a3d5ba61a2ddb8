// A site's three levers and the registered provider behind each: what the policies and the
// warnings ask of the provider registry.
import type { LeverKind, ProviderDescriptor } from '../activities/providers/descriptor.ts';
import { providerFor } from '../activities/providers/registry.ts';
import type { SiteConfig } from './schema.ts';

/** Each lever's config with its kind and its path in the site's config. */
export const leverConfigs = (site: SiteConfig): [LeverKind, { type: string }, string][] => [
  ['standbyAccess', site.standby.access, 'standby.access'],
  ['traffic', site.traffic, 'traffic'],
  ['monitor', site.monitor, 'monitor'],
];

/** The provider of one of a site's levers (the schema admits only registered types). */
export function leverProvider(kind: LeverKind, cfg: { type: string }): ProviderDescriptor {
  const provider = providerFor(kind, cfg.type);
  if (!provider) throw new Error(`no ${kind} provider is registered for type "${cfg.type}"`);
  return provider;
}

// Library functions whose module moves in the refactor (worker/config.ts → config/*.ts), found
// where they live now, so the drill and its tests work on either layout.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Module = Record<string, unknown>;

async function firstModule(candidates: string[], name: string): Promise<(...args: never[]) => unknown> {
  for (const c of candidates) {
    const url = new URL(c, import.meta.url);
    if (!existsSync(fileURLToPath(url))) continue;
    const f = ((await import(url.href)) as Module)[name];
    if (typeof f === 'function') return f as (...args: never[]) => unknown;
  }
  throw new Error(`no ${name}() in ${candidates.join(' or ')}`);
}

/** The part of a site's config the incident workflow takes as input (config's incidentPolicy()). */
export async function incidentPolicy(site: unknown): Promise<unknown> {
  const f = (await firstModule(['../config/policies.ts', '../worker/config.ts'], 'incidentPolicy')) as (
    s: unknown,
  ) => unknown;
  return f(site);
}

/** What the drill reads from a sites config. */
export interface SitesConfig {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    tls: boolean | { serverName?: string; caFile?: string; certFile?: string; keyFile?: string };
  };
  sites: Record<string, { publicUrl: string; primary: { marker?: string }; standby: { marker?: string } }>;
}

/** Loads and validates a sites config file (config's loadConfig()). */
export async function loadSitesConfig(path: string): Promise<SitesConfig> {
  const f = (await firstModule(['../config/load.ts', '../worker/config.ts'], 'loadConfig')) as (
    p: string,
  ) => SitesConfig;
  return f(path);
}

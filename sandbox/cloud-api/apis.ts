// The APIs the simulator speaks, one module each: server.ts routes every request through this
// list, so a new API is its file and one line here.
import type { SimulatedApi } from './api-module.ts';
import { cloudRunApi } from './cloud-run.ts';
import { cloudflareApi } from './cloudflare.ts';
import { computeApi } from './url-maps.ts';
import { metadataApi } from './metadata.ts';
import { monitoringApi } from './monitoring.ts';
import { resourceManagerApi } from './resource-manager.ts';

export const APIS = [
  cloudRunApi,
  monitoringApi,
  cloudflareApi,
  computeApi,
  metadataApi,
  resourceManagerApi,
] as const satisfies readonly SimulatedApi[];

/** The name of a simulated API (in routes, fault rules and the audit log). */
export type Api = (typeof APIS)[number]['name'];

const BY_NAME = new Map<string, SimulatedApi>(APIS.map((a) => [a.name, a]));

export function apiNamed(name: string): SimulatedApi {
  const api = BY_NAME.get(name);
  if (!api) throw new Error(`no simulated API "${name}"`);
  return api;
}

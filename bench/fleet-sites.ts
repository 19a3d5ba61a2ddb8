// The fleet benchmark's sites and config, built alike by the benchmark and its worker processes.
import type { ProbePolicy } from '../activities/providers/types.ts';
import type { Config } from '../config/schema.ts';
import { inMemoryConfig } from '../harness/sites.ts';

export const fleetSites = (n: number, tag: string): string[] =>
  Array.from({ length: n }, (_, i) => `fleet-${tag}-${i}`);

/** Probe bounds wide enough that a loaded machine slows a failover down but never rolls it back. */
export function fleetConfig(sites: string[], probe: ProbePolicy): Config {
  return inMemoryConfig(sites, {
    probe: {
      interval: `${probe.intervalMs}ms`,
      successesNeeded: probe.successesNeeded,
      standbyReadyTimeout: '10m',
      verifyTimeout: '10m',
    },
  });
}

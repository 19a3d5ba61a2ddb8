// Configs and helpers for suites that run incidents on the in-memory world.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { type Config, configSchema } from '../config/schema.ts';
import { type IncidentHandle, type IncidentLookup, Incidents } from '../clients/incidents.ts';
import { statusQuery } from '../workflows/incident-messages.ts';
import type { IncidentStatus, Phase } from '../workflows/incident-types.ts';

export function uniqueSite(prefix = 's'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * A config whose sites all use in-memory providers, with timeouts short enough for tests;
 * `site` is merged into every site, `top` adds top-level sections (temporal, alerts, watcher).
 */
export function inMemoryConfig(
  sites: string[],
  site: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Config {
  const one = {
    publicUrl: 'https://www.example.test/',
    primary: { url: 'https://home.example.test/healthz' },
    standby: { url: 'https://standby.example.test/', access: { type: 'in-memory' } },
    traffic: { type: 'in-memory' },
    monitor: { type: 'in-memory' },
    probe: {
      interval: '20ms',
      successesNeeded: 1,
      standbyReadyTimeout: '2s',
      verifyTimeout: '2s',
      primaryCheckTimeout: '1s',
    },
    ...site,
  };
  return configSchema.parse({ ...top, sites: Object.fromEntries(sites.map((s) => [s, one])) });
}

export function testWorld(): InMemoryWorld {
  return new InMemoryWorld({ intervalMs: 20, successesNeeded: 1 });
}

export async function trigger(client: Client, config: Config, taskQueue: string, site: string, alertId = 'alert-1') {
  return Incidents.of(client, config, taskQueue).trigger(site, { alertId, source: 'test' });
}

/** The site's latest incident, for suites that only look (no policy needed). */
export function lookupIncident(client: Client, site: string): Promise<IncidentLookup> {
  return new Incidents(client, 'unused', () => {
    throw new Error('lookups start nothing');
  }).lookup(site);
}

export async function waitForPhase(
  handle: IncidentHandle,
  phase: Phase | Phase[],
  timeoutMs = 30_000,
): Promise<IncidentStatus> {
  const wanted = Array.isArray(phase) ? phase : [phase];
  const deadline = Date.now() + timeoutMs;
  let last: IncidentStatus | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(statusQuery);
    if (wanted.includes(last.phase)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `phase ${wanted.join('|')} not reached in ${timeoutMs} ms; last status: ${JSON.stringify(last, null, 1)}`,
  );
}

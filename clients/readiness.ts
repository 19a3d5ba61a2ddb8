// What the readiness checks need of the config and of Temporal: each site's target
// (activities/readiness/target.ts), and its history from visibility (the last incident, the
// previous readiness verdict).
import type { Client } from '@temporalio/client';
import type { ReadinessHistory, ReadinessTarget } from '../activities/readiness/target.ts';
import type { Config } from '../config/schema.ts';
import { READY_VALUE } from '../workflows/readiness-types.ts';
import { readyAttribute } from '../workflows/search-attributes.ts';

export function readinessTarget(config: Config, site: string): ReadinessTarget | undefined {
  const s = config.sites[site];
  if (!s) return undefined;
  return {
    standbyUrl: s.standby.url,
    ...(s.standby.marker && { standbyMarker: s.standby.marker }),
    standbyExpectStatus: s.standby.expectStatus,
    primaryUrl: s.primary.url,
    standbyAlwaysOpen: s.standby.access.type === 'always-open',
    inMemory: s.standby.access.type === 'in-memory' || s.traffic.type === 'in-memory',
    probeTimeoutMs: s.probe.timeout,
    ...(s.readiness?.version && { version: s.readiness.version }),
  };
}

/** A site name is a-z0-9- only (config/schema.ts), so it is safe inside a visibility query. */
export function readinessHistory(client: Client): ReadinessHistory {
  const first = async (query: string) => {
    for await (const w of client.workflow.list({ query, pageSize: 1 })) return w;
    return undefined;
  };
  return {
    async lastIncident(site) {
      const w = await first(`WorkflowType = 'incident' AND FailoverSite = '${site}'`);
      return w && { workflowId: w.workflowId, startTime: w.startTime.toISOString(), status: w.status.name };
    },
    async previousReady(site) {
      const w = await first(
        `WorkflowType = 'readiness' AND FailoverSite = '${site}' AND ExecutionStatus = 'Completed'`,
      );
      const v = w?.typedSearchAttributes.get(readyAttribute);
      return v === undefined ? undefined : v === READY_VALUE.ready;
    },
  };
}

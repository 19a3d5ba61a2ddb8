// What the workflow-level failure suites share: sites with their own worker on the suite's dev
// server, and waiting for a status the incident reaches.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect } from 'vitest';
import type { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import type { IncidentHandle } from '../../clients/incidents.ts';
import type { ProviderRegistry } from '../../activities/providers/types.ts';
import { buildRegistry } from '../../clients/providers.ts';
import type { Config } from '../../config/schema.ts';
import { testWorld, uniqueSite } from '../../harness/sites.ts';
import { statusQuery } from '../../workflows/incident-messages.ts';
import type { IncidentStatus } from '../../workflows/incident-types.ts';
import { CONTINUE_AS_NEW_AFTER_EVENTS } from './global-setup.ts';
import { type RunningWorker, startWorker } from './temporal.ts';

/** `count` fresh sites on an in-memory world, with a worker for the describe block they are made in. */
export function incidentSuite(
  prefix: string,
  makeConfig: (sites: string[]) => Config,
  count: number,
  wrap: (registry: ProviderRegistry) => ProviderRegistry = (r) => r,
) {
  const h = {
    sites: Array.from({ length: count }, () => uniqueSite(prefix)),
    world: undefined as unknown as InMemoryWorld,
    config: undefined as unknown as Config,
    worker: undefined as unknown as RunningWorker,
  };
  beforeAll(async () => {
    h.world = testWorld();
    h.config = makeConfig(h.sites);
    h.worker = await startWorker(wrap(buildRegistry(h.config, { world: h.world })));
  });
  afterAll(async () => h.worker?.shutdown());
  return h;
}

/** The incident's status once `done` holds, or an error naming `what` with the last status. */
export async function waitUntil(
  handle: IncidentHandle,
  what: string,
  done: (s: IncidentStatus) => boolean,
  timeoutMs = 30_000,
): Promise<IncidentStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: IncidentStatus | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(statusQuery).catch(() => last); // a query may fail while continuing as new
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} not seen in ${timeoutMs} ms; last status: ${JSON.stringify(last, null, 1)}`);
}

/** Sends `send(i)` until Temporal suggests continue-as-new (each signal is an event), then waits for the next run. */
export async function floodUntilContinuedAsNew(
  client: Client,
  handle: { workflowId: string },
  send: (i: number) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < CONTINUE_AS_NEW_AFTER_EVENTS; i++) await send(i);
  const runs = async () =>
    (
      await client.workflowService.listWorkflowExecutions({
        namespace: 'default',
        query: `WorkflowId = '${handle.workflowId}'`,
      })
    ).executions.length;
  await expect.poll(runs, { timeout: 20_000 }).toBeGreaterThan(1);
}

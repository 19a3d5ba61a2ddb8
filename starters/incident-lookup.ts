// Reading a site's latest incident from the outside: is one running, in which phase, and did an
// ended one already handle a given alert. Used by the bridge (late duplicates) and the CLI.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { incident } from '../workflows/incident.ts';
import { incidentWorkflowId, statusQuery } from '../workflows/messages.ts';
import { phaseAttribute } from '../workflows/search-attributes.ts';
import type { AlertOpened, IncidentStatus } from '../workflows/types.ts';

export type IncidentState = 'none' | 'running' | 'ended';

export interface IncidentLookup {
  state: IncidentState;
  description?: WorkflowExecutionDescription;
  /** From the FailoverPhase search attribute (no worker needed to read it). */
  phase?: string;
}

function handleOf(client: Client, site: string) {
  return client.workflow.getHandle<typeof incident>(incidentWorkflowId(site));
}

/** The latest run of the site's incident workflow (continue-as-new followed). */
export async function lookupIncident(client: Client, site: string): Promise<IncidentLookup> {
  try {
    const description = await handleOf(client, site).describe();
    const phase = description.typedSearchAttributes.get(phaseAttribute);
    return { state: description.status.name === 'RUNNING' ? 'running' : 'ended', description, ...(phase !== undefined && { phase }) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'none' };
    throw err;
  }
}

/**
 * Did the site's latest (ended) incident already receive this alert? Read from its result when it
 * completed, else from the alertOpened signals in its history (terminated, failed, timed out).
 */
export async function endedIncidentSawAlert(client: Client, site: string, lookup: IncidentLookup, alertId: string): Promise<boolean> {
  if (lookup.state !== 'ended' || !lookup.description) return false;
  const handle = client.workflow.getHandle<typeof incident>(incidentWorkflowId(site), lookup.description.runId);
  if (lookup.description.status.name === 'COMPLETED') {
    const result = await handle.result();
    if (result.triggers.some((t) => t.kind === 'alert_opened' && t.id === alertId)) return true;
    // The trigger list is capped; a long incident may have dropped it: fall through to the history.
    if (result.triggersDropped === 0) return false;
  }
  const history = await handle.fetchHistory();
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== 'alertOpened') continue;
    const payload = signal.input?.payloads?.[0];
    if (!payload) continue;
    try {
      const alert = defaultPayloadConverter.fromPayload<AlertOpened>(payload);
      if (alert?.alertId === alertId) return true;
    } catch {
      /* not ours to judge */
    }
  }
  return false;
}

export interface IncidentView {
  lookup: IncidentLookup;
  /** The incident's own status: queried while running, its result once ended. */
  status?: IncidentStatus;
  /** Why `status` could not be read (e.g. no worker answers the query). */
  statusError?: string;
}

/** Everything the CLI shows about a site's latest incident. */
export async function viewIncident(client: Client, site: string, queryTimeoutMs = 5000): Promise<IncidentView> {
  const lookup = await lookupIncident(client, site);
  if (lookup.state === 'none' || !lookup.description) return { lookup };
  const handle = client.workflow.getHandle<typeof incident>(incidentWorkflowId(site), lookup.description.runId);
  try {
    if (lookup.state === 'running') {
      const status = await client.connection.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(statusQuery));
      return { lookup, status };
    }
    if (lookup.description.status.name === 'COMPLETED') return { lookup, status: await handle.result() };
    return { lookup, statusError: `the incident ended ${lookup.description.status.name.toLowerCase().replace('_', ' ')}` };
  } catch (err) {
    return { lookup, statusError: err instanceof Error ? err.message : String(err) };
  }
}

// How every starter (bridge, watcher, CLI) reaches a site's incident workflow.
import type { Client, WorkflowHandle, WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { type Config, incidentPolicy, siteConfig } from '../worker/config.ts';
import { alertOpened, incidentWorkflowId } from '../workflows/messages.ts';
import { siteAttribute } from '../workflows/search-attributes.ts';
import type { AlertOpened } from '../workflows/types.ts';
import type { incident } from '../workflows/incident.ts';

export type IncidentHandle = WorkflowHandle<typeof incident>;

/**
 * Starts the site's incident with the alert, or signals the one already running
 * (signal-with-start: the workflow ID is the site's, so a second trigger joins the first).
 */
export async function triggerIncident(
  client: Client,
  config: Config,
  taskQueue: string,
  site: string,
  alert: AlertOpened,
): Promise<WorkflowHandleWithSignaledRunId<typeof incident>> {
  return client.workflow.signalWithStart<typeof incident, [AlertOpened]>('incident', {
    workflowId: incidentWorkflowId(site),
    taskQueue,
    args: [{ site, policy: incidentPolicy(siteConfig(config, site)) }],
    signal: alertOpened,
    signalArgs: [alert],
    typedSearchAttributes: new TypedSearchAttributes([{ key: siteAttribute, value: site }]),
  });
}

/** The running incident of a site, or undefined when there is none. */
export async function runningIncident(client: Client, site: string): Promise<IncidentHandle | undefined> {
  const handle = client.workflow.getHandle<typeof incident>(incidentWorkflowId(site));
  try {
    const { status } = await handle.describe();
    return status.name === 'RUNNING' ? handle : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

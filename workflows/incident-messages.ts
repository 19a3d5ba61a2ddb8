// The incident workflow's public surface: its ID, signals, query and update.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FailbackAccepted, IncidentStatus } from './incident-types.ts';
import type { Actor, AlertClosed, AlertOpened } from './types.ts';

/** One incident per site at a time: the workflow ID is derived from the site alone. */
export function incidentWorkflowId(site: string): string {
  return `incident-${site}`;
}

export const alertOpened = defineSignal<[AlertOpened]>('alertOpened');
export const alertClosed = defineSignal<[AlertClosed]>('alertClosed');
export const primaryRecovered = defineSignal<[Actor]>('primaryRecovered');
export const approveFailback = defineSignal<[Actor]>('approveFailback');
export const abort = defineSignal<[Actor]>('abort');
/** From needs_attention: run the pending steps (or the failover) again. */
export const retry = defineSignal<[Actor]>('retry');
/** From needs_attention: accept the world as it is and end the incident. */
export const acknowledge = defineSignal<[Actor]>('acknowledge');

export const statusQuery = defineQuery<IncidentStatus>('status');

/** Validated: refused with a reason unless the site is on standby. */
export const requestFailback = defineUpdate<FailbackAccepted, [Actor]>('requestFailback');

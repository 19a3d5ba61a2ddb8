// The health watcher's public surface: its workflow ID, query and signals.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { WatchPolicy, WatchStatus } from './watch-types.ts';

/** One watcher per site: the workflow ID is derived from the site alone. */
export function watchWorkflowId(site: string): string {
  return `watch-${site}`;
}

export const watchStatusQuery = defineQuery<WatchStatus>('watchStatus');
/** New policy (config change): probes restart with it. Sent by signal-with-start, so it also starts the watcher. */
export const reconfigureWatch = defineSignal<[WatchPolicy]>('reconfigureWatch');
export const stopWatch = defineSignal<[{ by: string }]>('stopWatch');

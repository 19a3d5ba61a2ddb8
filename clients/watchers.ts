// The health watchers, seen from outside: started (or handed the current policy) for every
// watched site, and their status read.
import type { Client } from '@temporalio/client';
import { type WatchTuning, watchPolicy, watchedSites } from '../config/policies.ts';
import type { Config } from '../config/schema.ts';
import type { watch } from '../workflows/watch.ts';
import { reconfigureWatch, watchStatusQuery, watchWorkflowId } from '../workflows/watch-messages.ts';
import type { WatchPolicy, WatchStatus } from '../workflows/watch-types.ts';

/**
 * Starts the watcher of every watched site, or hands a running one the current policy
 * (signal-with-start: idempotent, and a config change reaches running watchers).
 */
export async function ensureWatchers(
  client: Client,
  config: Config,
  taskQueue: string,
  tuning: WatchTuning = {},
): Promise<string[]> {
  const sites = watchedSites(config);
  await Promise.all(
    sites.map((site) => {
      const policy = watchPolicy(config, site, taskQueue, tuning);
      return client.workflow.signalWithStart<typeof watch, [WatchPolicy]>('watch', {
        workflowId: watchWorkflowId(site),
        taskQueue,
        args: [{ site, policy }],
        signal: reconfigureWatch,
        signalArgs: [policy],
      });
    }),
  );
  return sites;
}

/** The watcher's status, or undefined when it does not answer within the bound. */
export async function watcherStatus(client: Client, site: string, timeoutMs = 2000): Promise<WatchStatus | undefined> {
  try {
    const handle = client.workflow.getHandle(watchWorkflowId(site));
    return await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.query(watchStatusQuery));
  } catch {
    return undefined;
  }
}

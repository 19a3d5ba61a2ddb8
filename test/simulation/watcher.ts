// The health watcher in the simulation: one probe location over the in-memory world, and a watcher
// for each incident that draws a watcher event (a config change, the locations going silent).
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import { ensureWatchers } from '../../clients/watchers.ts';
import { type Config, configSchema } from '../../config/schema.ts';
import { createLocationWorker } from '../../worker/workers.ts';
import { watchStatusQuery, watchWorkflowId } from '../../workflows/watch-messages.ts';
import type { IncidentStatus } from '../../workflows/incident-types.ts';

/** The one location a worker serves. */
const LOCATION = 'sim';
/** A location no worker serves: the watcher configured with it alone hears nothing. */
const SILENT = 'silent';
const WATCHER = { timeout: '300ms', failuresToTrigger: 3, successesToRecover: 2, quorum: 1 };

/** The probe worker of the simulation's location; `stop()` ends it. */
export async function startLocation(
  address: string,
  taskQueue: string,
  world: InMemoryWorld,
): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address });
  const worker = await createLocationWorker({ connection, taskQueue, location: LOCATION, registry: world });
  const done = worker.run().finally(() => connection.close());
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => {});
    },
  };
}

/** One site's watcher, driven by the simulation's events. */
export class SimWatcher {
  silencedAt: number | undefined;
  /** When the watcher restarted its probes on the silent location (its own note), read as it stops. */
  silenceTakenAt: number | undefined;
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly sites: Record<string, unknown>;
  private readonly site: string;

  constructor(client: Client, taskQueue: string, site: string, sites: Record<string, unknown>) {
    this.client = client;
    this.taskQueue = taskQueue;
    this.site = site;
    this.sites = sites;
  }

  start(): Promise<unknown> {
    return this.configure(100, [LOCATION]);
  }

  /** A config change: another interval, handed to the running watcher (its probes restart). */
  reconfigure(): Promise<unknown> {
    return this.configure(150, this.silencedAt === undefined ? [LOCATION] : [SILENT]);
  }

  /** The watcher's only location becomes one no worker serves. */
  silence(): Promise<unknown> {
    this.silencedAt = Date.now();
    return this.configure(100, [SILENT]);
  }

  async stop(): Promise<void> {
    const handle = this.client.workflow.getHandle(watchWorkflowId(this.site));
    const silenced = this.silencedAt;
    if (silenced !== undefined) {
      // A report of the old location taken before the watcher restarted its probes still counts.
      const status = await handle.query(watchStatusQuery).catch(() => undefined);
      this.silenceTakenAt = status?.events.findLast((e) => e.what === 'reconfigured' && e.at >= silenced)?.at;
    }
    await handle.terminate('simulation: incident checked').catch(() => {});
  }

  private configure(intervalMs: number, locations: string[]): Promise<unknown> {
    const config: Config = configSchema.parse({
      sites: this.sites,
      watcher: { ...WATCHER, interval: `${intervalMs}ms`, locations },
    });
    return ensureWatchers(this.client, config, this.taskQueue, { maxProbeRunMs: 5000 });
  }
}

/**
 * Triggers the watcher decided after it restarted its probes on the silent location: it heard
 * nothing since. Its alert ID carries when it decided (`watcher:<site>:<ISO time>`); the incident
 * may receive it much later under load.
 */
export function triggersAfterSilence(status: IncidentStatus | undefined, takenAt: number | undefined): number {
  if (!status || takenAt === undefined) return 0;
  const decidedAt = (id = '') => Date.parse(/:(\d{4}-\d\d-\d\dT[\d:.]+Z)$/.exec(id)?.[1] ?? '');
  return status.triggers.filter((t) => t.kind === 'alert_opened' && t.source === 'watcher' && decidedAt(t.id) > takenAt)
    .length;
}

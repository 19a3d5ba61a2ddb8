// The health watcher in the simulation: one probe location over the in-memory world, and a watcher
// for each incident that draws a watcher event (a config change, the locations going silent).
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import { ensureWatchers } from '../../clients/watchers.ts';
import { type Config, configSchema } from '../../config/schema.ts';
import { createLocationWorker } from '../../worker/workers.ts';
import { watchWorkflowId } from '../../workflows/watch-messages.ts';
import type { IncidentStatus } from '../../workflows/incident-types.ts';

/** The one location a worker serves. */
const LOCATION = 'sim';
/** A location no worker serves: the watcher configured with it alone hears nothing. */
const SILENT = 'silent';
const WATCHER = { timeout: '300ms', failuresToTrigger: 3, successesToRecover: 2, quorum: 1 };
/** A probe report already on its way when the locations went silent may still land within this. */
export const SILENCE_GRACE_MS = 1500;

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
    await this.client.workflow
      .getHandle(watchWorkflowId(this.site))
      .terminate('simulation: incident checked')
      .catch(() => {});
  }

  private configure(intervalMs: number, locations: string[]): Promise<unknown> {
    const config: Config = configSchema.parse({
      sites: this.sites,
      watcher: { ...WATCHER, interval: `${intervalMs}ms`, locations },
    });
    return ensureWatchers(this.client, config, this.taskQueue, { maxProbeRunMs: 5000 });
  }
}

/** Triggers from the watcher after its locations went silent (beyond the grace): it heard nothing. */
export function triggersAfterSilence(status: IncidentStatus | undefined, silencedAt: number | undefined): number {
  if (!status || silencedAt === undefined) return 0;
  return status.triggers.filter(
    (t) => t.kind === 'alert_opened' && t.source === 'watcher' && (t.lastAt ?? t.at) > silencedAt + SILENCE_GRACE_MS,
  ).length;
}

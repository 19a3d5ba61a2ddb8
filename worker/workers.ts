// The one place a worker is assembled: the workflows it hosts, the activities it registers, and
// the options it runs with. The worker and watcher processes, benchmarks, history recorders and
// tests all build their workers here.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createIncidentActivities } from '../activities/incident.ts';
import type { Notifiers } from '../activities/notifications/channel.ts';
import { createNotificationActivities } from '../activities/notify.ts';
import type { ProbeRegistry, ProviderRegistry } from '../activities/providers/types.ts';
import { type ReadinessDeps, createReadinessActivities } from '../activities/readiness/index.ts';
import { createWatchProbeActivities } from '../activities/watch-probe.ts';
import { type IncidentControl, createWatchTriggerActivities } from '../activities/watch-trigger.ts';
import { watchTaskQueue } from '../config/policies.ts';
import { type ResolvedTemporal, connectionOptions } from '../clients/temporal.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export function connectWorker(t: ResolvedTemporal): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(t));
}

/** The workflows a worker runs: from source (bundled at start), or an already built bundle (tests). */
export type WorkflowSource = { workflowsPath: string } | { workflowBundle: { code: string } };

/** The activities of the main worker: every step, the notifications, readiness checks, and the watcher's triggers when it has incidents to reach. */
function mainActivities(
  registry: ProviderRegistry,
  incidents?: IncidentControl,
  notifiers?: Notifiers,
  readiness?: ReadinessDeps,
) {
  return {
    ...createIncidentActivities(registry),
    ...createNotificationActivities(notifiers),
    ...(incidents && createWatchTriggerActivities(incidents)),
    ...(readiness && createReadinessActivities(readiness)),
  };
}

export interface MainWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  registry: ProviderRegistry;
  /** Needed by the watcher's trigger activities; without it the worker hosts incidents only. */
  incidents?: IncidentControl;
  /** The notification channels (clients/notifiers.ts); without them a notification fails, and is given up. */
  notifiers?: Notifiers;
  /** Needed by the readiness workflow's checks (docs/readiness.md). */
  readiness?: ReadinessDeps;
  workflows?: WorkflowSource;
  /** Anything else (slots, pollers, grace time) for benchmarks and tests. */
  tuning?: Partial<WorkerOptions>;
}

/**
 * Activity slots. The steps wait on provider APIs and probe intervals, not on this process's CPU:
 * a failover holds a slot for ~2.3 s at 300 ms a call, so the SDK's 100 slots cap a fleet at
 * ~43 failovers/s (500 sites at once: ≥ 11.5 s of queueing alone). 1,000 lets 500 sites (two
 * activities each at most: the critical step and the monitor's pause) run without queueing;
 * what limits them then is CPU (docs/benchmarks.md, `npm run bench:fleet`).
 */
const ACTIVITY_SLOTS = 1000;

/** Runs the incident and watch workflows and their activities. */
export function createMainWorker(o: MainWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: o.taskQueue,
    ...(o.workflows ?? { workflowsPath: WORKFLOWS_PATH }),
    activities: mainActivities(o.registry, o.incidents, o.notifiers, o.readiness),
    shutdownGraceTime: '30s',
    maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS,
    ...o.tuning,
  });
}

export interface LocationWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** The main task queue; the location's is derived from it. */
  taskQueue: string;
  location: string;
  /** Only the probers: a probe-only location needs no provider credentials (clients/providers.ts buildProbeRegistry). */
  registry: ProbeRegistry;
}

/** A worker that only probes the primaries, from one watcher location. */
export function createLocationWorker(o: LocationWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: watchTaskQueue(o.taskQueue, o.location),
    activities: createWatchProbeActivities(o.registry),
    // Probes never finish on their own and their progress is in their heartbeats: on shutdown
    // they stop at once and are retried on another worker of the location.
    shutdownGraceTime: '0s',
  });
}

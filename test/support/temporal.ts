// Starts an in-process worker against the suite's real Temporal dev server.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { inject } from 'vitest';
import { type WorkflowSource, createMainWorker } from '../../worker/workers.ts';
import type { ProviderRegistry } from '../../activities/providers/types.ts';
import type { Notifiers } from '../../activities/notifications/channel.ts';
import type { ReadinessDeps } from '../../activities/readiness/index.ts';

let runtimeInstalled = false;
/** Temporal's runtime logs only errors in tests (once per test process). */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    shutdownSignals: [],
  });
}

/** The workflow bundle the global setup built once for every suite. */
export function testWorkflows(): WorkflowSource {
  return { workflowBundle: { code: inject('workflowBundle') } };
}

export async function testClient(): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection });
}

export interface RunningWorker {
  worker: Worker;
  taskQueue: string;
  /** Resolves when the worker has stopped (after shutdown()). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface WorkerOptions {
  taskQueue?: string;
  shutdownGraceTime?: string;
  notifiers?: Notifiers;
  /** The readiness workflow's checks (docs/readiness.md). */
  readiness?: ReadinessDeps;
}

export async function startWorker(registry: ProviderRegistry, options: WorkerOptions = {}): Promise<RunningWorker> {
  const taskQueue = options.taskQueue ?? `tq-${randomUUID()}`;
  quietRuntime();
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await createMainWorker({
    connection,
    taskQueue,
    registry,
    ...(options.notifiers && { notifiers: options.notifiers }),
    ...(options.readiness && { readiness: options.readiness }),
    workflows: testWorkflows(),
    tuning: { shutdownGraceTime: options.shutdownGraceTime ?? '10s' },
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    taskQueue,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

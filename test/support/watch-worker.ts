// Workers for the health watcher suites: the main worker (incident + watcher workflows, incident
// activities and the watcher's trigger activities) and one probe worker per watcher location.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import type { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import type { Endpoint, ProbeRegistry, ProbeResult, ProviderRegistry } from '../../activities/providers/types.ts';
import type { IncidentControl } from '../../activities/watch-trigger.ts';
import { Incidents } from '../../clients/incidents.ts';
import { createLocationWorker, createMainWorker } from '../../worker/workers.ts';
import { quietRuntime, testWorkflows } from './temporal.ts';
import type { Config } from '../../config/schema.ts';
import type { Target } from '../../workflows/types.ts';

/** A primary whose health the test scripts check by check; afterwards it answers `up`. */
export class ScriptedPrimary {
  up = true;
  readonly script: boolean[] = [];
  readonly checks: { at: number; ok: boolean }[] = [];

  check(): ProbeResult {
    const ok = this.script.length > 0 ? this.script.shift()! : this.up;
    this.checks.push({ at: Date.now(), ok });
    return ok ? { ok, detail: '200 OK in 3 ms' } : { ok, detail: 'connect ECONNREFUSED' };
  }

  /** Index (1-based) and time of the check that completed the first run of `k` failures. */
  kthConsecutiveFailure(k: number): { index: number; at: number } | undefined {
    let run = 0;
    for (const [i, c] of this.checks.entries()) {
      run = c.ok ? 0 : run + 1;
      if (run === k) return { index: i + 1, at: c.at };
    }
    return undefined;
  }
}

/** The world's providers, with the primary seen through a scripted probe (one vantage point). */
export function vantage(world: InMemoryWorld, primaries: Map<string, ScriptedPrimary>): ProviderRegistry {
  return {
    forSite(site) {
      const base = world.forSite(site);
      const primary = primaries.get(site);
      if (!primary) return base;
      return {
        ...base,
        prober: {
          check: async (endpoint: Endpoint, expect: Target, signal?: AbortSignal) =>
            endpoint === 'primary' ? primary.check() : base.prober.check(endpoint, expect, signal),
        },
      };
    },
  };
}

export interface WatchWorkers {
  taskQueue: string;
  client: Client;
  /** Starts (or restarts) the probe worker of a location. */
  startLocation(location: string, registry: ProbeRegistry): Promise<void>;
  stopLocation(location: string): Promise<void>;
  shutdown(): Promise<void>;
}

/** `reach` may wrap how the watcher's trigger activities reach the incidents (to fail a delivery). */
export async function startWatchWorkers(
  config: Config,
  registry: ProviderRegistry,
  reach: (incidents: IncidentControl) => IncidentControl = (i) => i,
): Promise<WatchWorkers> {
  quietRuntime();
  const taskQueue = `tq-watch-${randomUUID()}`;
  const address = inject('temporalAddress');
  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const main = await createMainWorker({
    connection,
    taskQueue,
    registry,
    incidents: reach(Incidents.of(client, config, taskQueue)),
    workflows: testWorkflows(),
    tuning: { shutdownGraceTime: '5s' },
  });
  const running = new Map<string, { worker: Worker; done: Promise<void> }>([['', { worker: main, done: main.run() }]]);

  async function stop(key: string): Promise<void> {
    const w = running.get(key);
    if (!w) return;
    running.delete(key);
    if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await w.done;
  }

  return {
    taskQueue,
    client,
    async startLocation(location, locationRegistry) {
      await stop(location);
      const worker = await createLocationWorker({
        connection,
        namespace: 'default',
        taskQueue,
        location,
        registry: locationRegistry,
      });
      running.set(location, { worker, done: worker.run() });
    },
    stopLocation: stop,
    async shutdown() {
      for (const key of [...running.keys()].filter((k) => k !== '')) await stop(key);
      await stop('');
      await connection.close();
      await client.connection.close();
    },
  };
}

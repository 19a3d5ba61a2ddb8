// For the browser tests: a Temporal dev server WITH its Web UI (the suite's global one is
// headless), the sandbox world, and the worker as a process, plus helpers to drive incidents.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startSandboxWorld, type SandboxWorld } from '../../sandbox/world.ts';
import { incidentPolicy } from '../../config/policies.ts';
import { spawnWorker, type Proc } from '../../harness/processes.ts';
import { startDevServer, type DevServer } from '../../harness/temporal.ts';
import { freePort } from '../../harness/ports.ts';

export const TASK_QUEUE = 'ui-test';

export interface UiWorld {
  dev: DevServer & { uiUrl: string };
  world: SandboxWorld;
  worker: Proc;
  client: Client;
  /** Signal-with-start of the site's incident, as every trigger does. */
  trigger(site: string): Promise<void>;
  status(site: string): Promise<{ phase: string; steps: Array<{ name: string; outcome: string }> }>;
  waitForPhase(site: string, phase: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startUiWorld(sites: string[]): Promise<UiWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'failover-ui-'));
  const dev = (await startDevServer({ uiPort: await freePort(), logFile: join(dir, 'temporal.log') })) as DevServer & {
    uiUrl: string;
  };
  const stops: Array<() => Promise<unknown>> = [() => dev.stop()];
  try {
    const world = await startSandboxWorld({ sites, probe: { interval: '100ms', successesNeeded: 1 } });
    stops.push(() => world.stop());
    const config = join(dir, 'sites.yaml');
    world.writeConfig(config, { temporal: { address: dev.address, taskQueue: TASK_QUEUE } });
    const worker = spawnWorker({ config: config, env: world.env, logFile: join(dir, 'worker.log') });
    stops.push(() => worker.stop());
    await worker.ready;
    const connection = await Connection.connect({ address: dev.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const status = async (site: string) =>
      (await client.workflow.getHandle(`incident-${site}`).query('status')) as {
        phase: string;
        steps: Array<{ name: string; outcome: string }>;
      };
    return {
      dev,
      world,
      worker,
      client,
      async trigger(site) {
        await client.workflow.signalWithStart('incident', {
          workflowId: `incident-${site}`,
          taskQueue: TASK_QUEUE,
          args: [{ site, policy: incidentPolicy(world.config.sites[site]!) }],
          signal: 'alertOpened',
          signalArgs: [{ alertId: `ui-test:${site}:${Date.now()}`, source: 'test', summary: 'browser test' }],
          searchAttributes: { FailoverSite: [site] },
        });
      },
      status,
      async waitForPhase(site, phase, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        let last = '';
        while (Date.now() < deadline) {
          last = await status(site).then(
            (s) => s.phase,
            (e: unknown) => String(e),
          );
          if (last === phase) return;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`incident-${site} did not reach ${phase} in ${timeoutMs} ms (last: ${last})`);
      },
      async stop() {
        for (const s of stops.reverse()) await s().catch(() => {});
      },
    };
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => {});
    throw err;
  }
}

// Shared by the chaos suites: a printed seed, workers as child processes (SIGKILLed at will), a
// Temporal dev server of their own on a database file (SIGKILLed and restarted on it), and polls
// that ride over a server that is briefly gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { devServerArgs } from '../../harness/temporal.ts';
import { statusQuery } from '../../workflows/incident-messages.ts';
import type { IncidentStatus, Phase } from '../../workflows/incident-types.ts';
import { Rng } from '../../harness/random.ts';
import { type WorkerProcess, killAllWorkerProcesses, startWorkerProcess } from '../support/worker-process.ts';
import { freePort } from '../../harness/ports.ts';

/** The suite's seed: CHAOS_SEED to replay, else random; printed either way. */
export function chaosSeed(suite: string): { seed: number; rng: Rng } {
  const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`[chaos] ${suite}: seed ${seed} (replay: CHAOS_SEED=${seed} npx vitest run test/chaos/${suite}.test.ts)`);
  return { seed, rng: new Rng(seed) };
}

export function writeBundle(dir: string, code: string): string {
  const path = join(dir, 'workflow-bundle.js');
  writeFileSync(path, code);
  return path;
}

export type ChildWorker = WorkerProcess;

const live = new Set<ChildProcess>();

/** test/chaos/worker-child.ts: the config's providers and the one worker assembly, on a prebuilt bundle. */
export function startChildWorker(configPath: string, bundlePath: string, env: Record<string, string>): ChildWorker {
  return startWorkerProcess(
    configPath,
    { TEMPORAL_LOG_LEVEL: 'ERROR', CHAOS_WORKFLOW_BUNDLE: bundlePath, ...env },
    'test/chaos/worker-child.ts',
  );
}

export function killAllChildren(): void {
  void killAllWorkerProcesses();
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A dev server of the suite's own, on a database file, so that it can be SIGKILLed and restarted on it. */
export class DevServer {
  readonly address: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly args: string[];

  private constructor(port: number, dbFile: string) {
    this.address = `127.0.0.1:${port}`;
    this.args = devServerArgs({ port, ip: '127.0.0.1', dbFile });
  }

  static async start(dbFile: string): Promise<DevServer> {
    const server = new DevServer(await freePort(), dbFile);
    await server.restart();
    return server;
  }

  /** Starts the server (again) on its database file and waits until it answers. */
  async restart(): Promise<void> {
    const cli = process.env.TEMPORAL_CLI ?? 'temporal';
    const child = spawn(cli, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => void (err = (err + b.toString()).slice(-4000)));
    live.add(child);
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once('exit', () => (live.delete(child), resolve())));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the dev server exited (${child.exitCode}): ${err}`);
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
        try {
          await connection.workflowService.getSystemInfo({});
          return;
        } finally {
          await connection.close();
        }
      } catch {
        if (Date.now() > deadline) throw new Error(`the dev server did not answer within 60 s: ${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** SIGKILL: no shutdown, whatever it had not written to its database file is lost. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  async client(): Promise<Client> {
    return new Client({ connection: await Connection.connect({ address: this.address }) });
  }
}

/** The incident's status once its phase is one of `phases`; query errors (server restarting, no worker yet) are retried. */
export async function awaitPhase(
  client: Client,
  workflowId: string,
  phases: Phase[],
  timeoutMs: number,
): Promise<IncidentStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: IncidentStatus | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      const handle = client.workflow.getHandle(workflowId);
      const d = await handle.describe();
      last =
        d.status.name === 'RUNNING' ? await handle.query(statusQuery) : ((await handle.result()) as IncidentStatus);
      if (phases.includes(last.phase)) return last;
    } catch (err) {
      lastError = err;
    }
    if (last && ['resolved', 'rolled_back', 'dismissed'].includes(last.phase))
      throw new Error(
        `${workflowId} ended ${last.phase}, not ${phases.join('|')}: cause ${last.cause}; warnings ${JSON.stringify(last.warnings)}; ` +
          `steps ${JSON.stringify(last.steps.map((s) => `${s.name}:${s.outcome}${s.attempts ? `×${s.attempts}` : ''}${s.error ? ` (${s.error})` : ''}`))}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `${workflowId}: phase ${phases.join('|')} not reached in ${timeoutMs} ms; last: ${last?.phase} ` +
          `${JSON.stringify(last?.steps.map((s) => `${s.name}:${s.outcome}`))}${lastError ? `; last error: ${String(lastError)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Retries a call while the server is away (a restart takes a few seconds). */
export async function retrying<T>(what: string, call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(err)}`, { cause: err });
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

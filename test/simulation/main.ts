// `npm run simulate -- [--incidents N] [--seed S] [--only i,j] [--concurrency C] [--temporal host:port]`
// Runs the seeded fault simulation on its own dev server (or the one given); exits 1 when an
// incident broke an invariant, after printing its schedule and the command that replays it.
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startLocalTemporal } from '../../harness/temporal.ts';
import { WORKFLOWS_PATH } from '../../worker/workers.ts';
import { quietRuntime, runSimulation } from './simulation.ts';

const { values } = parseArgs({
  options: {
    incidents: { type: 'string', default: process.env.SIM_INCIDENTS ?? '300' },
    seed: { type: 'string', default: process.env.SIM_SEED },
    only: { type: 'string', default: process.env.SIM_ONLY },
    concurrency: { type: 'string', default: '25' },
    temporal: { type: 'string' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const only = values.only?.split(',').map(Number);
console.log(`[sim] seed ${seed}${only ? `, incidents ${only.join(', ')}` : `, ${values.incidents} incidents`}`);

quietRuntime();
const env = values.temporal ? undefined : await startLocalTemporal();
try {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  const report = await runSimulation({
    seed,
    incidents: Number(values.incidents),
    ...(only && { only }),
    concurrency: Number(values.concurrency),
    address: values.temporal ?? env!.address,
    workflows: { workflowBundle: { code } },
  });
  process.exitCode = report.failures.length > 0 ? 1 : 0;
} finally {
  await env?.teardown();
}

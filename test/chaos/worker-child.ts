// The worker as a child process for the chaos suites: what worker/service.ts runs (the config's
// providers, the one worker assembly), but on a workflow bundle built once by the suite
// (CHAOS_WORKFLOW_BUNDLE), so that twenty SIGKILLs do not cost twenty bundlings.
// Run, never imported: node test/chaos/worker-child.ts <config.yaml>
import { readFileSync } from 'node:fs';
import { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import { registerSecret } from '../../activities/secrets.ts';
import { logger } from '../../clients/logger.ts';
import { runMain } from '../../clients/process.ts';
import { buildRegistry } from '../../clients/providers.ts';
import { resolveTemporal } from '../../clients/temporal.ts';
import { loadConfig } from '../../config/load.ts';
import { installRuntime } from '../../worker/runtime.ts';
import { connectWorker, createMainWorker } from '../../worker/workers.ts';

runMain('chaos worker', async () => {
  const config = loadConfig(process.argv[2]!);
  registerSecret(process.env.CLOUDFLARE_API_TOKEN);
  const temporal = resolveTemporal(config.temporal);
  installRuntime();
  const registry = buildRegistry(config, { world: new InMemoryWorld() });
  for (const site of Object.keys(config.sites)) registry.forSite(site);
  const connection = await connectWorker(temporal);
  const worker = await createMainWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    registry,
    workflows: { workflowBundle: { code: readFileSync(process.env.CHAOS_WORKFLOW_BUNDLE!, 'utf8') } },
  });
  logger.info({ address: temporal.address, taskQueue: temporal.taskQueue }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
});

// One real Temporal dev server (the CLI's, SQLite in memory) and one workflow bundle for all suites.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startLocalTemporal } from '../../scripts/local-temporal.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundle: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await startLocalTemporal();
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  project.provide('temporalAddress', env.address);
  project.provide('workflowBundle', code);
  return () => env.teardown();
}

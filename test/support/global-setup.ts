// One real Temporal dev server (the CLI's, SQLite in memory) and one workflow bundle for all suites.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startLocalTemporal } from '../../harness/temporal.ts';

export const CONTINUE_AS_NEW_AFTER_EVENTS = 300;

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundle: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Suggest continue-as-new early (default: thousands of events) so a suite can exercise it.
  const env = await startLocalTemporal([
    '--dynamic-config-value',
    `limit.historyCount.suggestContinueAsNew=${CONTINUE_AS_NEW_AFTER_EVENTS}`,
  ]);
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  project.provide('temporalAddress', env.address);
  project.provide('workflowBundle', code);
  return () => env.teardown();
}

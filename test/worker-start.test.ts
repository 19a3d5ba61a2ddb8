// The worker checks the incident's search attributes at start (issue 8, item 8), against the real
// dev server: registered there when missing; elsewhere refused with the exact command; and the
// worker process itself registers them before it says it started.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msToTs } from '@temporalio/common/lib/time.js';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { stringify } from 'yaml';
import { SearchAttributesMissing, ensureSearchAttributes, isDevServer } from '../worker/search-attributes.ts';
import { killAllWorkerProcesses, startWorkerProcess } from './support/worker-process.ts';

let connection: NativeConnection;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await killAllWorkerProcesses();
  await connection?.close();
});

/** A namespace of its own, without any custom search attribute. */
async function freshNamespace(): Promise<string> {
  const namespace = `sa-${randomUUID().slice(0, 8)}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  return namespace;
}

const customOf = async (namespace: string) =>
  (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};

describe('search attributes at worker start', () => {
  test('the suite server is recognised as a dev server', async () => {
    expect(await isDevServer(connection)).toBe(true);
  });

  test('missing ones are refused, naming them and the command to run, when they may not be registered', async () => {
    const namespace = await freshNamespace();
    const err = await ensureSearchAttributes(connection, namespace, { register: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributesMissing);
    expect((err as Error).message).toContain(
      `temporal operator search-attribute create --namespace ${namespace} --name FailoverSite --type Keyword --name FailoverPhase --type Keyword`,
    );
    expect(await customOf(namespace)).not.toHaveProperty('FailoverSite');
  });

  test('on a dev server they are registered, once', async () => {
    const namespace = await freshNamespace();
    expect(await ensureSearchAttributes(connection, namespace, { register: true })).toBe('registered');
    expect(await customOf(namespace)).toMatchObject({ FailoverSite: 2, FailoverPhase: 2 });
    expect(await ensureSearchAttributes(connection, namespace, { register: true })).toBe('present');
  });

  test('the worker process registers them before it starts', async () => {
    const namespace = await freshNamespace();
    const dir = mkdtempSync(join(tmpdir(), 'failover-start-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      stringify({
        temporal: { namespace, taskQueue: `tq-${namespace}` },
        sites: {
          blog: {
            publicUrl: 'https://blog.example.test/',
            primary: { url: 'https://home.example.test/healthz' },
            standby: { url: 'https://standby.example.test/', access: { type: 'in-memory' } },
            traffic: { type: 'in-memory' },
            monitor: { type: 'in-memory' },
          },
        },
      }),
    );
    const worker = startWorkerProcess(file, { TEMPORAL_ADDRESS: inject('temporalAddress') });
    await worker.started;
    expect(worker.output()).toMatch(/registered the search attributes FailoverSite, FailoverPhase and FailoverReady/);
    expect(await customOf(namespace)).toMatchObject({ FailoverSite: 2, FailoverPhase: 2, FailoverReady: 2 });
    await worker.kill();
  }, 60_000);
});

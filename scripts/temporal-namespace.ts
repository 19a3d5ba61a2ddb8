// Makes a fresh self-hosted Temporal ready for the orchestrator: the namespace exists and carries
// the search attributes FailoverSite and FailoverPhase. A new server has only `temporal-system`.
// Idempotent: safe on every start (the compose `temporal-init` service, scripts/temporal-postgres.ts).
//
//   node scripts/temporal-namespace.ts            (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE; default 127.0.0.1:7233, default)
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD (@temporalio/proto is not a direct dependency). */
const KEYWORD = 2;

export interface EnsureNamespaceOptions {
  address: string;
  namespace?: string;
  /** Retention of closed workflows, in days (default 7). */
  retentionDays?: number;
  /** Gives up after this long (default 120 s): the server may still be starting. */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

export async function ensureNamespace(options: EnsureNamespaceOptions): Promise<void> {
  const namespace = options.namespace ?? 'default';
  const log = options.log ?? (() => {});
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let lastError: unknown;
  // Every step is retried: the frontend refuses calls until membership settles, and search
  // attributes added right after the namespace fail for ~2 s while its cache refreshes.
  const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        lastError = err;
        if (Date.now() > deadline)
          throw new Error(`${what} failed for ${options.timeoutMs ?? 120_000} ms: ${String(lastError)}`, {
            cause: err,
          });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const connection = await retry('connecting to Temporal', () =>
    Connection.connect({ address: options.address, connectTimeout: 5_000 }),
  );
  try {
    const svc = connection.workflowService;
    await retry(`registering namespace ${namespace}`, async () => {
      try {
        await svc.describeNamespace({ namespace });
        return;
      } catch (err) {
        if (!/not found/i.test(String(err))) throw err;
      }
      await svc
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${options.retentionDays ?? 7}d`) })
        .catch((err: unknown) => {
          if (!/already (exists|registered)/i.test(String(err))) throw err;
        });
      log(`namespace ${namespace} registered`);
    });
    await retry(`adding search attributes to ${namespace}`, async () => {
      const have = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.keys(SEARCH_ATTRIBUTES).filter((n) => !(n in (have.customAttributes ?? {})));
      if (missing.length === 0) return;
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((n) => [n, KEYWORD])),
      });
      log(`search attributes ${missing.join(', ')} added to ${namespace}`);
      throw new Error('added; checking again'); // confirmed by the next round's list
    });
  } finally {
    await connection.close();
  }
}

if (import.meta.main) {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  await ensureNamespace({ address, namespace, log: (m) => console.log(`[temporal-init] ${m}`) });
  console.log(
    `[temporal-init] ${address} namespace ${namespace} ready with ${Object.keys(SEARCH_ATTRIBUTES).join(', ')}`,
  );
}

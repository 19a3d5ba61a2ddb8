// `failover readiness [site]`: runs the readiness checks now (docs/readiness.md) and prints them.
// A fresh run, not the last scheduled one: "is it ready?" asks about now, and a result up to an
// interval old could hide what just changed. The run is the same workflow the schedule starts, on
// the worker (which holds the credentials: the CLI has none), so it also refreshes FailoverReady
// and the metrics. `--last` prints the latest finished run instead (no worker needed).
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema.ts';
import type { readiness } from '../../workflows/readiness.ts';
import { readinessInput } from '../../config/policies.ts';
import { type ReadinessInput, type ReadinessResult, readinessWorkflowId } from '../../workflows/readiness-types.ts';
import { errorMessage } from '../../workflows/error-text.ts';
import {
  CliError,
  EXIT,
  type GlobalOptions,
  configFrom,
  connectIncidents,
  knownSite,
  out,
  temporalOf,
} from './context.ts';
import { table } from './format.ts';

export interface ReadinessOptions {
  json: boolean;
  last: boolean;
  timeout: number;
}

async function fresh(
  client: Client,
  taskQueue: string,
  input: ReadinessInput,
  timeoutMs: number,
): Promise<ReadinessResult> {
  const { site } = input;
  const handle = await client.workflow.start<typeof readiness>('readiness', {
    workflowId: `${readinessWorkflowId(site)}-cli-${randomUUID().slice(0, 8)}`,
    taskQueue,
    // As the schedule's: a change this run finds is notified (the next scheduled run will not see it as one).
    args: [input],
    workflowExecutionTimeout: timeoutMs,
  });
  try {
    return await handle.result();
  } catch (e) {
    throw new CliError(
      EXIT.timeout,
      `the readiness run of ${site} did not finish in ${timeoutMs / 1000} s (is a worker running on task queue ${taskQueue}?): ${errorMessage(e)}`,
    );
  }
}

async function last(client: Client, site: string): Promise<ReadinessResult> {
  const query = `WorkflowType = 'readiness' AND FailoverSite = '${site}' AND ExecutionStatus = 'Completed'`;
  for await (const w of client.workflow.list({ query, pageSize: 1 }))
    return client.workflow.getHandle(w.workflowId, w.runId).result();
  throw new CliError(EXIT.refused, `no finished readiness run of ${site} yet; run \`failover readiness ${site}\``);
}

function print(results: ReadinessResult[]): void {
  for (const r of results) {
    out(`${r.site}: ${r.ready ? 'READY' : 'NOT READY'}  (checked ${r.checkedAt})`);
    const rows = r.checks.map((c) => [
      c.status.toUpperCase(),
      c.check,
      c.subject ?? '',
      c.reason + (c.fix ? `\n  fix: ${c.fix}` : ''),
    ]);
    for (const l of table(rows, ['STATUS', 'CHECK', 'SUBJECT', 'REASON / FIX'])) out(l);
    out();
  }
}

export async function readinessCmd(opts: GlobalOptions, site: string | undefined, o: ReadinessOptions): Promise<void> {
  const config: Config = configFrom(opts);
  if (site) knownSite(config, site);
  const incidents = await connectIncidents(config, opts);
  const { taskQueue } = temporalOf(config, opts);
  const sites = site ? [site] : Object.keys(config.sites);
  const results = await Promise.all(
    sites.map((s) =>
      o.last ? last(incidents.client, s) : fresh(incidents.client, taskQueue, readinessInput(config, s), o.timeout),
    ),
  );
  if (o.json) out(JSON.stringify(site ? results[0] : results, null, 2));
  else print(results);
  const notReady = results.filter((r) => !r.ready).map((r) => r.site);
  if (notReady.length > 0) throw new CliError(EXIT.failure, `not ready: ${notReady.join(', ')}`);
}

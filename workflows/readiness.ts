// The readiness workflow (docs/readiness.md): one read-only run of every check of a site, started
// by the site's schedule (worker/readiness-schedules.ts) or by `failover readiness`. It changes
// nothing in the world; it reports, sets FailoverReady and the readiness metrics.
import { metricMeter, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { notify } from './notification.ts';
import type { NotificationEvent } from './notification-types.ts';
import type { ReadinessActivities } from '../activities/index.ts';
import { errorMessage } from './error-text.ts';
import {
  READY_VALUE,
  type CheckName,
  type ReadinessCheck,
  type ReadinessInput,
  type ReadinessResult,
  readinessWorkflowId,
} from './readiness-types.ts';

/** A change of the verdict is notified (runs started before it replay without the child start). */
const READINESS_NOTIFY = 'readiness-notify';
import { readyAttribute, siteAttribute } from './search-attributes.ts';

// A check that cannot run within a minute is reported as failed: the next run is minutes away.
const acts = proxyActivities<ReadinessActivities>({
  startToCloseTimeout: '60s',
  retry: { maximumAttempts: 2, initialInterval: '1s' },
});

const STATUS_VALUE = { ok: 0, warn: 1, fail: 2 } as const;

/** A check whose activity failed is itself a failed check, naming why. */
async function run(check: CheckName, call: () => Promise<ReadinessCheck[]>): Promise<ReadinessCheck[]> {
  try {
    return await call();
  } catch (err) {
    return [
      { check, status: 'fail', reason: `the check could not run: ${errorMessage(err)}`, fix: 'see the worker log' },
    ];
  }
}

function record(site: string, ready: boolean, checks: ReadinessCheck[]): void {
  const gauge = metricMeter.createGauge(
    'failover_readiness_ready',
    'int',
    'site',
    'Whether the site is ready (1) or not (0)',
  );
  gauge.set(ready ? 1 : 0, { site });
  const perCheck = metricMeter.createGauge(
    'failover_readiness_check',
    'int',
    'status',
    'Worst status of a readiness check: 0 ok, 1 warn, 2 fail',
  );
  const worst = new Map<CheckName, number>();
  for (const c of checks) worst.set(c.check, Math.max(worst.get(c.check) ?? 0, STATUS_VALUE[c.status]));
  for (const [check, value] of worst) perCheck.set(value, { site, check });
}

/** A site turned not ready (or was never ready), or ready again: one event per run, its ID the run's. */
function readinessEvent(site: string, ready: boolean, checks: ReadinessCheck[]): NotificationEvent {
  const info = workflowInfo();
  const failed = checks.filter((c) => c.status === 'fail');
  return {
    // The site's readiness ID, not info.workflowId: a replayer may name the run otherwise.
    id: `${readinessWorkflowId(site)}/${info.runId}`,
    kind: 'readiness',
    site,
    state: ready ? 'ready' : 'not_ready',
    previous: ready ? 'not_ready' : 'ready',
    ...(failed.length > 0 && { cause: failed.map((c) => `${c.check}: ${c.reason} (fix: ${c.fix ?? '—'})`).join('; ') }),
    at: Date.now(),
    timings: {},
    workflow: { namespace: info.namespace, workflowId: info.workflowId, runId: info.runId },
  };
}

export async function readiness(input: ReadinessInput): Promise<ReadinessResult> {
  const { site } = input;
  const checkedAt = new Date(workflowInfo().startTime).toISOString();
  upsertSearchAttributes([{ key: siteAttribute, value: site }]);
  const groups = await Promise.all([
    run('reachable', () => acts.checkLevers(site)),
    run('permissions', () => acts.checkPermissions(site)),
    run('standby_serves', () => acts.checkStandby(site)),
    run('dry_run', () => acts.checkDryRun(site)),
    run('last_failover', () => acts.lastFailover(site)),
  ]);
  const checks = groups.flat();
  const ready = checks.every((c) => c.status !== 'fail');
  const previousReady = await acts.previousReadiness(site).catch(() => undefined);
  upsertSearchAttributes([{ key: readyAttribute, value: ready ? READY_VALUE.ready : READY_VALUE.notReady }]);
  record(site, ready, checks);
  const turned = previousReady === undefined ? !ready : previousReady !== ready;
  if (input.notify && turned && patched(READINESS_NOTIFY))
    await notify(readinessEvent(site, ready, checks), input.notify);
  return {
    site,
    ready,
    checks,
    checkedAt,
    ...(previousReady !== undefined && { previousReady }),
    changed: previousReady !== undefined && previousReady !== ready,
  };
}

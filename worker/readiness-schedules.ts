// One Temporal Schedule per site runs the readiness workflow (docs/readiness.md): created or
// updated at worker start from the config, removed when the site leaves it. Only the schedules
// this project owns are touched: their id starts with SCHEDULE_PREFIX and their memo names it.
// An update keeps the schedule's state, so a schedule paused in the UI stays paused.
import {
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import type { readiness } from '../workflows/readiness.ts';
import { readinessInput } from '../config/policies.ts';
import { type ReadinessInput, readinessWorkflowId } from '../workflows/readiness-types.ts';

export const SCHEDULE_PREFIX = 'failover-readiness-';
const OWNER_MEMO = { owner: 'failover', purpose: 'readiness' } as const;

export const readinessScheduleId = (site: string): string => `${SCHEDULE_PREFIX}${site}`;

export interface ScheduleChanges {
  created: string[];
  updated: string[];
  removed: string[];
}

function action(input: ReadinessInput, taskQueue: string): ScheduleOptionsStartWorkflowAction<typeof readiness> {
  return {
    type: 'startWorkflow',
    workflowType: 'readiness',
    workflowId: readinessWorkflowId(input.site),
    taskQueue,
    args: [input],
    workflowExecutionTimeout: '5m',
  };
}

const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m', pauseOnFailure: false } as const;

async function ensureOne(
  client: Client,
  input: ReadinessInput,
  taskQueue: string,
  everyMinutes: number,
): Promise<'created' | 'updated'> {
  const { site } = input;
  const spec = { intervals: [{ every: `${everyMinutes}m` as const }] };
  try {
    await client.schedule.create({
      scheduleId: readinessScheduleId(site),
      spec,
      action: action(input, taskQueue),
      policies,
      memo: { ...OWNER_MEMO, site, taskQueue },
      state: { note: `readiness checks of ${site} (docs/readiness.md)` },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule
    .getHandle(readinessScheduleId(site))
    .update((prev) => ({ ...prev, spec, action: action(input, taskQueue), policies, state: prev.state }));
  return 'updated';
}

/**
 * Owned readiness schedules of sites no longer in the config (the list is eventually consistent).
 * Only those of this task queue: another deployment sharing the namespace keeps its own.
 */
async function strays(client: Client, sites: Set<string>, taskQueue: string): Promise<string[]> {
  const found: string[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(SCHEDULE_PREFIX) || s.memo?.owner !== OWNER_MEMO.owner) continue;
    if (s.memo.taskQueue !== taskQueue) continue;
    if (!sites.has(s.scheduleId.slice(SCHEDULE_PREFIX.length))) found.push(s.scheduleId);
  }
  return found;
}

/** Idempotent: makes the schedules match the config (`readiness.enabled: false` removes them all). */
export async function ensureReadinessSchedules(
  client: Client,
  config: Config,
  taskQueue: string,
): Promise<ScheduleChanges> {
  const enabled = config.readiness.enabled;
  const sites = enabled ? Object.keys(config.sites) : [];
  const changes: ScheduleChanges = { created: [], updated: [], removed: [] };
  for (const site of sites) {
    const done = await ensureOne(client, readinessInput(config, site), taskQueue, config.readiness.intervalMinutes);
    changes[done].push(readinessScheduleId(site));
  }
  for (const id of await strays(client, new Set(sites), taskQueue)) {
    await client.schedule.getHandle(id).delete();
    changes.removed.push(id);
  }
  return changes;
}

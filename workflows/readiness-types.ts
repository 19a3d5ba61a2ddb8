// What a readiness run reports (workflows/readiness.ts): each check's verdict with its reason and
// fix, and whether the site is ready (no check failed). Read-only: nothing here changes the world.
import type { NotifyPolicy } from './notification-types.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** The checks of docs/readiness.md, by the name the table and the metrics use. */
export type CheckName =
  'reachable' | 'permissions' | 'idle_position' | 'standby_serves' | 'standby_version' | 'dry_run' | 'last_failover';

export interface ReadinessCheck {
  check: CheckName;
  status: CheckStatus;
  /** What was found, e.g. "alert policy … is paused". */
  reason: string;
  /** What to do about it (absent when ok). */
  fix?: string;
  /** The lever or endpoint the check is about, when it is about one. */
  subject?: string;
}

export interface ReadinessInput {
  site: string;
  /** Where a change of the site's verdict is notified (absent: nowhere). */
  notify?: NotifyPolicy;
}

export interface ReadinessResult {
  site: string;
  ready: boolean;
  checks: ReadinessCheck[];
  /** ISO time the run started. */
  checkedAt: string;
  /**
   * The previous completed run's verdict (undefined: none yet). The hook for the notification
   * "site turned not ready / ready again" (issue 18): `changed` is true when it differs.
   */
  previousReady?: boolean;
  changed: boolean;
}

/** FailoverReady's values (a Keyword, like the project's other search attributes). */
export const READY_VALUE = { ready: 'ready', notReady: 'not_ready' } as const;

export const readinessWorkflowId = (site: string): string => `readiness-${site}`;

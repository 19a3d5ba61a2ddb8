// The health watcher's trigger activities (workflows/watch.ts): they run on the main worker and
// reach the site's incident through the IncidentControl the worker assembly hands them.
import { Context } from '@temporalio/activity';
import type { IncidentStatus } from '../workflows/incident-types.ts';
import type { Actor, AlertOpened } from '../workflows/types.ts';
import { toFailure } from './errors.ts';

/** What the trigger activities need of the incidents (clients/incidents.ts implements it). */
export interface IncidentControl {
  lookup(site: string): Promise<{ state: 'none' | 'running' | 'ended'; phase?: string }>;
  /** Signal-with-start of the site's incident. */
  trigger(site: string, alert: AlertOpened): Promise<unknown>;
  primaryRecovered(site: string, actor: Actor): Promise<void>;
  /** The running incident's status (its query): what triggers it received, since when in its phase. */
  status(site: string): Promise<Pick<IncidentStatus, 'phaseSince' | 'triggers'>>;
}

/**
 * Phases in which an incident already has the site on the standby, or is taking it there. Not
 * needs_attention: a new outage there fails over again when users are on the primary (else it is
 * recorded), so the watcher delivers its verdict, and repeats a delivery that failed.
 */
const HAS_THE_SITE = new Set(['awaiting_trigger', 'failing_over', 'on_standby']);

export type WatchTriggerActivities = ReturnType<typeof createWatchTriggerActivities>;

export function createWatchTriggerActivities(incidents: IncidentControl) {
  return {
    /** Signal-with-start of the site's incident; returns what was done, for the status. */
    async triggerIncidentFromWatcher(site: string, alert: AlertOpened, onlyIfNeeded = false): Promise<string> {
      try {
        const before = await incidents.lookup(site);
        // Re-triggers while the primary stays down: only where no incident has (or is taking) the site to the standby.
        if (onlyIfNeeded && before.state === 'running' && before.phase && HAS_THE_SITE.has(before.phase)) {
          return `not needed: the incident is ${before.phase}`;
        }
        // In needs_attention one alert of the watcher is enough (each later one would only be recorded).
        if (onlyIfNeeded && before.phase === 'needs_attention' && (await hasWatcherAlert(incidents, site))) {
          return 'not needed: the incident in needs_attention has the watcher alert';
        }
        await incidents.trigger(site, alert);
        return before.state === 'running'
          ? `signalled the running incident (${before.phase ?? 'phase unknown'})`
          : 'started the incident';
      } catch (err) {
        throw toFailure(err, Context.current().info.attempt);
      }
    },
    /** Tells the site's incident, when it is on standby or needs attention, that the primary serves again. */
    async reportPrimaryRecovered(site: string, detail: string): Promise<string> {
      try {
        const incident = await incidents.lookup(site);
        if (incident.state !== 'running') return 'no running incident';
        // On standby it may fail back; in needs_attention after a failed failover, the outage is over.
        if (incident.phase !== 'on_standby' && incident.phase !== 'needs_attention') {
          return `incident is ${incident.phase ?? 'in an unknown phase'}: not told`;
        }
        await incidents.primaryRecovered(site, { by: 'watcher', reason: detail });
        return `told the incident (${incident.phase}): primaryRecovered`;
      } catch (err) {
        throw toFailure(err, Context.current().info.attempt);
      }
    },
  };
}

/** Whether the incident received an alert of the watcher since it entered its current phase. */
async function hasWatcherAlert(incidents: IncidentControl, site: string): Promise<boolean> {
  const { triggers, phaseSince = 0 } = await incidents.status(site);
  return triggers.some((t) => t.kind === 'alert_opened' && t.source === 'watcher' && t.at >= phaseSince);
}

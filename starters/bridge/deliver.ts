// What one valid alert does to its site's incident: an open starts or joins it (unless its
// incident already ended having seen it, or it was closed first); a close signals it.
import type { Message } from '@google-cloud/pubsub';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Incidents } from '../../clients/incidents.ts';
import type { ParsedAlert } from './alert-message.ts';
import type { BridgeMetrics } from './metrics.ts';
import type { RecentKeys } from './ordering.ts';
import type { WithTemporal } from './temporal-retry.ts';

/** What became of an accepted message (the `ignored` metric's reasons, or what was done). */
export type Outcome =
  | { done: 'started' | 'signalled_open' | 'signalled_closed' }
  | { ignored: 'duplicate_of_ended_incident' | 'closed_before_open' | 'closed_without_incident' };

export interface DeliveryDeps {
  incidents: Incidents;
  /** Closed alerts seen without an incident, so that a late "open" of the same alert starts nothing. */
  recentlyClosed: RecentKeys;
  withTemporal: WithTemporal;
  metrics: BridgeMetrics;
}

export async function deliver(alert: ParsedAlert, message: Message, d: DeliveryDeps): Promise<Outcome> {
  const { incidents, recentlyClosed, withTemporal, metrics } = d;
  const key = `${alert.site}\n${alert.incidentId}`;
  const publishedAt = message.publishTime;
  if (alert.state === 'closed') {
    recentlyClosed.add(key);
    // Each attempt looks the incident up again: the one seen before a Temporal error may be gone.
    const outcome = await withTemporal('signal alertClosed', message.id, () => closeAlert(incidents, alert));
    if ('done' in outcome) metrics.publishToSignal.observe({ signal: 'alertClosed' }, secondsSince(publishedAt));
    return outcome;
  }
  if (recentlyClosed.has(key)) return { ignored: 'closed_before_open' };
  // Each attempt looks the incident up again: after a Temporal error, the incident seen may have
  // ended (having received the alert, had the reply been lost) or a new one started and ended.
  const outcome = await withTemporal('signal-with-start incident', message.id, () =>
    openAlert(incidents, alert, publishedAt),
  );
  if ('done' in outcome) metrics.publishToSignal.observe({ signal: 'alertOpened' }, secondsSince(publishedAt));
  return outcome;
}

async function closeAlert(incidents: Incidents, alert: ParsedAlert): Promise<Outcome> {
  const lookup = await incidents.lookup(alert.site);
  if (lookup.state !== 'running') return { ignored: 'closed_without_incident' };
  try {
    await incidents.alertClosed(alert.site, {
      alertId: alert.incidentId,
      source: 'pubsub',
      ...(alert.endedAt && { endedAt: alert.endedAt }),
    });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { ignored: 'closed_without_incident' }; // ended meanwhile
    throw err;
  }
  return { done: 'signalled_closed' };
}

async function openAlert(incidents: Incidents, alert: ParsedAlert, publishedAt: Date): Promise<Outcome> {
  const lookup = await incidents.lookup(alert.site);
  if (lookup.state === 'ended' && (await incidents.endedIncidentSawAlert(alert.site, lookup, alert.incidentId))) {
    return { ignored: 'duplicate_of_ended_incident' };
  }
  await incidents.trigger(
    alert.site,
    {
      alertId: alert.incidentId,
      source: 'pubsub',
      ...(alert.summary && { summary: alert.summary }),
      ...(alert.startedAt && { startedAt: alert.startedAt }),
      publishedAt: publishedAt.toISOString(),
    },
    lookup,
  );
  return { done: lookup.state === 'running' ? 'signalled_open' : 'started' };
}

export function secondsSince(date: Date): number {
  return Math.max(0, (Date.now() - date.getTime()) / 1000);
}

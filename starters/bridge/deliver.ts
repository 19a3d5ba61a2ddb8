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
    const lookup = await withTemporal('describe incident', message.id, () => incidents.lookup(alert.site));
    if (lookup.state !== 'running') return { ignored: 'closed_without_incident' };
    try {
      await withTemporal('signal alertClosed', message.id, () =>
        incidents.alertClosed(alert.site, {
          alertId: alert.incidentId,
          source: 'pubsub',
          ...(alert.endedAt && { endedAt: alert.endedAt }),
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { ignored: 'closed_without_incident' }; // ended meanwhile
      throw err;
    }
    metrics.publishToSignal.observe({ signal: 'alertClosed' }, secondsSince(publishedAt));
    return { done: 'signalled_closed' };
  }
  if (recentlyClosed.has(key)) return { ignored: 'closed_before_open' };
  const lookup = await withTemporal('describe incident', message.id, () => incidents.lookup(alert.site));
  const sawIt = () => incidents.endedIncidentSawAlert(alert.site, lookup, alert.incidentId);
  if (lookup.state === 'ended' && (await withTemporal('read ended incident', message.id, sawIt))) {
    return { ignored: 'duplicate_of_ended_incident' };
  }
  await withTemporal('signal-with-start incident', message.id, () =>
    incidents.trigger(
      alert.site,
      {
        alertId: alert.incidentId,
        source: 'pubsub',
        ...(alert.summary && { summary: alert.summary }),
        ...(alert.startedAt && { startedAt: alert.startedAt }),
        publishedAt: publishedAt.toISOString(),
      },
      lookup,
    ),
  );
  metrics.publishToSignal.observe({ signal: 'alertOpened' }, secondsSince(publishedAt));
  return { done: lookup.state === 'running' ? 'signalled_open' : 'started' };
}

export function secondsSince(date: Date): number {
  return Math.max(0, (Date.now() - date.getTime()) / 1000);
}

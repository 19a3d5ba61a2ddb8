// What the bridge does with one Pub/Sub message: parse it, deliver the alert to its site's
// incident (one at a time per site), then acknowledge it, hand it back, or reject it (counted,
// logged with its reason and message id, never its payload, and optionally dead-lettered).
import type { Message, Topic } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { redact } from '../../activities/secrets.ts';
import type { Incidents } from '../../clients/incidents.ts';
import { type ParsedAlert, type RejectReason, type SiteRouting, parseAlertMessage } from './alert-message.ts';
import { forwardToDeadLetter } from './dead-letter.ts';
import { type Outcome, deliver, secondsSince } from './deliver.ts';
import type { BridgeMetrics } from './metrics.ts';
import { RecentKeys, SerialQueues } from './ordering.ts';
import { TemporalRefused } from './temporal-refusal.ts';
import type { BridgeState, WithTemporal } from './temporal-retry.ts';
import { errorText } from '../../workflows/error-text.ts';

const RECENTLY_CLOSED_MAX = 10_000;

export interface HandlerDeps {
  routing: SiteRouting;
  incidents: Incidents;
  withTemporal: WithTemporal;
  metrics: BridgeMetrics;
  log: Logger;
  state: BridgeState;
  deadLetter: Topic | undefined;
  /** The subscription's full name, for the dead-letter attributes. */
  subscription: string;
}

interface Handler extends HandlerDeps {
  /** Closed alerts seen without an incident, so that a late "open" of the same alert starts nothing. */
  recentlyClosed: RecentKeys;
  siteQueues: SerialQueues;
}

/** Handles one message; never rejects (the bridge must never die on input). */
export function messageHandler(deps: HandlerDeps): (message: Message) => Promise<void> {
  const h: Handler = { ...deps, recentlyClosed: new RecentKeys(RECENTLY_CLOSED_MAX), siteQueues: new SerialQueues() };
  return (message) => handle(h, message);
}

async function handle(h: Handler, message: Message): Promise<void> {
  const { metrics, log } = h;
  const t0 = performance.now();
  metrics.received.inc();
  metrics.inFlight.inc();
  try {
    const parsed = parseAlertMessage(message.data, h.routing);
    if (!parsed.ok) {
      await reject(h, message, parsed.reason, parsed.detail);
      message.ack();
      return;
    }
    await deliverAlert(h, message, parsed.alert);
  } catch (err) {
    // Defence in depth: nothing above should throw, but the bridge must never die on input.
    metrics.rejected.inc({ reason: 'internal_error' });
    log.error({ messageId: message.id, err: errorText(err) }, 'unexpected error handling a message; handing it back');
    message.nack();
  } finally {
    metrics.inFlight.dec();
    metrics.handling.observe((performance.now() - t0) / 1000);
  }
}

async function deliverAlert(h: Handler, message: Message, alert: ParsedAlert): Promise<void> {
  const { metrics, log } = h;
  let outcome: Outcome;
  try {
    outcome = await h.siteQueues.run(alert.site, () => deliver(alert, message, h));
  } catch (err) {
    if (err instanceof TemporalRefused) {
      await refused(h, message, alert.site, err);
      return;
    }
    metrics.nacked.inc();
    log.warn(
      { messageId: message.id, site: alert.site, alertId: alert.incidentId, err: errorText(err) },
      'Temporal did not accept the alert; handing the message back for redelivery',
    );
    message.nack();
    return;
  }
  message.ack();
  const fields = { messageId: message.id, site: alert.site, alertId: alert.incidentId, state: alert.state };
  if ('ignored' in outcome) {
    metrics.ignored.inc({ reason: outcome.ignored });
    log.info({ ...fields, reason: outcome.ignored }, 'alert acknowledged, nothing to do');
  } else {
    if (outcome.done === 'started') metrics.started.inc({ site: alert.site });
    else metrics.signalled.inc({ signal: outcome.done === 'signalled_closed' ? 'alertClosed' : 'alertOpened' });
    log.info(
      { ...fields, outcome: outcome.done, latencyMs: Math.round(secondsSince(message.publishTime) * 1000) },
      'alert delivered to the incident',
    );
  }
}

async function reject(h: Handler, message: Message, reason: RejectReason, detail: string): Promise<void> {
  h.metrics.rejected.inc({ reason });
  const level = reason === 'test_notification' ? 'info' : 'warn';
  h.log[level](
    {
      messageId: message.id,
      reason,
      detail,
      bytes: message.length,
      deliveryAttempt: message.deliveryAttempt || undefined,
    },
    'message rejected',
  );
  if (!h.deadLetter) return;
  const error = await forwardToDeadLetter(h.deadLetter, message, { reason, detail, subscription: h.subscription });
  h.metrics.deadLettered.inc({ result: error ? 'failed' : 'ok' });
  // Still acknowledged when it could not be forwarded: a bad message must not block the subscription.
  if (error) h.log.error({ messageId: message.id, reason, err: error }, 'could not forward to the dead-letter topic');
}

/**
 * Temporal refused the message for good: counted, health degraded, dead-lettered with the reason
 * and acknowledged. Without a dead-letter topic (or when forwarding fails) it is handed back,
 * so that the subscription's own dead-letter policy bounds it and no alert is lost.
 */
async function refused(h: Handler, message: Message, site: string, err: TemporalRefused): Promise<void> {
  const { metrics, log } = h;
  const detail = redact(err.message);
  metrics.refused.inc({ reason: err.reason });
  h.state.degraded = { reason: err.reason, detail, since: new Date().toISOString() };
  const fields = { messageId: message.id, site, reason: err.reason, detail };
  if (h.deadLetter) {
    const error = await forwardToDeadLetter(h.deadLetter, message, {
      reason: err.reason,
      detail,
      subscription: h.subscription,
    });
    metrics.deadLettered.inc({ result: error ? 'failed' : 'ok' });
    if (!error) {
      log.error(fields, 'Temporal refused the alert (no retry can help); dead-lettered, fix the bridge config');
      message.ack();
      return;
    }
    log.error({ ...fields, err: error }, 'could not forward a refused alert to the dead-letter topic');
  }
  log.error(
    fields,
    'Temporal refused the alert (no retry can help); handed back: set alerts.deadLetterTopic or a dead-letter policy on the subscription',
  );
  metrics.nacked.inc();
  message.nack();
}

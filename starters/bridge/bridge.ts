// The Pub/Sub bridge's core: Cloud Monitoring notification channel → topic → this subscription → the
// site's incident workflow. A message is acknowledged only once Temporal has accepted what it
// asks for (or once it is judged unusable); while Temporal fails it is retried, then handed back
// to Pub/Sub for redelivery, so no good message is lost. Bad input is acknowledged, logged with
// its reason and message id (never its payload), counted, and optionally dead-lettered.
import type { AddressInfo } from 'node:net';
import { Duration, type Message, PubSub, type Subscription, type Topic } from '@google-cloud/pubsub';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { errorText } from '../../activities/errors.ts';
import { redact } from '../../activities/secrets.ts';
import type { Incidents } from '../../clients/incidents.ts';
import { logger as rootLogger } from '../../clients/logger.ts';
import { ConfigError } from '../../config/load.ts';
import type { AlertsConfig, Config } from '../../config/schema.ts';
import { type RejectReason, type SiteRouting, parseAlertMessage } from './alert-message.ts';
import { forwardToDeadLetter } from './dead-letter.ts';
import { type Outcome, deliver, secondsSince } from './deliver.ts';
import { serveHealth } from './health-server.ts';
import { type BridgeMetrics, createMetrics } from './metrics.ts';
import { RecentKeys, SerialQueues } from './ordering.ts';
import { TemporalRefused, temporalRefusal } from './temporal-refusal.ts';

export interface BridgeOptions {
  config: Config;
  /** The incidents the alerts trigger and signal (clients/incidents.ts). */
  incidents: Incidents;
  /** Default: a client for alerts.projectId (honours PUBSUB_EMULATOR_HOST). Not closed by stop() when given. */
  pubsub?: PubSub;
  logger?: Logger;
  /** Default: a fresh registry, so several bridges can live in one process (tests). */
  registry?: Registry;
  /** Overrides alerts.http; false: no HTTP server. */
  http?: false | { host: string; port: number };
  /** Testing seam: the subscriber's lease bounds (seconds), to make redelivery after a crash quick. */
  ackDeadlineSeconds?: number;
}

export interface Bridge {
  readonly registry: Registry;
  readonly metrics: BridgeMetrics;
  /** Where /healthz and /metrics answer, when the HTTP server runs. */
  readonly address: { host: string; port: number } | undefined;
  healthy(): boolean;
  /** Stops pulling, lets in-flight messages finish (or hands them back), then closes. Idempotent. */
  stop(): Promise<void>;
  /** Settles when the bridge has stopped; rejects if the subscription failed for good. */
  readonly done: Promise<void>;
}

/** What became of an accepted message (the `ignored` metric's reasons, or what was done). */
const RECENTLY_CLOSED_MAX = 10_000;

export function subscriptionName(alerts: AlertsConfig): string {
  return alerts.subscription.includes('/')
    ? alerts.subscription
    : `projects/${alerts.projectId}/subscriptions/${alerts.subscription}`;
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const { config, incidents } = options;
  const alerts = config.alerts;
  if (!alerts)
    throw new ConfigError('alerts', [
      'the config has no "alerts" section: the bridge needs alerts.projectId and alerts.subscription',
    ]);
  const log = (options.logger ?? rootLogger).child({ component: 'pubsub-bridge' });
  const registry = options.registry ?? new Registry();
  const metrics = createMetrics(registry);
  const ownPubsub = !options.pubsub;
  const pubsub = options.pubsub ?? new PubSub({ projectId: alerts.projectId });
  const routing: SiteRouting = {
    siteLabel: alerts.siteLabel,
    policies: alerts.policies,
    knownSites: Object.keys(config.sites),
    acceptTestNotifications: alerts.testNotifications === 'trigger',
    maxMessageBytes: alerts.maxMessageBytes,
  };
  const subName = subscriptionName(alerts);
  const deadLetter: Topic | undefined = alerts.deadLetterTopic ? pubsub.topic(alerts.deadLetterTopic) : undefined;

  /** Closed alerts seen without an incident, so that a late "open" of the same alert starts nothing. */
  const recentlyClosed = new RecentKeys(RECENTLY_CLOSED_MAX);
  const siteQueues = new SerialQueues();
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let failed: Error | undefined;
  /** Set while Temporal refuses what the bridge asks (no retry helps); cleared by the next accepted call. */
  let degraded: { reason: string; detail: string; since: string } | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => {}); // observed through `done` by whoever cares

  const subscription: Subscription = pubsub.subscription(subName, {
    flowControl: { maxMessages: alerts.maxOutstanding, allowExcessMessages: false },
    // stop() waits for in-flight messages itself; close() then hands back whatever is held.
    closeOptions: { behavior: 'NACK', timeout: Duration.from({ seconds: 10 }) },
    ...(options.ackDeadlineSeconds !== undefined && {
      minAckDeadline: Duration.from({ seconds: options.ackDeadlineSeconds }),
      maxAckDeadline: Duration.from({ seconds: options.ackDeadlineSeconds }),
    }),
  });

  // Fail fast on a wrong name or missing permission, with the name in the message.
  try {
    const [exists] = await subscription.exists();
    if (!exists) throw new Error(`subscription ${subName} does not exist`);
  } catch (err) {
    if (ownPubsub) await pubsub.close().catch(() => {});
    throw new Error(`cannot use Pub/Sub subscription ${subName}: ${(err as Error).message}`, { cause: err });
  }

  // --- one message ---------------------------------------------------------------------------

  async function withTemporal<T>(what: string, messageId: string, call: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + alerts!.retryFor;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await incidents.client.connection.withDeadline(Date.now() + alerts!.temporalTimeout, call);
        degraded = undefined; // Temporal accepts calls again
        return result;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        metrics.temporalErrors.inc();
        // A wrong namespace, an invalid request or a refused identity: no retry can change the answer.
        const refusal = temporalRefusal(err);
        if (refusal) throw new TemporalRefused(refusal, err);
        const delay = Math.min(200 * 2 ** (attempt - 1), 5000);
        if (stopping || Date.now() + delay > giveUpAt) throw err;
        log.warn({ messageId, attempt, err: errorText(err) }, `${what} failed; retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async function reject(message: Message, reason: RejectReason, detail: string): Promise<void> {
    metrics.rejected.inc({ reason });
    const level = reason === 'test_notification' ? 'info' : 'warn';
    log[level](
      {
        messageId: message.id,
        reason,
        detail,
        bytes: message.length,
        deliveryAttempt: message.deliveryAttempt || undefined,
      },
      'message rejected',
    );
    if (!deadLetter) return;
    const error = await forwardToDeadLetter(deadLetter, message, { reason, detail, subscription: subName });
    metrics.deadLettered.inc({ result: error ? 'failed' : 'ok' });
    // Still acknowledged when it could not be forwarded: a bad message must not block the subscription.
    if (error) log.error({ messageId: message.id, reason, err: error }, 'could not forward to the dead-letter topic');
  }

  /**
   * Temporal refused the message for good: counted, health degraded, dead-lettered with the reason
   * and acknowledged. Without a dead-letter topic (or when forwarding fails) it is handed back,
   * so that the subscription's own dead-letter policy bounds it and no alert is lost.
   */
  async function refused(message: Message, site: string, err: TemporalRefused): Promise<void> {
    const detail = redact(err.message);
    metrics.refused.inc({ reason: err.reason });
    degraded = { reason: err.reason, detail, since: new Date().toISOString() };
    const fields = { messageId: message.id, site, reason: err.reason, detail };
    if (deadLetter) {
      const error = await forwardToDeadLetter(deadLetter, message, {
        reason: err.reason,
        detail,
        subscription: subName,
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

  async function handle(message: Message): Promise<void> {
    const t0 = performance.now();
    metrics.received.inc();
    metrics.inFlight.inc();
    try {
      const parsed = parseAlertMessage(message.data, routing);
      if (!parsed.ok) {
        await reject(message, parsed.reason, parsed.detail);
        message.ack();
        return;
      }
      const alert = parsed.alert;
      let outcome: Outcome;
      try {
        outcome = await siteQueues.run(alert.site, () =>
          deliver(alert, message, { incidents, recentlyClosed, withTemporal, metrics }),
        );
      } catch (err) {
        if (err instanceof TemporalRefused) {
          await refused(message, alert.site, err);
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

  subscription.on('message', (message: Message) => {
    // While stopping, new deliveries are held untouched: they keep the flow-control window full
    // (so the server sends no more) and close() hands them back for the next bridge.
    if (stopping) return;
    const p = handle(message);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  subscription.on('error', (err: Error) => {
    // The client retries transient stream errors itself; what reaches here closed the subscriber.
    failed = err;
    log.error({ err: errorText(err), subscription: subName }, 'subscription failed');
    void stop().then(() => rejectDone(err));
  });

  // --- health and metrics ----------------------------------------------------------------------

  const httpOpts = options.http ?? alerts.http;
  const server = httpOpts
    ? await serveHealth(httpOpts, registry, () => ({
        ok: healthy(),
        body: {
          status: healthy() ? 'ok' : stopping ? 'stopping' : failed ? 'failed' : 'degraded',
          subscription: subName,
          inFlight: inFlight.size,
          ...(failed && { error: errorText(failed) }),
          ...(degraded && { degraded }),
        },
      }))
    : undefined;
  const bound = server?.address() as AddressInfo | undefined;

  /** False too while Temporal refuses the bridge's calls (wrong namespace, permission, invalid request). */
  function healthy(): boolean {
    return !stopping && !failed && !degraded && subscription.isOpen;
  }

  let stopped: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopped ??= (async () => {
      stopping = true;
      log.info({ inFlight: inFlight.size }, 'stopping: draining in-flight messages');
      // In-flight messages finish (Temporal retries are cut short: those are handed back) ...
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        Promise.allSettled([...inFlight]).then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), alerts!.drainTimeout))),
      ]);
      clearTimeout(timer);
      if (!drained) log.warn({ inFlight: inFlight.size }, 'drain timeout: handing the remaining messages back');
      // ... then the stream stops, messages not yet handled are nacked, and acks are flushed.
      await subscription.close().catch((err: unknown) => log.warn({ err: errorText(err) }, 'closing the subscription'));
      if (deadLetter) await deadLetter.flush().catch(() => {});
      if (ownPubsub) await pubsub.close().catch(() => {});
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      log.info('stopped');
      if (!failed) resolveDone();
    })();
    return stopped;
  }

  log.info(
    { subscription: subName, maxOutstanding: alerts.maxOutstanding, http: bound && `${bound.address}:${bound.port}` },
    'bridge started',
  );
  return {
    registry,
    metrics,
    address: bound && { host: bound.address, port: bound.port },
    healthy,
    stop,
    done,
  };
}

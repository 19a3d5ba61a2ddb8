// The Pub/Sub bridge: Cloud Monitoring notification channel → topic → this subscription → the
// site's incident workflow. A message is acknowledged only once Temporal has accepted what it
// asks for (or once it is judged unusable); while Temporal fails it is retried, then handed back
// to Pub/Sub for redelivery, so no good message is lost. This file is the lifecycle (subscribe,
// health, drain and stop); message-handler.ts handles one message, temporal-retry.ts one call.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duration, type Message, PubSub, type Subscription, type Topic } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Incidents } from '../../clients/incidents.ts';
import { logger as rootLogger } from '../../clients/logger.ts';
import { ConfigError } from '../../config/load.ts';
import type { AlertsConfig, Config } from '../../config/schema.ts';
import type { SiteRouting } from './alert-message.ts';
import { serveHealth } from './health-server.ts';
import { messageHandler } from './message-handler.ts';
import { type BridgeMetrics, createMetrics } from './metrics.ts';
import { type BridgeState, temporalRetry } from './temporal-retry.ts';
import { errorMessage, errorText } from '../../workflows/error-text.ts';

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

function subscriptionName(alerts: AlertsConfig): string {
  return alerts.subscription.includes('/')
    ? alerts.subscription
    : `projects/${alerts.projectId}/subscriptions/${alerts.subscription}`;
}

/** The running parts stop() closes, and what health reports. */
interface Running {
  alerts: AlertsConfig;
  log: Logger;
  pubsub: PubSub;
  ownPubsub: boolean;
  subscription: Subscription;
  subName: string;
  deadLetter: Topic | undefined;
  state: BridgeState;
  inFlight: Set<Promise<void>>;
  failed: Error | undefined;
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
  const r = await open(options, alerts, log);
  const { state, subscription, subName } = r;
  const handle = messageHandler({
    routing: routingOf(config, alerts),
    incidents,
    withTemporal: temporalRetry({ incidents, alerts, metrics, log, state }),
    metrics,
    log,
    state,
    deadLetter: r.deadLetter,
    subscription: subName,
  });
  const done = Promise.withResolvers<void>();
  done.promise.catch(() => {}); // observed through `done` by whoever cares

  subscription.on('message', (message: Message) => {
    // While stopping, new deliveries are held untouched: they keep the flow-control window full
    // (so the server sends no more) and close() hands them back for the next bridge.
    if (state.stopping) return;
    const p = handle(message);
    r.inFlight.add(p);
    void p.finally(() => r.inFlight.delete(p));
  });
  subscription.on('error', (cause: Error) => {
    // The client retries transient stream errors itself; what reaches here closed the subscriber.
    const err = pullFailure(cause, subName);
    r.failed = err;
    log.error({ err: errorText(err), subscription: subName }, 'subscription failed');
    void stop().then(() => done.reject(err));
  });

  /** False too while Temporal refuses the bridge's calls (wrong namespace, permission, invalid request). */
  const healthy = () => !state.stopping && !r.failed && !state.degraded && subscription.isOpen;
  const server = await serveHealthOf(options.http ?? alerts.http, registry, r, healthy);
  const bound = server?.address() as AddressInfo | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= drainAndClose(r, server).then(() => void (r.failed || done.resolve())));

  log.info(
    { subscription: subName, maxOutstanding: alerts.maxOutstanding, http: bound && `${bound.address}:${bound.port}` },
    'bridge started',
  );
  const address = bound && { host: bound.address, port: bound.port };
  return { registry, metrics, address, healthy, stop, done: done.promise };
}

/** The Pub/Sub side: the client, the subscription (checked) and the dead-letter topic. */
async function open(options: BridgeOptions, alerts: AlertsConfig, log: Logger): Promise<Running> {
  const ownPubsub = !options.pubsub;
  const pubsub = options.pubsub ?? new PubSub({ projectId: alerts.projectId });
  const subName = subscriptionName(alerts);
  const subscription = await openSubscription(pubsub, ownPubsub, subName, alerts, options.ackDeadlineSeconds, log);
  const deadLetter = alerts.deadLetterTopic ? pubsub.topic(alerts.deadLetterTopic) : undefined;
  const state: BridgeState = { stopping: false, degraded: undefined };
  return {
    alerts,
    log,
    pubsub,
    ownPubsub,
    subscription,
    subName,
    deadLetter,
    state,
    inFlight: new Set(),
    failed: undefined,
  };
}

function routingOf(config: Config, alerts: AlertsConfig): SiteRouting {
  return {
    siteLabel: alerts.siteLabel,
    policies: alerts.policies,
    knownSites: Object.keys(config.sites),
    acceptTestNotifications: alerts.testNotifications === 'trigger',
    maxMessageBytes: alerts.maxMessageBytes,
  };
}

/**
 * The subscription, checked first when the identity may read it: a name that does not exist fails
 * fast. roles/pubsub.subscriber, all the bridge needs, lacks pubsub.subscriptions.get: a refused
 * metadata read is logged and the bridge starts anyway; streaming pull then tells the truth.
 */
async function openSubscription(
  pubsub: PubSub,
  ownPubsub: boolean,
  subName: string,
  alerts: AlertsConfig,
  ackDeadlineSeconds: number | undefined,
  log: Logger,
): Promise<Subscription> {
  const subscription = pubsub.subscription(subName, {
    flowControl: { maxMessages: alerts.maxOutstanding, allowExcessMessages: false },
    // stop() waits for in-flight messages itself; close() then hands back whatever is held.
    closeOptions: { behavior: 'NACK', timeout: Duration.from({ seconds: 10 }) },
    ...(ackDeadlineSeconds !== undefined && {
      minAckDeadline: Duration.from({ seconds: ackDeadlineSeconds }),
      maxAckDeadline: Duration.from({ seconds: ackDeadlineSeconds }),
    }),
  });
  let exists: boolean;
  try {
    [exists] = await subscription.exists();
  } catch (err) {
    const permission = 'pubsub.subscriptions.get';
    log.warn(
      { err: errorText(err), subscription: subName, permission },
      'cannot read the subscription (starting anyway)',
    );
    return subscription;
  }
  if (!exists) {
    if (ownPubsub) await pubsub.close().catch(() => {});
    throw new Error(`cannot use Pub/Sub subscription ${subName}: subscription ${subName} does not exist`);
  }
  return subscription;
}

/** What closed the stream, with what to do about a refusal or a missing subscription. */
function pullFailure(err: Error, subName: string): Error {
  const code = (err as { code?: number }).code;
  const [status, hint] =
    code === 7
      ? [
          'PERMISSION_DENIED',
          `: the identity needs roles/pubsub.subscriber (pubsub.subscriptions.consume) on ${subName}`,
        ]
      : code === 5
        ? ['NOT_FOUND', ': the subscription does not exist']
        : [code === undefined ? 'no status' : `code ${code}`, ''];
  return new Error(`streaming pull from ${subName} refused (${status}): ${errorMessage(err)}${hint}`, { cause: err });
}

/** /healthz and /metrics, unless the HTTP server is turned off. */
async function serveHealthOf(
  http: false | { host: string; port: number } | undefined,
  registry: Registry,
  r: Running,
  healthy: () => boolean,
): Promise<Server | undefined> {
  if (!http) return undefined;
  return serveHealth(http, registry, () => ({
    ok: healthy(),
    body: {
      status: healthy() ? 'ok' : r.state.stopping ? 'stopping' : r.failed ? 'failed' : 'degraded',
      subscription: r.subName,
      inFlight: r.inFlight.size,
      ...(r.failed && { error: errorText(r.failed) }),
      ...(r.state.degraded && { degraded: r.state.degraded }),
    },
  }));
}

/** In-flight messages finish (Temporal retries are cut short: those are handed back), then all closes. */
async function drainAndClose(r: Running, server: Server | undefined): Promise<void> {
  const { log } = r;
  r.state.stopping = true;
  log.info({ inFlight: r.inFlight.size }, 'stopping: draining in-flight messages');
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    Promise.allSettled([...r.inFlight]).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), r.alerts.drainTimeout))),
  ]);
  clearTimeout(timer);
  if (!drained) log.warn({ inFlight: r.inFlight.size }, 'drain timeout: handing the remaining messages back');
  // ... then the stream stops, messages not yet handled are nacked, and acks are flushed.
  await r.subscription.close().catch((err: unknown) => log.warn({ err: errorText(err) }, 'closing the subscription'));
  if (r.deadLetter) await r.deadLetter.flush().catch(() => {});
  if (r.ownPubsub) await r.pubsub.close().catch(() => {});
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  log.info('stopped');
}

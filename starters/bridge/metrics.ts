// The bridge's Prometheus metrics: what it received, started, signalled, rejected, ignored, and how
// long each alert took from its publication to Temporal accepting it.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
export type BridgeMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(registry: Registry) {
  const registers = [registry];
  return { ...messageMetrics(registers), ...incidentMetrics(registers) };
}

/** What became of each message: received, rejected, ignored, handed back, dead-lettered. */
function messageMetrics(registers: Registry[]) {
  return {
    received: new Counter({
      name: 'failover_bridge_messages_received_total',
      help: 'Messages delivered to the bridge (redeliveries included)',
      registers,
    }),
    rejected: new Counter({
      name: 'failover_bridge_messages_rejected_total',
      help: 'Unusable messages, acknowledged without effect',
      labelNames: ['reason'],
      registers,
    }),
    ignored: new Counter({
      name: 'failover_bridge_messages_ignored_total',
      help: 'Valid messages with nothing to do (duplicates, closed alerts without incident)',
      labelNames: ['reason'],
      registers,
    }),
    nacked: new Counter({
      name: 'failover_bridge_messages_nacked_total',
      help: 'Messages handed back to Pub/Sub for redelivery',
      registers,
    }),
    deadLettered: new Counter({
      name: 'failover_bridge_dead_lettered_total',
      help: 'Rejected messages forwarded to the dead-letter topic',
      labelNames: ['result'],
      registers,
    }),
    handling: new Histogram({
      name: 'failover_bridge_handling_seconds',
      help: 'Time spent handling one message',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inFlight: new Gauge({ name: 'failover_bridge_messages_in_flight', help: 'Messages being handled now', registers }),
  };
}

/** What the messages did to the incidents, and what Temporal answered. */
function incidentMetrics(registers: Registry[]) {
  return {
    started: new Counter({
      name: 'failover_bridge_incidents_started_total',
      help: 'Open alerts that started an incident (signal-with-start, no incident was running)',
      labelNames: ['site'],
      registers,
    }),
    signalled: new Counter({
      name: 'failover_bridge_signals_total',
      help: 'Signals delivered to a running incident',
      labelNames: ['signal'],
      registers,
    }),
    temporalErrors: new Counter({
      name: 'failover_bridge_temporal_errors_total',
      help: 'Failed calls to Temporal (each is retried)',
      registers,
    }),
    refused: new Counter({
      name: 'failover_bridge_temporal_refused_total',
      help: 'Messages Temporal refused for good (unknown namespace, invalid argument, permission denied): dead-lettered, not retried',
      labelNames: ['reason'],
      registers,
    }),
    publishToSignal: new Histogram({
      name: 'failover_bridge_publish_to_signal_seconds',
      help: 'From the publish time of an alert to Temporal accepting its signal',
      labelNames: ['signal'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

// The bridge's policy for one call to Temporal: each attempt bounded by alerts.temporalTimeout,
// retried with backoff while Temporal fails for up to alerts.retryFor (cut short while stopping),
// and given up at once when Temporal refuses it for good (temporal-refusal.ts).
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Incidents } from '../../clients/incidents.ts';
import type { AlertsConfig } from '../../config/schema.ts';
import type { BridgeMetrics } from './metrics.ts';
import { TemporalRefused, temporalRefusal } from './temporal-refusal.ts';
import { errorText } from '../../workflows/error-text.ts';

/** Why the bridge reports itself unhealthy while Temporal refuses what it asks (no retry helps). */
export interface Degraded {
  reason: string;
  detail: string;
  since: string;
}

/** What the lifecycle, the message handler and the retry share. */
export interface BridgeState {
  stopping: boolean;
  /** Set by a refused message; cleared by the next call Temporal accepts. */
  degraded: Degraded | undefined;
}

/** One call to Temporal, retried while it fails for a while (the bridge's policy). */
export type WithTemporal = <T>(what: string, messageId: string, call: () => Promise<T>) => Promise<T>;

export interface RetryDeps {
  incidents: Incidents;
  alerts: Pick<AlertsConfig, 'retryFor' | 'temporalTimeout'>;
  metrics: BridgeMetrics;
  log: Logger;
  state: BridgeState;
}

export function temporalRetry({ incidents, alerts, metrics, log, state }: RetryDeps): WithTemporal {
  return async function withTemporal<T>(what: string, messageId: string, call: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + alerts.retryFor;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await incidents.client.connection.withDeadline(Date.now() + alerts.temporalTimeout, call);
        state.degraded = undefined; // Temporal accepts calls again
        return result;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        metrics.temporalErrors.inc();
        // A wrong namespace, an invalid request or a refused identity: no retry can change the answer.
        const refusal = temporalRefusal(err);
        if (refusal) throw new TemporalRefused(refusal, err);
        const delay = Math.min(200 * 2 ** (attempt - 1), 5000);
        if (state.stopping || Date.now() + delay > giveUpAt) throw err;
        log.warn({ messageId, attempt, err: errorText(err) }, `${what} failed; retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
}

// What a notification channel is: something that takes one event's message and delivers it, or
// throws a ProviderError saying why (never its URL: the URLs are secrets).
import type { NotificationEvent } from '../../workflows/notification-types.ts';

/** The message every channel sends: the event, its times readable, and the link to the workflow. */
export interface NotificationMessage {
  id: string;
  kind: NotificationEvent['kind'];
  site: string;
  state: string;
  previous?: string;
  cause?: string;
  /** ISO 8601. */
  at: string;
  /** `*At`: ISO 8601; `*Ms`: milliseconds. */
  timings: MessageTimings;
  /** The workflow in the Temporal UI, when the config names the UI's URL. */
  link?: string;
  workflow: NotificationEvent['workflow'];
}

export interface MessageTimings {
  startedAt?: string;
  previousMs?: number;
  onStandbyAt?: string;
  failoverMs?: number;
  endedAt?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function timingsOf({ startedAt, previousMs, onStandbyAt, failoverMs, endedAt }: NotificationEvent['timings']) {
  return {
    ...(startedAt !== undefined && { startedAt: iso(startedAt) }),
    ...(previousMs !== undefined && { previousMs }),
    ...(onStandbyAt !== undefined && { onStandbyAt: iso(onStandbyAt) }),
    ...(failoverMs !== undefined && { failoverMs }),
    ...(endedAt !== undefined && { endedAt: iso(endedAt) }),
  };
}

export interface NotificationChannel {
  readonly type: 'webhook' | 'slack' | 'pubsub';
  /** Delivers once; `signal` stops it when the attempt is cancelled or runs out of time. */
  send(message: NotificationMessage, signal: AbortSignal): Promise<void>;
}

/** The worker's channels by their configured name, and the Temporal UI the links point to. */
export interface Notifiers {
  channels: ReadonlyMap<string, NotificationChannel>;
  temporalUiUrl?: string;
}

/** The message for one event; the link is the workflow's page in the Temporal UI. */
export function messageOf(event: NotificationEvent, temporalUiUrl?: string): NotificationMessage {
  const { namespace, workflowId, runId } = event.workflow;
  const base = temporalUiUrl?.replace(/\/+$/, '');
  return {
    id: event.id,
    kind: event.kind,
    site: event.site,
    state: event.state,
    ...(event.previous !== undefined && { previous: event.previous }),
    ...(event.cause !== undefined && { cause: event.cause }),
    at: iso(event.at),
    timings: timingsOf(event.timings),
    ...(base && {
      link: `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`,
    }),
    workflow: event.workflow,
  };
}

// Notifications never block or fail the sender: each event is a child workflow of its own (ID =
// the event's ID), started and abandoned, that delivers to each channel with a retried activity
// and swallows what cannot be delivered. It outlives the incident's run, so the final phase's
// notification is delivered after the incident ended.
import { CancellationScope, ParentClosePolicy, log, proxyActivities, startChild } from '@temporalio/workflow';
import type { NotificationActivities as A } from '../activities/index.ts';
import { errorMessage, failureMessage } from './error-text.ts';
import { NON_RETRYABLE } from './failure-types.ts';
import type { NotificationEvent, NotificationOutcome, NotifyPolicy } from './notification-types.ts';

/** The workflow that delivers one event to every channel; it always completes. */
export async function notification(event: NotificationEvent, policy: NotifyPolicy): Promise<NotificationOutcome> {
  const outcome: NotificationOutcome = { delivered: [], failed: [] };
  await Promise.all(
    policy.channels.map(async (channel) => {
      const act = proxyActivities<Pick<A, 'deliverNotification'>>({
        summary: `notify ${channel}`,
        startToCloseTimeout: policy.attemptTimeoutMs,
        scheduleToCloseTimeout: policy.deliverForMs,
        retry: {
          initialInterval: '1s',
          backoffCoefficient: 2,
          maximumInterval: '1m',
          nonRetryableErrorTypes: NON_RETRYABLE,
        },
      });
      try {
        await act.deliverNotification(event, channel);
        outcome.delivered.push(channel);
      } catch (err) {
        outcome.failed.push({ channel, error: failureMessage(err) });
      }
    }),
  );
  if (outcome.failed.length > 0) log.warn('notification not delivered', { id: event.id, failed: outcome.failed });
  return outcome;
}

/**
 * Starts the delivery of one event and returns once it has started (or could not be): a readiness
 * workflow calls this too. Await it before the caller's run ends, so the start is not lost with it.
 */
export function notify(event: NotificationEvent, policy: NotifyPolicy): Promise<void> {
  // Not cancellable: a phase entered while the incident is being cancelled (its undo) is notified too.
  const started = CancellationScope.nonCancellable(() =>
    startChild(notification, {
      workflowId: `notify/${event.id}`,
      args: [event, policy],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `${event.site}: ${event.state}`,
    }),
  );
  return started.then(
    () => undefined,
    (err: unknown) => log.warn('notification not started', { id: event.id, error: errorMessage(err) }),
  );
}

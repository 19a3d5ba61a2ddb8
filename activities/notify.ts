// The notification activity: one event to one channel, retried by the workflow's policy (with
// backoff, for a bounded time). The channels and their secret URLs are the worker's; the workflow
// names a channel only.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../workflows/failure-types.ts';
import type { NotificationEvent } from '../workflows/notification-types.ts';
import { type Notifiers, messageOf } from './notifications/channel.ts';
import { toFailure } from './errors.ts';

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;

/** Stop a call this long before the attempt's start-to-close, so it fails as itself, not as a timeout. */
const MARGIN_MS = 500;

export function createNotificationActivities(notifiers?: Notifiers) {
  return {
    async deliverNotification(event: NotificationEvent, channel: string): Promise<void> {
      const ctx = Context.current();
      const target = notifiers?.channels.get(channel);
      if (!target) {
        throw ApplicationFailure.create({
          type: FailureType.InvalidConfig,
          nonRetryable: true,
          message: `no notification channel "${channel}" on this worker (notifications.channels in its config)`,
        });
      }
      const timeout = Math.max(ctx.info.startToCloseTimeoutMs - MARGIN_MS, 1000);
      const signal = AbortSignal.any([ctx.cancellationSignal, AbortSignal.timeout(timeout)]);
      try {
        await target.send(messageOf(event, notifiers?.temporalUiUrl), signal);
      } catch (err) {
        throw toFailure(err, ctx.info.attempt);
      }
      ctx.log.info('notification delivered', { id: event.id, channel, attempt: ctx.info.attempt });
    },
  };
}

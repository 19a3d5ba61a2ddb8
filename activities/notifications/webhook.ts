// A JSON webhook: the message as the body, its ID in the Idempotency-Key header (a redelivery
// carries the same one: the receiver de-duplicates on it).
import type { NotificationChannel } from './channel.ts';
import { postJson } from './post.ts';

export function webhookChannel(name: string, url: string): NotificationChannel {
  return {
    type: 'webhook',
    send: (message, signal) =>
      postJson(
        `webhook "${name}"`,
        url,
        message,
        { 'idempotency-key': message.id, 'x-failover-event': message.kind },
        signal,
      ),
  };
}

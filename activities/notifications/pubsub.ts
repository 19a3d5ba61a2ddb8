// A Pub/Sub topic: the message as JSON data, the event's ID, kind, site and state as attributes
// (subscribers de-duplicate on eventId), ordered per site.
import type { Topic } from '@google-cloud/pubsub';
import { ProviderError } from '../errors.ts';
import type { NotificationChannel } from './channel.ts';

/** gRPC codes: 7 PERMISSION_DENIED, 16 UNAUTHENTICATED, 5 NOT_FOUND, 3 INVALID_ARGUMENT. */
function kindOfCode(code: unknown) {
  if (code === 7 || code === 16) return 'permission' as const;
  if (code === 5) return 'not_found' as const;
  if (code === 3) return 'invalid_config' as const;
  return 'unavailable' as const;
}

export function pubsubChannel(name: string, topic: Topic): NotificationChannel {
  return {
    type: 'pubsub',
    async send(message) {
      const orderingKey = message.site;
      try {
        await topic.publishMessage({
          data: Buffer.from(JSON.stringify(message)),
          attributes: { eventId: message.id, kind: message.kind, site: message.site, state: message.state },
          orderingKey,
        });
      } catch (err) {
        // A failed publish pauses its ordering key until resumed: the retry must be able to publish.
        topic.resumePublishing(orderingKey);
        const { code, details } = (err ?? {}) as { code?: unknown; details?: unknown };
        const what =
          typeof details === 'string' && details ? details : err instanceof Error ? err.message : String(err);
        throw new ProviderError(kindOfCode(code), `pubsub "${name}" (${topic.name}): ${what}`);
      }
    },
  };
}

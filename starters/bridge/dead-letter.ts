// Forwarding a message the bridge will not act on to the dead-letter topic, unchanged, with why
// in its attributes, so a person can look at it and republish it.
import type { Message, Topic } from '@google-cloud/pubsub';
import { errorText } from '../../workflows/error-text.ts';

export interface Rejection {
  reason: string;
  detail: string;
  /** The subscription it came from. */
  subscription: string;
}

/** Resolves to undefined once the topic took it, else to why it did not. */
export async function forwardToDeadLetter(topic: Topic, message: Message, why: Rejection): Promise<string | undefined> {
  try {
    await topic.publishMessage({
      data: message.data,
      attributes: {
        ...message.attributes,
        failover_reject_reason: why.reason,
        failover_reject_detail: why.detail.slice(0, 1000),
        failover_source_message_id: message.id,
        failover_source_subscription: why.subscription,
      },
    });
    return undefined;
  } catch (err) {
    return errorText(err);
  }
}

// The notifications section of the config (docs/notifications.md): the channels, by name, and what
// they are told. URLs are secrets: the config names the environment variable that holds each.
import { z } from 'zod';
import { PHASES } from '../workflows/incident-types.ts';
import { NOTIFIED_PHASES } from '../workflows/notification-types.ts';
import { httpUrl, positive } from './site-schema.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CHANNEL_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const urlEnv = z
  .string()
  .regex(ENV_NAME, 'the name of an environment variable (it holds the URL: a secret, never in the config)');

const channel = z.discriminatedUnion('type', [
  /** JSON POST; the event ID in the Idempotency-Key header and the body. */
  z.strictObject({ type: z.literal('webhook'), urlEnv }),
  /** A Slack incoming webhook (Block Kit). */
  z.strictObject({ type: z.literal('slack'), urlEnv }),
  /** A Pub/Sub topic; the event ID in the eventId attribute. */
  z.strictObject({
    type: z.literal('pubsub'),
    projectId: z.string().min(1),
    /** A short name, or projects/<p>/topics/<t>. */
    topic: z.string().min(1),
  }),
]);

export const notifications = z.strictObject({
  /** The channels by name (lower-case letters, digits and dashes: the name reaches workflow history). */
  channels: z
    .record(z.string().regex(CHANNEL_NAME, 'channel names are lower-case letters, digits and dashes'), channel)
    .refine((c) => Object.keys(c).length > 0, 'at least one channel is needed'),
  /** The phases notified (default: every phase change but awaiting_trigger and dismissed). */
  phases: z
    .array(z.enum(PHASES))
    .min(1)
    .default([...NOTIFIED_PHASES]),
  /** The Temporal UI's URL, e.g. http://127.0.0.1:8233: each message links to its incident there. */
  temporalUiUrl: httpUrl.optional(),
  /** A channel's delivery is retried with backoff for this long, then given up (a dead endpoint does not pile up). */
  deliverFor: positive('nothing would ever be delivered').default(10 * 60_000),
  /** Bound on one attempt. */
  attemptTimeout: positive('every attempt would time out').default(15_000),
});

export type NotificationsConfig = z.infer<typeof notifications>;

// Builds the worker's notification channels from the config: each webhook's URL read from the
// environment variable the config names (a secret: registered for redaction, never logged).
import { PubSub } from '@google-cloud/pubsub';
import type { NotificationChannel, Notifiers } from '../activities/notifications/channel.ts';
import { pubsubChannel } from '../activities/notifications/pubsub.ts';
import { slackChannel } from '../activities/notifications/slack.ts';
import { webhookChannel } from '../activities/notifications/webhook.ts';
import { registerSecret } from '../activities/secrets.ts';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

export interface NotifierDeps {
  /** Where the URLs are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The Pub/Sub client of a project (tests: the emulator's); default one from the environment. */
  pubsub?: (projectId: string) => PubSub;
}

/** Undefined without a notifications section; a missing or malformed URL variable is a ConfigError naming it. */
export function buildNotifiers(config: Config, deps: NotifierDeps = {}): Notifiers | undefined {
  const n = config.notifications;
  if (!n) return undefined;
  const env = deps.env ?? process.env;
  const clients = new Map<string, PubSub>();
  const pubsub = (projectId: string) => {
    let client = clients.get(projectId);
    if (!client) clients.set(projectId, (client = deps.pubsub?.(projectId) ?? new PubSub({ projectId })));
    return client;
  };
  const problems: string[] = [];
  const channels = new Map<string, NotificationChannel>();
  for (const [name, c] of Object.entries(n.channels)) {
    if (c.type === 'pubsub') {
      channels.set(name, pubsubChannel(name, pubsub(c.projectId).topic(c.topic, { messageOrdering: true })));
      continue;
    }
    const url = env[c.urlEnv];
    registerSecret(url);
    if (!url) problems.push(`notifications.channels.${name}: the environment variable ${c.urlEnv} is not set`);
    else if (!/^https?:\/\/[^\s]+$/.test(url))
      problems.push(`notifications.channels.${name}: ${c.urlEnv} does not hold an http(s) URL`);
    else channels.set(name, c.type === 'slack' ? slackChannel(name, url) : webhookChannel(name, url));
  }
  if (problems.length > 0) throw new ConfigError('notifications', problems);
  return { channels, ...(n.temporalUiUrl && { temporalUiUrl: n.temporalUiUrl }) };
}

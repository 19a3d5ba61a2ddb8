// The sandbox's notification endpoint: one local receiver standing in for a JSON webhook and a
// Slack incoming webhook, the config section that sends the worker's notifications there, and the
// environment the worker reads the (secret) URLs from. Opt-in: a worker without that environment
// refuses a config that names it.
//
//   const n = await startSandboxNotifications({ temporalUiUrl: 'http://127.0.0.1:8233' });
//   world.writeConfig(path, { notifications: n.config });  // and the worker's env: { ...world.env, ...n.env }
//   n.receiver.failNext(2);                                 // or POST <n.receiver.url>/_fail {"n": 2}
import { randomBytes } from 'node:crypto';
import { type NotificationReceiver, eventIdOf, startNotificationReceiver } from '../harness/notification-receiver.ts';

export interface SandboxNotifications {
  receiver: NotificationReceiver;
  /** The notifications section of the worker's config. */
  config: Record<string, unknown>;
  /** What the worker's environment needs: the channels' URLs. */
  env: { SANDBOX_WEBHOOK_URL: string; SANDBOX_SLACK_URL: string };
  /** What arrived, one line per request, for a report. */
  received(): SandboxNotification[];
  stop(): Promise<void>;
}

export interface SandboxNotification {
  at: number;
  channel: 'webhook' | 'slack';
  id: string;
  site: string;
  state: string;
  /** The HTTP status the endpoint answered (not 200: it was told to fail, and the delivery retried). */
  status: number;
}

export async function startSandboxNotifications(
  options: { host?: string; port?: number; temporalUiUrl?: string } = {},
): Promise<SandboxNotifications> {
  const receiver = await startNotificationReceiver(options.port ?? 0, options.host ?? '127.0.0.1');
  // A secret path, as real webhook URLs have: it must never show up in a log or a history.
  const secret = randomBytes(8).toString('hex');
  return {
    receiver,
    config: {
      channels: {
        webhook: { type: 'webhook', urlEnv: 'SANDBOX_WEBHOOK_URL' },
        slack: { type: 'slack', urlEnv: 'SANDBOX_SLACK_URL' },
      },
      ...(options.temporalUiUrl && { temporalUiUrl: options.temporalUiUrl }),
      deliverFor: '2m',
    },
    env: {
      SANDBOX_WEBHOOK_URL: `${receiver.url}/webhook/${secret}`,
      SANDBOX_SLACK_URL: `${receiver.url}/slack/${secret}`,
    },
    received: () => {
      const requests = receiver.requests();
      // Slack's message is for people: its site and state are those of the webhook's body with its ID.
      const events = new Map(requests.flatMap((r) => (typeof r.body.id === 'string' ? [[r.body.id, r.body]] : [])));
      return requests.map((r) => {
        const id = eventIdOf(r) ?? '?';
        const body = events.get(id) ?? {};
        return {
          at: r.at,
          channel: r.path.startsWith('/slack') ? 'slack' : 'webhook',
          id,
          site: String(body.site ?? '?'),
          state: String(body.state ?? '?'),
          status: r.status,
        };
      });
    },
    stop: () => receiver.close(),
  };
}

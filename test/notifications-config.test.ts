// The notifications section (docs/notifications.md): what the schema refuses, the policy the
// workflow gets (names only), and the worker's channels built from the environment without ever
// echoing a URL.
import { describe, expect, test } from 'vitest';
import { buildNotifiers } from '../clients/notifiers.ts';
import { incidentPolicy } from '../config/policies.ts';
import { ConfigError } from '../config/load.ts';
import { inMemoryConfig } from '../harness/sites.ts';
import { NOTIFIED_PHASES } from '../workflows/notification-types.ts';

const withNotifications = (notifications: unknown) => () => inMemoryConfig(['www'], {}, { notifications });

describe('the notifications section', () => {
  test('refuses bad channels, naming each', () => {
    expect(withNotifications({ channels: {} })).toThrow(/at least one channel/);
    expect(withNotifications({ channels: { ops: { type: 'webhook', url: 'https://x.test/' } } })).toThrow(
      /urlEnv|Unrecognized key/,
    );
    expect(withNotifications({ channels: { ops: { type: 'webhook', urlEnv: 'not a name' } } })).toThrow(
      /environment variable/,
    );
    expect(withNotifications({ channels: { Ops: { type: 'slack', urlEnv: 'X' } } })).toThrow(/lower-case/);
    expect(withNotifications({ channels: { ops: { type: 'email' } } })).toThrow(/type/);
    expect(withNotifications({ channels: { ops: { type: 'slack', urlEnv: 'X' } }, phases: ['over'] })).toThrow(
      /phases/,
    );
  });

  test("the workflow's policy holds the channels' names and the bounds, never a URL", () => {
    const config = withNotifications({
      channels: { ops: { type: 'webhook', urlEnv: 'OPS_URL' }, bus: { type: 'pubsub', projectId: 'p', topic: 't' } },
    })();
    expect(incidentPolicy(config.sites.www!, config.notifications).notify).toEqual({
      channels: ['ops', 'bus'],
      phases: [...NOTIFIED_PHASES],
      deliverForMs: 600_000,
      attemptTimeoutMs: 15_000,
    });
    expect(incidentPolicy(config.sites.www!).notify).toBeUndefined();
  });

  test('a missing or malformed URL variable fails the start, naming the variable and never its value', () => {
    const config = withNotifications({
      channels: { ops: { type: 'webhook', urlEnv: 'OPS_URL' }, chat: { type: 'slack', urlEnv: 'CHAT_URL' } },
    })();
    const secret = 'hooks.example.test/T0/B0/zzSecretzz';
    let err: unknown;
    try {
      buildNotifiers(config, { env: { CHAT_URL: `ftp://${secret}` } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'notifications.channels.ops: the environment variable OPS_URL is not set',
      'notifications.channels.chat: CHAT_URL does not hold an http(s) URL',
    ]);
    expect(String(err)).not.toContain('zzSecretzz');
    const built = buildNotifiers(config, { env: { OPS_URL: `https://${secret}`, CHAT_URL: `https://${secret}` } });
    expect([...built!.channels].map(([name, c]) => [name, c.type])).toEqual([
      ['ops', 'webhook'],
      ['chat', 'slack'],
    ]);
    expect(buildNotifiers(inMemoryConfig(['www']))).toBeUndefined();
  });
});

import { describe, expect, test } from 'vitest';
import { parseAlertMessage, type SiteRouting, toIso } from '../starters/bridge/alert-message.ts';
import { notification } from '../harness/notification.ts';

const routing: SiteRouting = {
  siteLabel: 'failover_site',
  policies: { 'legacy uptime policy': 'shop', 'projects/p/alertPolicies/77': 'docs' },
  knownSites: ['blog', 'shop', 'docs'],
  acceptTestNotifications: false,
  maxMessageBytes: 4096,
};

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('valid notifications', () => {
  test('open, with the site from the policy user label', () => {
    const msg = notification({
      incidentId: '0.abc',
      state: 'open',
      site: 'blog',
      startedAt: 1_700_000_000,
      summary: 'down',
    });
    const r = parseAlertMessage(bytes(msg), routing);
    expect(r).toEqual({
      ok: true,
      alert: {
        site: 'blog',
        state: 'open',
        incidentId: '0.abc',
        test: false,
        policyName: 'uptime blog',
        conditionName: 'Uptime check failing',
        summary: 'down',
        startedAt: '2023-11-14T22:13:20.000Z',
        url: expect.stringContaining('0.abc') as string,
      },
    });
  });

  test('closed carries ended_at', () => {
    const r = parseAlertMessage(
      bytes(notification({ incidentId: 'i', state: 'closed', site: 'blog', endedAt: 1_700_000_060 })),
      routing,
    );
    expect(r.ok && r.alert).toMatchObject({ state: 'closed', endedAt: '2023-11-14T22:14:20.000Z' });
  });

  test('site from the policies mapping, by display name and by resource name', () => {
    const byName = notification({ incidentId: 'i', state: 'open', policyName: 'legacy uptime policy' });
    expect(parseAlertMessage(bytes(byName), routing)).toMatchObject({ ok: true, alert: { site: 'shop' } });
    const byResource = notification({ incidentId: 'i', state: 'open', policyName: 'renamed' }) as {
      incident: Record<string, unknown>;
    };
    byResource.incident.condition = { name: 'projects/p/alertPolicies/77/conditions/1' };
    expect(parseAlertMessage(bytes(byResource), routing)).toMatchObject({ ok: true, alert: { site: 'docs' } });
  });

  test('the label wins over the mapping; a custom label name is honoured', () => {
    const msg = notification({
      incidentId: 'i',
      state: 'open',
      site: 'blog',
      siteLabel: 'dr_site',
      policyName: 'legacy uptime policy',
    });
    expect(parseAlertMessage(bytes(msg), { ...routing, siteLabel: 'dr_site' })).toMatchObject({
      ok: true,
      alert: { site: 'blog' },
    });
    // With the default label name, the dr_site label is not read and the mapping applies.
    expect(parseAlertMessage(bytes(msg), routing)).toMatchObject({ ok: true, alert: { site: 'shop' } });
  });

  test('unknown extra fields pass; minimal incidents are enough', () => {
    const r = parseAlertMessage(
      bytes({
        version: '1.2',
        extra: 1,
        incident: {
          incident_id: 'x',
          state: 'open',
          policy_user_labels: { failover_site: 'blog' },
          newField: { a: 1 },
        },
      }),
      routing,
    );
    expect(r).toEqual({ ok: true, alert: { site: 'blog', state: 'open', incidentId: 'x', test: false } });
  });

  test('test notifications (upper-case state) are acknowledged as such, or accepted when configured', () => {
    const msg = bytes(notification({ incidentId: '12345', state: 'open', site: 'blog', version: 'test' }));
    expect(JSON.parse(msg.toString()).incident.state).toBe('OPEN');
    expect(parseAlertMessage(msg, routing)).toMatchObject({
      ok: false,
      reason: 'test_notification',
      detail: expect.stringContaining('site blog') as string,
    });
    expect(parseAlertMessage(msg, { ...routing, acceptTestNotifications: true })).toMatchObject({
      ok: true,
      alert: { state: 'open', test: true },
    });
    const noSite = bytes(notification({ incidentId: '1', state: 'closed', version: 'test' }));
    expect(parseAlertMessage(noSite, routing)).toMatchObject({ ok: false, reason: 'test_notification' });
  });
});

describe('rejections never throw and never echo the payload', () => {
  const secret = 'sk-live-SECRET-should-not-leak';
  const cases: [string, Uint8Array | string, string][] = [
    ['empty', '', 'empty'],
    ['not JSON', `token=${secret}`, 'malformed_json'],
    [
      'truncated JSON',
      JSON.stringify(notification({ incidentId: 'i', state: 'open', site: 'blog' })).slice(0, 120),
      'malformed_json',
    ],
    ['non-UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'not_utf8'],
    ['lone surrogate bytes', new Uint8Array([0xed, 0xa0, 0x80]), 'not_utf8'],
    ['huge', `{"version":"1.2","incident":{"summary":"${'x'.repeat(5000)}"}}`, 'too_large'],
    ['JSON array', '[1,2,3]', 'unknown_schema'],
    ['JSON null', 'null', 'unknown_schema'],
    ['JSON string', JSON.stringify(secret), 'unknown_schema'],
    ['unknown version', JSON.stringify({ version: '2.0', incident: {} }), 'unknown_schema'],
    ['numeric version', JSON.stringify({ version: 1.2, incident: {} }), 'unknown_schema'],
    ['no incident', JSON.stringify({ version: '1.2' }), 'unknown_schema'],
    ['incident not an object', JSON.stringify({ version: '1.2', incident: secret }), 'invalid_incident'],
    [
      'incident_id missing',
      JSON.stringify({ version: '1.2', incident: { state: 'open', summary: secret } }),
      'invalid_incident',
    ],
    [
      'incident_id a number',
      JSON.stringify({ version: '1.2', incident: { incident_id: 5, state: 'open' } }),
      'invalid_incident',
    ],
    [
      'state unknown',
      JSON.stringify({ version: '1.2', incident: { incident_id: 'i', state: secret } }),
      'invalid_incident',
    ],
    [
      'labels not strings',
      JSON.stringify({
        version: '1.2',
        incident: { incident_id: 'i', state: 'open', policy_user_labels: { failover_site: 3 } },
      }),
      'invalid_incident',
    ],
    [
      'no site label or mapping',
      JSON.stringify(notification({ incidentId: 'i', state: 'open', policyName: 'unmapped', summary: secret })),
      'unknown_site',
    ],
    [
      'site not configured',
      JSON.stringify(notification({ incidentId: 'i', state: 'open', site: 'elsewhere', summary: secret })),
      'unknown_site',
    ],
  ];
  test.each(cases)('%s', (_name, data, reason) => {
    const r = parseAlertMessage(typeof data === 'string' ? Buffer.from(data) : data, routing);
    expect(r).toMatchObject({ ok: false, reason });
    if (!r.ok) {
      expect(r.detail).not.toContain('SECRET');
      expect(r.detail.length).toBeLessThan(300);
    }
  });

  test('fuzz: random bytes and mutated notifications only ever give a result', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const good = bytes(notification({ incidentId: 'i', state: 'open', site: 'blog' }));
    for (let i = 0; i < 2000; i++) {
      const data = i % 2 ? Buffer.from(good) : Buffer.alloc(Math.floor(rand() * 200));
      for (let j = 0; j < 1 + rand() * 8; j++) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
      const r = parseAlertMessage(data, routing);
      expect(typeof r.ok).toBe('boolean');
    }
  });
});

test('toIso reads epoch seconds, numeric strings and ISO dates', () => {
  expect(toIso(0)).toBe('1970-01-01T00:00:00.000Z');
  expect(toIso('1700000000')).toBe('2023-11-14T22:13:20.000Z');
  expect(toIso('2024-01-02T03:04:05Z')).toBe('2024-01-02T03:04:05.000Z');
  expect(toIso(null)).toBeUndefined();
  expect(toIso('yesterday')).toBeUndefined();
  expect(toIso(1e20)).toBeUndefined();
});

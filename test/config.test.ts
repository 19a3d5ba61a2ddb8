import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, configWarnings, loadConfig, parseConfig } from '../config/load.ts';
import { incidentPolicy } from '../config/policies.ts';
import { LEVER_STEP_DEFAULTS } from '../workflows/incident-activities.ts';
import { dnsDrainMs } from '../activities/providers/cloudflare/dns/drain.ts';

const VALID = `
sites:
  blog:
    publicUrl: https://blog.example.com/
    primary: { url: https://home.example.com/healthz, marker: primary }
    standby:
      url: https://blog-abc-uc.a.run.app/
      marker: standby
      access: { type: cloud-run, project: my-project, region: us-central1, service: blog }
    traffic: { type: cloudflare-page-rule, zoneId: z1, pageRuleId: pr1 }
    monitor: { type: cloud-monitoring, alertPolicy: projects/my-project/alertPolicies/123 }
    probe: { interval: 500ms, standbyReadyTimeout: 10m }
    failback: { mode: auto, holdDown: 2m }
`;

function problemsOf(text: string): string[] {
  try {
    parseConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('config was accepted');
}

describe('config', () => {
  test('a valid file parses, with defaults and durations in ms', () => {
    const config = parseConfig(VALID);
    const blog = config.sites.blog!;
    expect(config.temporal).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'failover',
      tls: false,
    });
    expect(blog.probe).toMatchObject({
      interval: 500,
      timeout: 3000,
      successesNeeded: 2,
      standbyReadyTimeout: 600_000,
    });
    expect(incidentPolicy(blog)).toEqual({
      failback: { mode: 'auto', holdDownMs: 120_000, maxAutoAttempts: 3, retryBackoffMs: 60_000 },
      // On by default: two automatic retries of a failover undone with the primary down (issue 16).
      failoverRetry: { maxAttempts: 2, backoffMs: 120_000 },
      standbyReadyTimeoutMs: 600_000,
      verifyTimeoutMs: 120_000,
      primaryCheckTimeoutMs: 30_000,
      probeIntervalMs: 500,
      probeCheckTimeoutMs: 3000,
      confirmOutage: true,
      // Derived from the providers' call profiles: the bounds these steps had when they were fixed.
      levers: {
        standbyAccess: { startToCloseTimeoutMs: 95_000, initialIntervalMs: 1000 },
        traffic: { startToCloseTimeoutMs: 25_000, initialIntervalMs: 500 },
        monitor: { startToCloseTimeoutMs: 30_000, initialIntervalMs: 1000 },
      },
    });
  });

  test('every problem is reported with its path, not just the first', () => {
    const problems = problemsOf(`
temporal: { adress: x }
sites:
  Bad_Name:
    publicUrl: ftp://nope
    primary: { url: not-a-url }
    standby: { url: https://s.example.com/, access: { type: cloud-run, project: p } }
    traffic: { type: carrier-pigeon }
    probe: { interval: soon }
`);
    const text = problems.join('\n');
    expect(text).toMatch(/temporal: Unrecognized key: "adress"/);
    expect(text).toMatch(/sites\.Bad_Name: site names are lower-case/);
    expect(text).toMatch(/sites\.Bad_Name\.publicUrl: expected an http\(s\) URL/);
    expect(text).toMatch(/sites\.Bad_Name\.primary\.url/);
    expect(text).toMatch(/sites\.Bad_Name\.standby\.access\.region/);
    expect(text).toMatch(/sites\.Bad_Name\.standby\.access\.service/);
    expect(text).toMatch(/sites\.Bad_Name\.traffic\.type/);
    expect(text).toMatch(/sites\.Bad_Name\.probe\.interval: expected a duration like 500ms/);
    expect(problems.length).toBeGreaterThanOrEqual(8);
  });

  test('YAML syntax errors and missing files are refused clearly', () => {
    expect(problemsOf('sites: [unclosed')[0]).toMatch(/^YAML: /);
    expect(problemsOf('sites: {}')).toEqual(['sites: at least one site is needed']);
    expect(() => loadConfig('/nonexistent/failover.yaml')).toThrow(/cannot read the file/);
  });

  test('loads from a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-config-'));
    const file = join(dir, 'sites.yaml');
    writeFileSync(file, 'sites: 3');
    expect(() => loadConfig(file)).toThrow(new RegExp(`invalid config ${file}`));
    writeFileSync(file, VALID);
    expect(Object.keys(loadConfig(file).sites)).toEqual(['blog']);
  });

  test('the example configs shipped with the project are valid', () => {
    expect(Object.keys(loadConfig('config/example.yaml').sites)).toEqual(['blog']);
    const production = loadConfig('config/production.example.yaml');
    expect(production.sites.blog!.standby.access.type).toBe('cloud-run');
    expect(production.watcher?.quorum).toBe(2);
  });

  test('zero durations are refused with the path and why', () => {
    const problems = problemsOf(
      VALID.replace(
        'probe: { interval: 500ms, standbyReadyTimeout: 10m }',
        'probe: { interval: 0s, timeout: 0, standbyReadyTimeout: 0ms }',
      ) +
        'watcher: { interval: 1s, timeout: 0s }\nalerts: { projectId: p, subscription: s, temporalTimeout: 0s }\napis: { cloudflare: { baseURL: http://127.0.0.1:1/, timeout: 0 } }\n',
    );
    const text = problems.join('\n');
    expect(text).toMatch(/sites\.blog\.probe\.interval: must be more than 0/);
    expect(text).toMatch(/sites\.blog\.probe\.timeout: must be more than 0/);
    expect(text).toMatch(/sites\.blog\.probe\.standbyReadyTimeout: must be more than 0/);
    expect(text).toMatch(
      /watcher\.timeout: must be more than 0: a check with no time fails every time, and fails every watched site over/,
    );
    expect(text).toMatch(/alerts\.temporalTimeout: must be more than 0/);
    expect(text).toMatch(/apis\.cloudflare\.timeout: must be more than 0/);
  });

  test('DNS TTLs Cloudflare refuses are refused; 30 (Enterprise only) is a warning', () => {
    const dns = (ttl: number) =>
      VALID.replace(
        'traffic: { type: cloudflare-page-rule, zoneId: z1, pageRuleId: pr1 }',
        `traffic: { type: cloudflare-dns, zoneId: z1, recordId: r1, primaryContent: home.example.com, standbyContent: standby-lb.example.com, ttl: ${ttl} }`,
      );
    for (const ttl of [0, 2, 29, 86_401]) {
      expect(problemsOf(dns(ttl)).join('\n')).toMatch(
        /sites\.blog\.traffic\.ttl: Cloudflare accepts a TTL of 1 \(automatic\) or 60 to 86400 seconds/,
      );
    }
    for (const ttl of [1, 60, 300, 86_400]) expect(configWarnings(parseConfig(dns(ttl)))).toEqual([]);
    expect(configWarnings(parseConfig(dns(30)))).toEqual([
      expect.stringMatching(/^sites\.blog\.traffic\.ttl: 30 s is accepted by Cloudflare on Enterprise zones only/),
    ]);
  });

  test('a DNS record switched to a *.run.app host is a warning: Cloud Run routes by Host and serves its own certificate', () => {
    const dns = (standbyContent: string) =>
      VALID.replace(
        'traffic: { type: cloudflare-page-rule, zoneId: z1, pageRuleId: pr1 }',
        `traffic: { type: cloudflare-dns, zoneId: z1, recordId: r1, primaryContent: home.example.com, standbyContent: ${standbyContent} }`,
      );
    const [warning, ...more] = configWarnings(parseConfig(dns('blog-abc-uc.a.run.app')));
    expect(more).toEqual([]);
    // What DNS mode needs instead: a load balancer (or the google-load-balancer lever in its
    // place), or a domain mapping with its certificate issued before the incident.
    expect(warning).toMatch(/^sites\.blog\.traffic\.standbyContent: blog-abc-uc\.a\.run\.app is a Cloud Run URL/);
    expect(warning).toMatch(/DNS mode needs a target that serves the public hostname with its certificate/);
    expect(warning).toMatch(/a load balancer in front of the standby.*traffic type google-load-balancer/);
    expect(warning).toMatch(/a Cloud Run domain mapping of the public hostname.*certificate/);
    expect(configWarnings(parseConfig(dns('blog-abc-uc.a.run.app.')))).toHaveLength(1);
    expect(configWarnings(parseConfig(dns('standby.example.com')))).toEqual([]);
    expect(configWarnings(parseConfig(dns('run.app.example.com')))).toEqual([]);
  });

  test('the bounds of each lever step are are derived from its provider (in-memory levers keep the workflow defaults)', () => {
    const policy = (traffic: string, access: string, monitor: string) =>
      incidentPolicy(
        parseConfig(
          VALID.replace('traffic: { type: cloudflare-page-rule, zoneId: z1, pageRuleId: pr1 }', `traffic: ${traffic}`)
            .replace(
              'access: { type: cloud-run, project: my-project, region: us-central1, service: blog }',
              `access: ${access}`,
            )
            .replace(
              'monitor: { type: cloud-monitoring, alertPolicy: projects/my-project/alertPolicies/123 }',
              `monitor: ${monitor}`,
            ),
        ).sites.blog!,
      );
    const cf = { startToCloseTimeoutMs: 25_000, initialIntervalMs: 500 };
    const redirect = '{ type: cloudflare-redirect-rule, zoneId: z1, ruleId: r1 }';
    const dns =
      '{ type: cloudflare-dns, zoneId: z1, recordId: r1, primaryContent: a.example.com, standbyContent: b.example.com }';
    expect(policy(redirect, '{ type: always-open }', '{ type: none }').levers).toEqual({ traffic: cf });
    expect(policy(dns, '{ type: always-open }', '{ type: none }')).toMatchObject({
      levers: { traffic: cf },
      drainBeforeCloseMs: 71_000,
    });
    expect(policy('{ type: in-memory }', '{ type: in-memory }', '{ type: in-memory }').levers).toBeUndefined();
    // The workflow's defaults for a policy without them are the same bounds.
    expect(LEVER_STEP_DEFAULTS).toEqual(incidentPolicy(parseConfig(VALID).sites.blog!).levers);
  });

  test('a primary (or standby) health URL on the public hostname is refused: failback could never pass', () => {
    const problems = problemsOf(
      VALID.replace('url: https://home.example.com/healthz', 'url: https://BLOG.example.com/healthz'),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^sites\.blog\.primary\.url: is on the public hostname blog\.example\.com, which the traffic switch redirects/,
      ),
    ]);
    expect(
      problemsOf(VALID.replace('url: https://blog-abc-uc.a.run.app/', 'url: https://blog.example.com/standby')),
    ).toEqual([expect.stringMatching(/^sites\.blog\.standby\.url: is on the public hostname/)]);
  });

  test('the watcher quorum must be a majority unless explicitly allowed (then a warning)', () => {
    const watcher = (w: string) => `${VALID}watcher: ${w}\n`;
    expect(problemsOf(watcher('{ locations: [a, b, c], quorum: 1 }'))).toEqual([
      expect.stringMatching(
        /^watcher\.quorum: quorum 1 of 3 locations is not a majority \(at least 2\).*watcher\.allowMinorityQuorum: true/,
      ),
    ]);
    expect(problemsOf(watcher('{ locations: [a, b], quorum: 1 }'))[0]).toMatch(/not a majority \(at least 2\)/);
    expect(configWarnings(parseConfig(watcher('{ locations: [a, b, c], quorum: 2 }')))).toEqual([]);
    expect(configWarnings(parseConfig(watcher('{ locations: [a], quorum: 1 }')))).toEqual([]);
    const allowed = parseConfig(watcher('{ locations: [a, b, c], quorum: 1, allowMinorityQuorum: true }'));
    expect(allowed.watcher?.quorum).toBe(1);
    expect(configWarnings(allowed)).toEqual([
      expect.stringMatching(/^watcher\.quorum: 1 of 3 locations is not a majority/),
    ]);
  });
  test('a DNS-switched site keeps its standby open a TTL after failing back (automatic TTL: 300 s)', () => {
    expect(dnsDrainMs(60)).toBe(71_000);
    expect(dnsDrainMs(1)).toBe(335_000);
  });
});

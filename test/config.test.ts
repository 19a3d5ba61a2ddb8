import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../config/load.ts';
import { incidentPolicy } from '../config/policies.ts';

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
      standbyReadyTimeoutMs: 600_000,
      verifyTimeoutMs: 120_000,
      primaryCheckTimeoutMs: 30_000,
      probeIntervalMs: 500,
      probeCheckTimeoutMs: 3000,
      confirmOutage: true,
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
});

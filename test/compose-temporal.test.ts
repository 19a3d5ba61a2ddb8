// The compose file's Temporal services against the images they run (issue 17, break 8): the server
// on temporalio/server (auto-setup is deprecated), its schemas set up by a temporalio/admin-tools
// one-shot it waits for, each given only variables its image reads, health checks that call a
// binary the image has. The variables are read from Temporal's own sources at the pinned release
// (scripts/go-tools/go.mod, from Go's module cache); no Docker.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, test } from 'vitest';
import { goModuleDir, goTool } from '../scripts/go-tools.ts';
import { composeServices, serviceEnv } from './support/compose-file.ts';

const services = composeServices();
const server = services.temporal!;
const schema = services['temporal-schema']!;
const release = /go\.temporal\.io\/server v(\S+)/.exec(readFileSync('scripts/go-tools/go.mod', 'utf8'))![1]!;

// What the official images hold in /usr/local/bin at this release (their Dockerfiles).
const IMAGE_BINARIES = {
  server: ['temporal-server', 'temporal', 'tctl', 'tctl-authorization-plugin'],
  adminTools: ['temporal', 'tctl', 'tctl-authorization-plugin', 'temporal-sql-tool', 'temporal-cassandra-tool', 'tdbg'],
};
// temporalio/server's entrypoint: BIND_ON_IP, the broadcast address, the CLI's address, SERVICES.
const SERVER_ENTRYPOINT_VARIABLES = [
  'BIND_ON_IP',
  'TEMPORAL_BROADCAST_ADDRESS',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_CLI_ADDRESS',
  'SERVICES',
];

let source: string;
const read = (path: string) => readFileSync(join(source, path), 'utf8');
const matches = (text: string, re: RegExp) => new Set([...text.matchAll(re)].map((m) => m[1]!));

beforeAll(async () => {
  source = await goModuleDir('go.temporal.io/server');
}, 300_000);

describe('the Temporal services of docker-compose.yml', () => {
  test(`no auto-setup: temporalio/server ${release}, after a temporalio/admin-tools schema one-shot of the same release`, () => {
    for (const [name, s] of Object.entries(services))
      expect({ name, image: s.image }).not.toMatchObject({
        image: expect.stringContaining('auto-setup'),
      });
    expect(server.image).toBe(`temporalio/server:${release}`);
    expect(schema.image).toMatch(new RegExp(`^temporalio/admin-tools:${release.replaceAll('.', '\\.')}-`));
    expect(server.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(schema.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services['temporal-init']!.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
  });

  test('the server gets only variables its image reads: the config template, the entrypoint, the server flags', () => {
    const known = new Set([
      ...matches(read('docker/config_template.yaml'), /\.Env\.([A-Z0-9_]+)/g),
      ...matches(read('common/config/loader.go'), /EnvKey\w+\s*=\s*"([A-Z0-9_]+)"/g),
      ...SERVER_ENTRYPOINT_VARIABLES,
    ]);
    expect(known).toContain('POSTGRES_SEEDS'); // the sources were read
    expect(Object.keys(serviceEnv(server)).filter((k) => !known.has(k))).toEqual([]);
  });

  test('the stand-in entrypoint reads no variable the official one does not', () => {
    const script = readFileSync('docker/standins/temporal-server/entrypoint.sh', 'utf8').replace(/^#.*$/gm, '');
    const read = [...matches(script, /\$\{?([A-Z][A-Z0-9_]*)/g)];
    expect(read).toContain('BIND_ON_IP');
    expect(read.filter((v) => !SERVER_ENTRYPOINT_VARIABLES.includes(v))).toEqual([]);
  });

  test('the template rendered with the server environment: both stores on the compose PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-config-'));
    let config;
    try {
      await goTool('failover.local/go-tools/render-config', join(dir, 'render-config'));
      const out = join(dir, 'docker.yaml');
      execFileSync(join(dir, 'render-config'), [join(source, 'docker/config_template.yaml'), out], {
        env: { PATH: process.env.PATH, ...serviceEnv(server) },
      });
      config = parse(readFileSync(out, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const store of ['default', 'visibility'])
      expect(config.persistence.datastores[store].sql).toMatchObject({
        pluginName: 'postgres12',
        connectAddr: 'postgresql:5432',
        user: 'temporal',
        password: 'temporal',
      });
    expect(config.services.frontend.rpc.bindOnIP).toBe('0.0.0.0');
    expect(config.dynamicConfigClient.filepath).toBe('/etc/temporal/config/dynamicconfig/failover.yaml');
    expect(server.volumes).toContain(
      './docker/temporal/dynamicconfig.yaml:/etc/temporal/config/dynamicconfig/failover.yaml:ro',
    );
  }, 300_000);

  test("the schema one-shot gets only temporal-sql-tool's variables and runs only what admin-tools has", () => {
    const known = matches(read('tools/sql/main.go'), /EnvVar:\s*"([A-Z0-9_]+)"/g);
    expect(known).toContain('SQL_PASSWORD');
    expect(Object.keys(serviceEnv(schema)).filter((k) => !known.has(k))).toEqual([]);
    expect(schema.entrypoint).toEqual(['sh', '/etc/temporal/setup-schema.sh']);
    expect(schema.volumes).toContain('./docker/temporal/setup-schema.sh:/etc/temporal/setup-schema.sh:ro');
    const script = readFileSync('docker/temporal/setup-schema.sh', 'utf8');
    const tools = matches(script, /^\s*([a-z][\w-]*-tool)\b/gm);
    expect([...tools]).toEqual(['temporal-sql-tool']);
    for (const tool of tools) expect(IMAGE_BINARIES.adminTools).toContain(tool);
    // Where admin-tools keeps the schemas, and so does the stand-in.
    expect(script).toContain('schemas=/etc/temporal/schema/postgresql/v12');
    expect(readFileSync('docker/standins/temporal-admin-tools/Dockerfile', 'utf8')).toContain(
      'COPY schema/ /etc/temporal/schema/',
    );
  });

  test('the server health check calls a binary temporalio/server has', () => {
    const check = server.healthcheck?.test ?? [];
    expect(check[0]).toBe('CMD'); // no shell: the binary is named as is
    expect(IMAGE_BINARIES.server).toContain(check[1]);
    expect(check.join(' ')).toContain('operator cluster health --address 127.0.0.1:7233');
    expect(serviceEnv(server).BIND_ON_IP).toBe('0.0.0.0'); // so the frontend answers on loopback
  });
});

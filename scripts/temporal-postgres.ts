// A self-hosted Temporal on PostgreSQL, natively (no containers): what a production install
// runs, small enough for a test or `npm start -- --temporal=postgres`.
//   - PostgreSQL: `initdb` in a folder of ours, listening on a loopback port only
//   - the schemas: Temporal's `sql` tool (create-database, setup-schema -v 0.0, update-schema -d …)
//   - the single-process server (frontend, history, matching, worker) on that database
//   - the `default` namespace with the FailoverSite / FailoverPhase search attributes
// The Go binaries are built once into .tools/temporal-<version>/ (scripts/go-tools.ts); the Debian
// package postgresql-15 is installed when no PostgreSQL server is found.
//
//   const t = await startTemporalPostgres({ dir: '/tmp/x' });   // t.address = 127.0.0.1:<port>
//   await t.killServer(); await t.startServer();                  // SIGKILL and restart, same database
//   await t.stop();
import { randomBytes } from 'node:crypto';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freeLowPort } from '../harness/ports.ts';
import { exec } from './exec.ts';
import { goModuleDir, goTool } from './go-tools.ts';
import { ensureNamespace } from './temporal-namespace.ts';

const TEMPORAL_SERVER_VERSION = '1.29.1';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (msg: string) => console.error(`[temporal-postgres] ${msg}`);

export interface TemporalBinaries {
  server: string;
  sql: string;
  /** schema/postgresql/v12/{temporal,visibility}/versioned */
  schema: { temporal: string; visibility: string };
}

/** Builds (once) Temporal's server and sql tool with Go into `.tools/temporal-<version>/`, with the schema folders beside them. */
export async function ensureTemporalBinaries(
  toolsDir = join(ROOT, '.tools', `temporal-${TEMPORAL_SERVER_VERSION}`),
): Promise<TemporalBinaries> {
  const bin = join(toolsDir, 'bin');
  const out: TemporalBinaries = {
    server: join(bin, 'server'),
    sql: join(bin, 'sql'),
    schema: {
      temporal: join(toolsDir, 'schema/postgresql/v12/temporal/versioned'),
      visibility: join(toolsDir, 'schema/postgresql/v12/visibility/versioned'),
    },
  };
  if (existsSync(out.server) && existsSync(out.sql) && existsSync(out.schema.visibility)) return out;
  log(`building Temporal server and sql tool v${TEMPORAL_SERVER_VERSION} with Go into ${toolsDir} (once)`);
  // From scripts/go-tools/go.mod: the graph the Temporal CLI was built with, so mostly a link.
  await goTool('go.temporal.io/server/cmd/server', out.server);
  await goTool('go.temporal.io/server/cmd/tools/sql', out.sql);
  // The schema folders come with the module source; copied so a cleaned module cache does not matter.
  const src = await goModuleDir('go.temporal.io/server');
  cpSync(join(src, 'schema/postgresql/v12'), join(toolsDir, 'schema/postgresql/v12'), { recursive: true });
  cpSync(join(src, 'docker/config_template.yaml'), join(toolsDir, 'config_template.yaml'));
  return out;
}

/** The bin folder of a PostgreSQL server install; installs Debian's postgresql-15 when there is none. */
async function ensurePostgres(): Promise<string> {
  const find = () => {
    const base = '/usr/lib/postgresql';
    if (!existsSync(base)) return undefined;
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin/initdb')));
    versions.sort((a, b) => Number(b) - Number(a));
    return versions[0] && join(base, versions[0], 'bin');
  };
  let found = find();
  if (!found) {
    log('no PostgreSQL server found: apt-get install -y postgresql-15');
    await exec('sh', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15']);
    found = find();
    if (!found) throw new Error('postgresql-15 installed but no initdb under /usr/lib/postgresql');
  }
  return found;
}

export interface TemporalPostgresOptions {
  /** State folder (database, config, logs); kept across restarts of the same folder. */
  dir: string;
  /** Frontend gRPC port (default: a free one). */
  port?: number;
  /** PostgreSQL port (default: a free one). */
  pgPort?: number;
  namespace?: string;
  /** Dynamic config values, e.g. { 'system.enableActivityEagerExecution': true }. */
  dynamicConfig?: Record<string, unknown>;
}

export interface TemporalPostgres {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  pgPort: number;
  dir: string;
  serverPid(): number | undefined;
  /** SIGKILL: the server dies with whatever it had in flight. */
  killServer(): Promise<void>;
  /** Starts the server again on the same database, and waits until it serves the namespace. */
  startServer(): Promise<void>;
  /** The server's log (for failure messages). */
  serverLog(): string;
  stop(): Promise<void>;
}

const DB_USER = 'temporal';

export async function startTemporalPostgres(options: TemporalPostgresOptions): Promise<TemporalPostgres> {
  const bins = await ensureTemporalBinaries();
  const pgBin = await ensurePostgres();
  const dir = options.dir;
  const namespace = options.namespace ?? 'default';
  mkdirSync(dir, { recursive: true });
  const pgData = join(dir, 'pgdata');
  const pgRun = join(dir, 'pgrun');
  // initdb refuses to run as root: the database runs as the postgres user, in folders it owns.
  const asRoot = process.getuid?.() === 0;
  const asPg = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const own = (p: string) => asRoot && chownSync(p, pgUid(), pgGid());
  if (asRoot) letPostgresReach(dir);
  const stateFile = join(dir, 'ports.json');
  const saved = existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<Omit<Ports, 'password'>> & { pw?: string })
    : {};
  const pgPort = options.pgPort ?? saved.pgPort ?? (await freeLowPort());
  // The database password is local to this folder; it is written only in the server config.
  const password = saved.pw ?? randomBytes(12).toString('hex');
  writeFileSync(stateFile, JSON.stringify({ ...saved, pgPort, pw: password }), { mode: 0o600 });

  if (!existsSync(join(pgData, 'PG_VERSION'))) {
    mkdirSync(pgData, { recursive: true });
    own(dir);
    own(pgData);
    const pwFile = join(dir, 'pw.tmp');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    own(pwFile);
    log(`initdb ${pgData}`);
    execFileSync(
      ...asPg(join(pgBin, 'initdb'), [
        '-D',
        pgData,
        '-U',
        DB_USER,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--no-instructions',
      ]),
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    unlinkSync(pwFile);
  }
  mkdirSync(pgRun, { recursive: true });
  own(pgRun);
  const pgLog = join(dir, 'postgres.log');
  if (!existsSync(pgLog)) writeFileSync(pgLog, '');
  own(pgLog);
  execFileSync(
    ...asPg(join(pgBin, 'pg_ctl'), [
      '-D',
      pgData,
      '-l',
      pgLog,
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${pgPort} -k ${pgRun} -c listen_addresses=127.0.0.1`,
      'start',
    ]),
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const stopPg = () => {
    try {
      execFileSync(...asPg(join(pgBin, 'pg_ctl'), ['-D', pgData, '-m', 'fast', '-w', 'stop']), { stdio: 'ignore' });
    } catch {
      /* already stopped */
    }
  };

  try {
    // Schemas: create-database, the base schema, then every versioned update (idempotent on restart).
    const sql = (db: string, ...args: string[]) =>
      execFileSync(
        bins.sql,
        [
          '--plugin',
          'postgres12',
          '--endpoint',
          '127.0.0.1',
          '--port',
          String(pgPort),
          '--user',
          DB_USER,
          '--database',
          db,
          ...args,
        ],
        {
          env: { ...process.env, SQL_PASSWORD: password },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    for (const [db, versioned] of [
      ['temporal', bins.schema.temporal],
      ['temporal_visibility', bins.schema.visibility],
    ] as const) {
      const marker = join(dir, `schema-${db}.done`);
      if (!existsSync(marker)) {
        log(`schema ${db}`);
        sql(db, 'create-database');
        sql(db, 'setup-schema', '-v', '0.0');
        writeFileSync(marker, '');
      }
      sql(db, 'update-schema', '-d', versioned);
    }

    const port = options.port ?? saved.port ?? (await freeLowPort());
    const ports =
      saved.port === port && saved.history
        ? (saved as Omit<Ports, 'password'>)
        : {
            port,
            pgPort,
            history: await freeLowPort(),
            matching: await freeLowPort(),
            worker: await freeLowPort(),
            http: await freeLowPort(),
            m1: await freeLowPort(),
            m2: await freeLowPort(),
            m3: await freeLowPort(),
            m4: await freeLowPort(),
          };
    writeFileSync(stateFile, JSON.stringify({ ...ports, pgPort, pw: password }), { mode: 0o600 });
    writeConfig(
      dir,
      { ...ports, pgPort, password },
      { 'system.enableActivityEagerExecution': true, ...options.dynamicConfig },
    );

    let child: ChildProcess | undefined;
    const serverLogPath = join(dir, 'temporal.log');
    const startServer = async () => {
      const fd = openSync(serverLogPath, 'a');
      child = spawn(bins.server, ['--root', dir, '--config', 'config', '--env', 'native', '--allow-no-auth', 'start'], {
        stdio: ['ignore', fd, fd],
        cwd: dir,
      });
      const c = child;
      const exited = once(c, 'exit').then(() => {
        throw new Error(`the Temporal server exited while starting; see ${serverLogPath}:\n${tail(serverLogPath)}`);
      });
      exited.catch(() => {});
      await Promise.race([ensureNamespace({ address: `127.0.0.1:${port}`, namespace, timeoutMs: 120_000 }), exited]);
    };
    const killServer = async () => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      await exited;
    };
    log(`server on 127.0.0.1:${port} (PostgreSQL 127.0.0.1:${pgPort}, state in ${dir})`);
    await startServer();
    return {
      address: `127.0.0.1:${port}`,
      namespace,
      pgPort,
      dir,
      serverPid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
      killServer,
      startServer,
      serverLog: () => tail(serverLogPath),
      async stop() {
        const c = child;
        if (c && c.exitCode === null && c.signalCode === null) {
          const exited = once(c, 'exit');
          c.kill('SIGTERM');
          const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        stopPg();
      },
    };
  } catch (err) {
    stopPg();
    throw err;
  }
}

function tail(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .slice(-lines)
      .map((l) => l.slice(0, 400))
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * The postgres user must traverse every folder above `dir`; a mkdtemp folder is 0700. Only our own
 * places (the temp dir, the project's .data/) are opened, by o+x alone (no listing, no reading).
 */
function letPostgresReach(dir: string): void {
  const mine = [tmpdir(), join(ROOT, '.data')].map((d) => resolve(d));
  for (let d = resolve(dir, '..'); d !== dirname(d); d = dirname(d)) {
    const st = statSync(d);
    if (st.mode & 0o001) continue;
    if (!mine.some((m) => d === m || d.startsWith(`${m}/`)))
      throw new Error(
        `the postgres user cannot reach ${dir}: ${d} is not o+x (choose a folder under ${mine.join(' or ')})`,
      );
    chmodSync(d, (st.mode & 0o7777) | 0o001);
  }
}

const pgUid = () => Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
const pgGid = () => Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());

interface Ports {
  port: number;
  pgPort: number;
  history: number;
  matching: number;
  worker: number;
  http: number;
  m1: number;
  m2: number;
  m3: number;
  m4: number;
  password: string;
}

/** The server's config: the shape of Temporal's development-postgres12.yaml, on our ports. */
function writeConfig(dir: string, p: Ports, dynamic: Record<string, unknown>): void {
  const conf = join(dir, 'config');
  mkdirSync(join(conf, 'dynamicconfig'), { recursive: true });
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "127.0.0.1:${p.pgPort}"
        connectProtocol: tcp
        user: ${DB_USER}
        password: "${p.password}"
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const svc = (grpc: number, membership: number, extra = '') => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  writeFileSync(
    join(conf, 'native.yaml'),
    `# Written by scripts/temporal-postgres.ts
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 5)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:${svc(p.port, p.m1, `\n      httpPort: ${p.http}`)}
  history:${svc(p.history, p.m2)}
  matching:${svc(p.matching, p.m3)}
  worker:${svc(p.worker, p.m4)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${p.port}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${join(conf, 'dynamicconfig/native.yaml')}
  pollInterval: 10s
`,
  );
  writeFileSync(
    join(conf, 'dynamicconfig/native.yaml'),
    Object.entries(dynamic)
      .map(([k, v]) => `${k}:\n  - value: ${JSON.stringify(v)}\n`)
      .join(''),
  );
}

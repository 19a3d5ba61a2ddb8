// What every command shares: exit codes, the config and Temporal it works against, who acts, and
// where output goes.
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { registerSecret } from '../../activities/secrets.ts';
import { Incidents } from '../../clients/incidents.ts';
import { type ResolvedTemporal, connectClient, resolveTemporal } from '../../clients/temporal.ts';
import { loadConfig, siteConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { errorMessage } from '../../workflows/error-text.ts';

export const DEFAULT_CONFIG = 'config/example.yaml';
/** Exit codes (also in `failover --help`). */
export const EXIT = {
  ok: 0,
  failure: 1, // unexpected error
  usage: 2, // bad arguments, invalid config, unknown site
  refused: 3, // nothing to act on, or the workflow refused (e.g. failback when not on standby)
  unreachable: 4, // Temporal cannot be reached
  endedBadly: 5, // waited, and the incident ended in failure (rolled back, failback failed)
  timeout: 6, // waited longer than --timeout
} as const;

export class CliError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export interface GlobalOptions {
  config: string;
  address?: string;
  namespace?: string;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The directory the user ran the command from (scripts/failover runs us from the repository). */
const CWD = process.env.FAILOVER_CWD ?? process.cwd();
export const USER = process.env.FAILOVER_USER ?? process.env.USER ?? safeUser();
export const ACTOR = `cli:${USER}`;
export const out = (line = ''): void => void process.stdout.write(`${line}\n`);
export const err = (line = ''): void => void process.stderr.write(`${line}\n`);

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(CWD, p);
}

export function configFrom(opts: GlobalOptions): Config {
  if (opts.config !== DEFAULT_CONFIG) return loadConfig(userPath(opts.config));
  // No config named: the sandbox `npm start` runs, if it runs; else the repository's example.
  const sandbox = runningSandbox();
  if (sandbox?.FAILOVER_CONFIG) {
    const tokenEnv = sandbox.FAILOVER_TOKEN_ENV;
    if (tokenEnv && sandbox[tokenEnv]) process.env[tokenEnv] ??= sandbox[tokenEnv];
    err(`(the running sandbox's config, ${sandbox.FAILOVER_CONFIG}: found through .data/sandbox.env)`);
    return loadConfig(sandbox.FAILOVER_CONFIG);
  }
  let path = userPath(DEFAULT_CONFIG);
  if (!existsSync(path)) path = resolve(ROOT, DEFAULT_CONFIG);
  err(`(no --config, no FAILOVER_CONFIG and no running \`npm start\`: using ${DEFAULT_CONFIG})`);
  return loadConfig(path);
}

/** What a running `npm start` wrote for the CLI (KEY=VALUE lines), unless it has stopped since. */
function runningSandbox(): Record<string, string> | undefined {
  const file = resolve(process.env.FAILOVER_DATA_DIR ?? resolve(ROOT, '.data'), 'sandbox.env');
  if (!existsSync(file)) return undefined;
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) values[m[1]!] = m[2]!;
  }
  try {
    process.kill(Number(values.START_PID), 0);
  } catch {
    return undefined; // left behind by a start that was killed
  }
  return values;
}

export function temporalOf(config: Config, opts: GlobalOptions): ResolvedTemporal {
  registerSecret(process.env.TEMPORAL_API_KEY);
  return resolveTemporal(config.temporal, {
    ...process.env,
    ...(opts.address && { TEMPORAL_ADDRESS: opts.address }),
    ...(opts.namespace && { TEMPORAL_NAMESPACE: opts.namespace }),
  });
}

async function connect(t: ResolvedTemporal): Promise<Client> {
  try {
    return await connectClient(t, 5000);
  } catch (e) {
    throw new CliError(
      EXIT.unreachable,
      `cannot reach Temporal at ${t.address} (namespace ${t.namespace}): ${errorMessage(e)}\n` +
        'Is the server running? Set temporal.address in the config, TEMPORAL_ADDRESS, or --address.',
    );
  }
}

/** The incidents of the config's sites, on the Temporal the config and options name. */
export async function connectIncidents(config: Config, opts: GlobalOptions): Promise<Incidents> {
  const temporal = temporalOf(config, opts);
  return Incidents.of(await connect(temporal), config, temporal.taskQueue);
}

export function knownSite(config: Config, site: string): void {
  try {
    siteConfig(config, site);
  } catch (e) {
    throw new CliError(EXIT.usage, errorMessage(e).replace(/^invalid config sites:\n\s*- /, ''));
  }
}

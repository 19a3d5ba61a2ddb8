// What every command shares: exit codes, the config and Temporal it works against, who acts, and
// where output goes.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { errorMessage } from '../../activities/errors.ts';
import { registerSecret } from '../../activities/secrets.ts';
import { Incidents } from '../../clients/incidents.ts';
import { type ResolvedTemporal, connectClient, resolveTemporal } from '../../clients/temporal.ts';
import { loadConfig, siteConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';

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
  let path = userPath(opts.config);
  // The default names the repository's example; found from anywhere.
  if (!existsSync(path) && opts.config === DEFAULT_CONFIG) path = resolve(ROOT, DEFAULT_CONFIG);
  return loadConfig(path);
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

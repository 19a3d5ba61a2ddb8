// Connections to Temporal, from the config plus the environment, made the same way by every
// process. The API key only ever comes from the environment (TEMPORAL_API_KEY), never the config.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { ConfigError } from '../config/load.ts';
import type { TemporalConfig } from '../config/schema.ts';

export interface ResolvedTemporal {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: NonNullable<ConnectionOptions['tls']>;
  apiKey?: string;
}

export function resolveTemporal(cfg: TemporalConfig, env: NodeJS.ProcessEnv = process.env): ResolvedTemporal {
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const override = tlsOverride(env.TEMPORAL_TLS);
  const tlsCfg = override === undefined || (override && typeof cfg.tls === 'object') ? cfg.tls : override;
  let tls: ResolvedTemporal['tls'];
  if (tlsCfg === true || (tlsCfg === false && apiKey)) tls = true;
  else if (typeof tlsCfg === 'object') {
    const read = (f?: string) => (f ? readFileSync(f) : undefined);
    const cert = read(tlsCfg.certFile);
    const key = read(tlsCfg.keyFile);
    tls = {
      ...(tlsCfg.serverName && { serverNameOverride: tlsCfg.serverName }),
      ...(tlsCfg.caFile && { serverRootCACertificate: read(tlsCfg.caFile) }),
      ...(cert && key && { clientCertPair: { crt: cert, key } }),
    };
  }
  return {
    address: env.TEMPORAL_ADDRESS || cfg.address,
    namespace: env.TEMPORAL_NAMESPACE || cfg.namespace,
    taskQueue: env.TEMPORAL_TASK_QUEUE || cfg.taskQueue,
    ...(tls && { tls }),
    ...(apiKey && { apiKey }),
  };
}

/**
 * TEMPORAL_TLS overrides `temporal.tls`: the compose stack's own Temporal is plaintext while the
 * example config is written for Temporal Cloud. true keeps a certificate config as it is.
 */
function tlsOverride(value: string | undefined): boolean | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigError('TEMPORAL_TLS', [`TEMPORAL_TLS: "${value}" is not one of true, false (or 1, 0, yes, no)`]);
}

/** The address, TLS and API key every connection to Temporal is made with. */
export function connectionOptions(t: ResolvedTemporal) {
  return { address: t.address, ...(t.tls && { tls: t.tls }), ...(t.apiKey && { apiKey: t.apiKey }) };
}

/** A client connected now; fails fast (within `connectTimeoutMs`) when Temporal cannot be reached. */
export async function connectClient(t: ResolvedTemporal, connectTimeoutMs = 10_000): Promise<Client> {
  const connection = await Connection.connect({ ...connectionOptions(t), connectTimeout: connectTimeoutMs });
  return new Client({ connection, namespace: t.namespace });
}

/**
 * A client whose connection is made on first use and re-made after an outage: for long-running
 * starters (the Pub/Sub bridge) that must start, and keep their messages, while Temporal is down.
 */
export function lazyClient(t: ResolvedTemporal): Client {
  return new Client({ connection: Connection.lazy(connectionOptions(t)), namespace: t.namespace });
}

// Connection to Temporal from config plus environment. The API key only ever comes from the
// environment (TEMPORAL_API_KEY), never from the config file.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConfig } from './config.ts';

export interface ResolvedTemporal {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: NonNullable<ConnectionOptions['tls']>;
  apiKey?: string;
}

export function resolveTemporal(cfg: TemporalConfig, env: NodeJS.ProcessEnv = process.env): ResolvedTemporal {
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const tlsCfg = cfg.tls;
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

export async function connectClient(t: ResolvedTemporal): Promise<Client> {
  const connection = await Connection.connect({
    address: t.address,
    ...(t.tls && { tls: t.tls }),
    ...(t.apiKey && { apiKey: t.apiKey }),
  });
  return new Client({ connection, namespace: t.namespace });
}

export async function connectWorker(t: ResolvedTemporal): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: t.address,
    ...(t.tls && { tls: t.tls }),
    ...(t.apiKey && { apiKey: t.apiKey }),
  };
  return NativeConnection.connect(options);
}

/**
 * A client whose connection is made on first use and re-made after an outage: for long-running
 * starters (the Pub/Sub bridge) that must start, and keep their messages, while Temporal is down.
 */
export function lazyClient(t: ResolvedTemporal): Client {
  const connection = Connection.lazy({
    address: t.address,
    ...(t.tls && { tls: t.tls }),
    ...(t.apiKey && { apiKey: t.apiKey }),
  });
  return new Client({ connection, namespace: t.namespace });
}

// The compose file against the configs it runs on, statically (no Docker): what `docker compose
// up -d` starts on config/production.example.yaml must be able to start (issue 17, breaks 4, 7).
import { describe, expect, test } from 'vitest';
import { resolveTemporal } from '../clients/temporal.ts';
import { loadConfig } from '../config/load.ts';
import { composeServices, serviceEnv } from './support/compose-file.ts';

const EXAMPLE = 'config/production.example.yaml';

describe('compose on the production example config', () => {
  test('the worker, bridge and location connect to the compose Temporal in plaintext (its frontend has no TLS)', () => {
    const services = composeServices();
    const config = loadConfig(EXAMPLE);
    expect(config.temporal.tls).toBe(true); // the example is written for Temporal Cloud
    for (const name of ['worker', 'bridge', 'location']) {
      const resolved = resolveTemporal(config.temporal, serviceEnv(services[name]!));
      expect({ name, address: resolved.address, tls: resolved.tls }).toEqual({
        name,
        address: 'temporal:7233',
        tls: undefined,
      });
    }
  });

  test('pointed at Temporal Cloud (TEMPORAL_TLS=true, an API key): TLS again', () => {
    const env = { TEMPORAL_ADDRESS: 'ns.a1b2c.tmprl.cloud:7233', TEMPORAL_TLS: 'true' };
    const resolved = resolveTemporal(loadConfig(EXAMPLE).temporal, serviceEnv(composeServices(env).worker!));
    expect(resolved).toMatchObject({ address: 'ns.a1b2c.tmprl.cloud:7233', tls: true });
  });
});

describe('TEMPORAL_TLS', () => {
  const cfg = { address: 'a:7233', namespace: 'n', taskQueue: 'q', tls: true as const };
  test('false, 0 or no turn TLS off; true, 1 or yes on; unset keeps the config', () => {
    for (const v of ['false', '0', 'no', 'FALSE'])
      expect(resolveTemporal(cfg, { TEMPORAL_TLS: v }).tls).toBeUndefined();
    for (const v of ['true', '1', 'yes'])
      expect(resolveTemporal({ ...cfg, tls: false }, { TEMPORAL_TLS: v }).tls).toBe(true);
    expect(resolveTemporal(cfg, {}).tls).toBe(true);
    expect(resolveTemporal(cfg, { TEMPORAL_TLS: '' }).tls).toBe(true);
  });

  test('anything else is refused, naming the variable and the value', () => {
    expect(() => resolveTemporal(cfg, { TEMPORAL_TLS: 'on-please' })).toThrow(
      /TEMPORAL_TLS: "on-please" is not one of true, false/,
    );
  });
});

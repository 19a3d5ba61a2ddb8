// The compose file against the configs it runs on, statically (no Docker): what `docker compose
// up -d` starts on config/production.example.yaml must be able to start (issue 17, breaks 4, 7).
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { resolveTemporal } from '../clients/temporal.ts';
import { loadConfig } from '../config/load.ts';
import { type ComposeService, composeServices, serviceEnv } from './support/compose-file.ts';

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

  test('pointed at Temporal Cloud (TEMPORAL_ADDRESS and TEMPORAL_TLS=true exported): TLS again', () => {
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

describe('the watcher location service', () => {
  const started = (services: Record<string, ComposeService>, profiles: string[]) =>
    Object.entries(services).filter(([, s]) => !s.profiles || s.profiles.some((p) => profiles.includes(p)));

  test('plain `docker compose up` starts no location the example config does not name', () => {
    const locations = loadConfig(EXAMPLE).watcher!.locations;
    for (const [name, service] of started(composeServices(), [])) {
      if (service.command?.[0] !== 'location') continue;
      const at = service.command.indexOf('--location');
      const location = at >= 0 ? service.command[at + 1] : serviceEnv(service).FAILOVER_WATCH_LOCATION;
      expect({ name, location, known: locations.includes(location ?? '') }).toMatchObject({ known: true });
    }
  });

  test('the sandbox profile still runs one, on a location of the sandbox config', () => {
    const services = started(composeServices(), ['sandbox']).filter(([, s]) => s.command?.[0] === 'location');
    expect(services.map(([, s]) => s.command)).toEqual([['location', '--location', 'compose-b']]);
  });

  test('an unknown location: exit 2, naming the file, where the name came from and the known locations', () => {
    const run = spawnSync(process.execPath, ['worker/location.ts', EXAMPLE, '--location', 'compose-b'], {
      encoding: 'utf8',
      env: { ...process.env, FAILOVER_WATCH_LOCATION: '' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`invalid config ${EXAMPLE}`);
    expect(run.stderr).toContain('location "compose-b" (from --location) is not one of europe, us, asia');
  });

  test('from FAILOVER_WATCH_LOCATION: says so', () => {
    const run = spawnSync(process.execPath, ['worker/location.ts', EXAMPLE], {
      encoding: 'utf8',
      env: { ...process.env, FAILOVER_WATCH_LOCATION: 'mars' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('location "mars" (from FAILOVER_WATCH_LOCATION) is not one of europe, us, asia');
  });
});

// docker-compose.yml read the way `docker compose` reads it, for static tests: YAML with merge
// keys, then `${NAME}`, `${NAME:-default}` and `${NAME-default}` interpolated in each string value
// from a given host environment (empty by default: the file's own defaults). No Docker involved.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null>;
  entrypoint?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  volumes?: string[];
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/g;

export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(VARIABLE, (match, name: string | undefined, colon: string, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const value = env[name!];
    if (fallback === undefined) return value ?? '';
    return value === undefined || (colon === ':' && value === '') ? fallback : value;
  });
}

/** Every service of the compose file, interpolated from `env` (the host's variables). */
export function composeServices(
  env: Record<string, string | undefined> = {},
  path = 'docker-compose.yml',
): Record<string, ComposeService> {
  const file = interpolateAll(parse(readFileSync(path, 'utf8'), { merge: true }), env) as {
    services: Record<string, ComposeService>;
  };
  return file.services;
}

/** Compose interpolates the parsed values, so `${X:-}` is an empty string, never null. */
function interpolateAll(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)]));
  return value;
}

/** A service's environment as its process sees it: every value a string (null: not set). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {})
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, String(v)]),
  );
}

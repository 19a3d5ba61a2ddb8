// Reading the sites config: YAML, validated with the schema before anything connects; every
// problem is listed with its path.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { leverConfigs, leverProvider } from './levers.ts';
import { type Config, type SiteConfig, configSchema } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Parses and validates YAML text; throws ConfigError listing every problem with its path. */
export function parseConfig(text: string, source = '<inline>'): Config {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML: ${e.message}`),
    );
  const result = configSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`),
    );
  }
  return result.data;
}

export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseConfig(text, path);
}

export function siteConfig(config: Config, site: string): SiteConfig {
  const s = config.sites[site];
  if (!s) throw new ConfigError('sites', [`unknown site "${site}"; known: ${Object.keys(config.sites).join(', ')}`]);
  return s;
}

/**
 * What the schema accepts because it can be right, but is worth a look: each "path: reason".
 * Processes log them at start; `failover validate` can show them.
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  for (const [name, site] of Object.entries(config.sites)) {
    const at = `sites.${name}`;
    for (const [kind, cfg, path] of leverConfigs(site)) {
      for (const w of leverProvider(kind, cfg).warnings?.(cfg as never) ?? []) warnings.push(`${at}.${path}.${w}`);
    }
    if (site.failback.mode === 'auto' && site.failback.holdDown === 0) {
      warnings.push(
        `${at}.failback.holdDown: 0 fails back on the first passing check of the primary (no hysteresis against a flapping primary)`,
      );
    }
  }
  const w = config.watcher;
  if (w && w.allowMinorityQuorum && w.quorum <= w.locations.length / 2) {
    warnings.push(
      `watcher.quorum: ${w.quorum} of ${w.locations.length} locations is not a majority (allowed by watcher.allowMinorityQuorum): one location's view can fail every site over`,
    );
  }
  const host = config.alerts?.http.host;
  if (host !== undefined && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    warnings.push(`alerts.http.host: ${host} serves /healthz and /metrics beyond this host`);
  }
  return warnings;
}

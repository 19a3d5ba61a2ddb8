// Reading the sites config: YAML, validated with the schema before anything connects; every
// problem is listed with its path.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
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

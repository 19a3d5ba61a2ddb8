// The deployed version a response names (a header or a dotted JSON field), and whether one
// version is behind another: dotted numbers compare numerically, anything else only as equal or not.

import type { VersionSource } from './target.ts';

export async function versionOf(res: Response, body: string, source: VersionSource): Promise<string | undefined> {
  if (source.header) return res.headers.get(source.header) ?? undefined;
  if (!source.jsonField) return undefined;
  try {
    let value: unknown = JSON.parse(body);
    for (const key of source.jsonField.split('.')) value = (value as Record<string, unknown> | null)?.[key];
    return value === undefined || value === null ? undefined : String(value);
  } catch {
    return undefined;
  }
}

/** -1: a is behind b; 0: the same; 1: ahead; undefined: different and not comparable. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  if (a === b) return 0;
  const parts = (v: string) => v.replace(/^v/i, '').split(/[.+-]/);
  const pa = parts(a);
  const pb = parts(b);
  if (![...pa, ...pb].every((p) => /^\d+$/.test(p))) return undefined;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = Number(pa[i] ?? 0) - Number(pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

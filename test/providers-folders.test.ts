// The provider registry against the folders: every provider folder is registered, documented,
// and names a config type no other provider of its lever uses.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { ProviderDescriptor } from '../activities/providers/descriptor.ts';
import { PROVIDERS } from '../activities/providers/registry.ts';

const ROOT = fileURLToPath(new URL('../activities/providers/', import.meta.url));

function indexFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? indexFiles(join(dir, e.name)) : e.name === 'index.ts' ? [join(dir, e.name)] : [],
  );
}

/** Each provider folder (relative to activities/providers/) with what its index.ts exports. */
async function folders(): Promise<{ folder: string; dir: string; exported: unknown[] }[]> {
  return Promise.all(
    indexFiles(ROOT).map(async (file) => ({
      folder: relative(ROOT, dirname(file)),
      dir: dirname(file),
      exported: Object.values(await import(file)),
    })),
  );
}

const isDescriptor = (v: unknown): v is ProviderDescriptor =>
  typeof v === 'object' && v !== null && 'kind' in v && 'schema' in v && 'build' in v;

describe('provider folders', () => {
  test('every folder with an index.ts exports one descriptor, which is registered, and has a readme.md', async () => {
    const all = await folders();
    expect(all.length).toBeGreaterThan(0);
    const found = new Map<ProviderDescriptor, string>();
    for (const { folder, dir, exported } of all) {
      expect(exported, `${folder}/index.ts exports one thing`).toHaveLength(1);
      const d = exported[0];
      expect(isDescriptor(d), `${folder}/index.ts exports a descriptor`).toBe(true);
      expect(PROVIDERS as readonly unknown[], `${folder} is in registry.ts`).toContain(d);
      expect(existsSync(join(dir, 'readme.md')), `${folder}/readme.md`).toBe(true);
      found.set(d as ProviderDescriptor, folder);
    }
    // ...and nothing is registered that does not live in a folder of its own.
    for (const p of PROVIDERS) expect(found.has(p), `${p.kind} ${p.type} has a folder`).toBe(true);
    expect(found.size).toBe(PROVIDERS.length);
  });

  test('config types are unique per lever, and each is its schema literal', () => {
    const keys = PROVIDERS.map((p) => `${p.kind}:${p.type}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of PROVIDERS) expect(p.schema.shape.type.value).toBe(p.type);
  });

  test('each readme names its config type, and docs/providers.md links every readme', async () => {
    const index = readFileSync(new URL('../docs/providers.md', import.meta.url), 'utf8');
    for (const { folder, dir, exported } of await folders()) {
      const readme = readFileSync(join(dir, 'readme.md'), 'utf8');
      expect(readme, `${folder}/readme.md names its type`).toContain(`\`${(exported[0] as ProviderDescriptor).type}\``);
      expect(index, `docs/providers.md links ${folder}/readme.md`).toContain(
        `../activities/providers/${folder}/readme.md`,
      );
    }
  });

  test('a provider that calls an API declares what one attempt may cost and the permissions it needs', () => {
    for (const p of PROVIDERS) {
      if (!p.callProfile) continue;
      expect(p.callProfile.calls, `${p.type}`).toBeGreaterThan(0);
      expect(p.callProfile.callTimeoutMs, `${p.type}`).toBeGreaterThan(0);
      const declared = [...(p.permissions.google ?? []), ...(p.permissions.cloudflare ?? [])];
      expect(declared.length, `${p.type} permissions`).toBeGreaterThan(0);
    }
  });
});

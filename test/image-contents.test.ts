// The image copies only what .dockerignore lets through: every file a role in
// docker/entrypoint.sh runs, and every file those import, must be let through, or the container
// dies at start with ERR_MODULE_NOT_FOUND (seen once: the sandbox imported a harness file).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** .dockerignore's rules in order; the last one that matches a path decides (Docker's rule). */
function dockerignore(): (path: string) => boolean {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const pattern = (include ? l.slice(1) : l).replace(/\/$/, '');
      const re = pattern
        .split('**/')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*\*/g, '.*')
            .replace(/\*/g, '[^/]*'),
        )
        .join('(?:.*/)?');
      return { include, re: new RegExp(`^${re}(?:/.*)?$`) };
    });
  return (path) => rules.reduce((kept, r) => (r.re.test(path) ? r.include : kept), true);
}

/** The relative imports of one TypeScript file, as paths from the repository root. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, join(ROOT, dirname(file), s)));
}

test('every file the image runs, and all it imports, is copied into the image', () => {
  const entrypoint = readFileSync(join(ROOT, 'docker/entrypoint.sh'), 'utf8');
  // The roles' scripts, and the workflow bundle the worker builds from workflows/index.ts.
  const entries = [...new Set([...entrypoint.matchAll(/[\w/-]+\.ts\b/g)].map((m) => m[0]))];
  expect(entries).toContain('sandbox/main.ts');
  const seen = new Set<string>();
  const queue = [...entries, 'workflows/index.ts'];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    expect(existsSync(join(ROOT, file)), `${file} exists`).toBe(true);
    queue.push(...imports(file));
  }
  const copied = dockerignore();
  expect([...seen].filter((f) => !copied(f))).toEqual([]);
  expect(copied('test/replay.test.ts') || copied('activities/x.test.ts') || copied('docs/workflow.md')).toBe(false);
});

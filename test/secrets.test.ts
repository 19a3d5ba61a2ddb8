// Invariant 5: secrets never in histories or logs. The recorded histories (test/histories/) are
// what anyone can read in the Temporal UI; their payloads are decoded before the scan. Logs of
// real runs are scanned where the token is known: test/compose/stack.e2e.ts (compose worker,
// bridge and watcher logs) and test/postgres-crash.test.ts (worker process output).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { findSecrets, readableHistory } from './support/secrets.ts';

const HISTORIES = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

test('there are recorded histories to scan', () => {
  expect(files.length).toBeGreaterThan(0);
});

test.each(files)('no secret in test/histories/%s', (file) => {
  const text = readableHistory(readFileSync(HISTORIES + file, 'utf8'));
  expect(text.length).toBeGreaterThan(500);
  expect(findSecrets(text, [process.env.CLOUDFLARE_API_TOKEN ?? '', process.env.TEMPORAL_API_KEY ?? ''])).toEqual([]);
});

test('the scan sees a token hidden in a base64 payload (it can fail)', () => {
  const token = `sandbox-${'ab12'.repeat(8)}`;
  const history = JSON.stringify({
    events: [
      { input: { payloads: [{ data: Buffer.from(JSON.stringify({ headers: { token } })).toString('base64') }] } },
    ],
  });
  expect(findSecrets(history)).toEqual([]); // invisible without decoding
  expect(findSecrets(readableHistory(history))).toEqual(['sandbox Cloudflare token']);
  expect(findSecrets('Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345')).toEqual(['bearer credential']);
  expect(findSecrets('all clear', ['s3cret-value'])).toEqual([]);
  expect(findSecrets('x s3cret-value y', ['s3cret-value'])).toEqual(['known value']);
});

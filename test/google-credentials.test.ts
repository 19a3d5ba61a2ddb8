// GOOGLE_APPLICATION_CREDENTIALS that the process cannot read fails the start, naming the file
// and the uid, never its content (issue 17, break 6): the container runs as uid 1000, a key file
// written by `gcloud iam service-accounts keys create` and chmod 600 belongs to the host user.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkCredentialsFile } from '../clients/google-credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'credentials-'));
chmodSync(dir, 0o755);
const SECRET = '-----BEGIN PRIVATE KEY-----not-a-real-key-----END PRIVATE KEY-----';
const key = join(dir, 'google.json');
writeFileSync(key, JSON.stringify({ type: 'service_account', private_key: SECRET }), { mode: 0o600 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the credentials file', () => {
  test('readable, or not set: nothing to say', () => {
    expect(() => checkCredentialsFile({ GOOGLE_APPLICATION_CREDENTIALS: key })).not.toThrow();
    expect(() => checkCredentialsFile({ GOOGLE_APPLICATION_CREDENTIALS: '' })).not.toThrow();
    expect(() => checkCredentialsFile({})).not.toThrow();
  });

  test('missing, or a directory: the file and the uid are named', () => {
    const missing = join(dir, 'nope.json');
    expect(() => checkCredentialsFile({ GOOGLE_APPLICATION_CREDENTIALS: missing })).toThrow(
      new RegExp(
        `GOOGLE_APPLICATION_CREDENTIALS=${missing}: this process \\(uid \\d+, gid \\d+\\) cannot read it \\(ENOENT\\)`,
      ),
    );
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    expect(() => checkCredentialsFile({ GOOGLE_APPLICATION_CREDENTIALS: sub })).toThrow(/cannot read it \(not a file/);
  });

  // The container's case: the worker process as uid 1000, the key 0600 and someone else's.
  test.runIf(process.getuid?.() === 0)(
    'a 0600 key of another user: the worker exits 2 naming the file, its owner and mode, and the uid; no content',
    () => {
      const run = spawnSync(process.execPath, ['worker/main.ts', 'config/production.example.yaml'], {
        encoding: 'utf8',
        uid: 1000,
        gid: 1000,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          GOOGLE_APPLICATION_CREDENTIALS: key,
          CLOUDFLARE_API_TOKEN: 'unused-token',
          TEMPORAL_ADDRESS: '127.0.0.1:1',
        },
        timeout: 30_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(
        `GOOGLE_APPLICATION_CREDENTIALS=${key}: this process (uid 1000, gid 1000) cannot read it (EACCES, owned by uid 0 gid 0, mode 0600)`,
      );
      expect(run.stdout + run.stderr).not.toContain('PRIVATE KEY');
    },
  );
});

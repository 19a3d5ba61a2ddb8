// Google Application Default Credentials from a file (GOOGLE_APPLICATION_CREDENTIALS), checked at
// start: a key mounted 0600 and owned by the host user is unreadable by the container's uid 1000,
// and the SDK would only say so on the first Google call, mid-incident. Opens the file, never
// reads it: no part of the credential reaches an error or a log.
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { ConfigError } from '../config/load.ts';

export function checkCredentialsFile(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (!file) return; // Application Default Credentials from the metadata server or gcloud
  let problem: string | undefined;
  try {
    const fd = openSync(file, 'r');
    try {
      if (!fstatSync(fd).isFile()) problem = 'not a file';
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    problem = (err as NodeJS.ErrnoException).code ?? String(err);
  }
  if (!problem) return;
  const uid = process.getuid?.() ?? '?';
  const gid = process.getgid?.() ?? '?';
  throw new ConfigError('environment', [
    `GOOGLE_APPLICATION_CREDENTIALS=${file}: this process (uid ${uid}, gid ${gid}) cannot read it (${problem}${ownerOf(file)}). ` +
      `Make it readable by uid ${uid} (docs/production.md, "Credentials"), or use Workload Identity Federation or an attached service account`,
  ]);
}

/** ", owned by uid 501 gid 20, mode 0600" when the file can at least be looked at. */
function ownerOf(file: string): string {
  try {
    const s = statSync(file);
    return `, owned by uid ${s.uid} gid ${s.gid}, mode ${(s.mode & 0o777).toString(8).padStart(4, '0')}`;
  } catch {
    return '';
  }
}

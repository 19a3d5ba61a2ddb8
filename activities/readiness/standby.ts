// Check (d) of docs/readiness.md: the standby serves while closed. An authenticated request with
// an ID token for the service's URL (google-auth-library's ID token client: a service account
// key, the metadata server or impersonation; the orchestrator holds run.invoker on the service)
// must get the expected status and the standby's marker; where both sites expose a version, the
// standby must not be behind the primary.
import { GoogleAuth } from 'google-auth-library';
import type { ReadinessCheck } from '../../workflows/readiness-types.ts';
import { errorMessage } from '../../workflows/error-text.ts';
import type { ReadinessTarget } from './target.ts';
import { compareVersions, versionOf } from './version.ts';

const auth = new GoogleAuth();

/** The audience Cloud Run accepts: the service's URL (its origin). */
const audienceOf = (url: string) => new URL(url).origin;

async function idTokenHeader(url: string): Promise<string> {
  const client = await auth.getIdTokenClient(audienceOf(url));
  const headers = await client.getRequestHeaders(url);
  const value = headers.get('authorization');
  if (!value) throw new Error('the ID token client gave no Authorization header');
  return value;
}

async function get(url: string, timeoutMs: number, authorization?: string) {
  const res = await fetch(url, {
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    ...(authorization && { headers: { authorization } }),
  });
  return { res, body: await res.text() };
}

const fail = (check: ReadinessCheck['check'], subject: string, reason: string, fix: string): ReadinessCheck[] => [
  { check, status: 'fail', subject, reason, fix },
];

export async function checkStandby(t: ReadinessTarget): Promise<ReadinessCheck[]> {
  const subject = t.standbyUrl;
  if (t.inMemory) return [{ check: 'standby_serves', status: 'ok', subject, reason: 'in-memory site: not probed' }];
  let authorization: string | undefined;
  try {
    authorization = await idTokenHeader(t.standbyUrl);
  } catch (err) {
    return fail(
      'standby_serves',
      subject,
      `no ID token for ${audienceOf(t.standbyUrl)}: ${errorMessage(err)}`,
      'give the worker Application Default Credentials of a service account (attached, a key, or impersonation) that can mint ID tokens',
    );
  }
  let standby;
  try {
    standby = await get(t.standbyUrl, t.probeTimeoutMs, authorization);
  } catch (err) {
    return fail(
      'standby_serves',
      subject,
      `no answer: ${errorMessage(err)}`,
      'check that the standby service is deployed and its URL in the config',
    );
  }
  const { res, body } = standby;
  if (res.status === 401 || res.status === 403)
    return fail(
      'standby_serves',
      subject,
      `HTTP ${res.status} to the worker's ID token`,
      "grant the worker's service account roles/run.invoker on the standby service (gcloud run services add-iam-policy-binding … --role roles/run.invoker)",
    );
  if (res.status !== t.standbyExpectStatus)
    return fail(
      'standby_serves',
      subject,
      `HTTP ${res.status}, expected ${t.standbyExpectStatus}`,
      "look at the standby service's logs and latest revision: it must serve before a failover can use it",
    );
  if (t.standbyMarker && !body.includes(t.standbyMarker))
    return fail(
      'standby_serves',
      subject,
      `HTTP ${res.status} without the marker "${t.standbyMarker}"`,
      'deploy the standby so its page carries the marker, or correct standby.marker in the config',
    );
  const serves: ReadinessCheck = {
    check: 'standby_serves',
    status: 'ok',
    subject,
    reason: `HTTP ${res.status} with the marker, while closed`,
  };
  if (!t.version) return [serves];
  return [serves, await versionCheck(t, await versionOf(res, body, t.version))];
}

async function versionCheck(t: ReadinessTarget, standbyVersion: string | undefined): Promise<ReadinessCheck> {
  const subject = t.standbyUrl;
  const source = t.version!.header ? `header ${t.version!.header}` : `JSON field ${t.version!.jsonField}`;
  let primaryVersion: string | undefined;
  try {
    const p = await get(t.primaryUrl, t.probeTimeoutMs);
    primaryVersion = await versionOf(p.res, p.body, t.version!);
  } catch (err) {
    return {
      check: 'standby_version',
      status: 'warn',
      subject,
      reason: `the primary did not answer: ${errorMessage(err)}`,
    };
  }
  if (standbyVersion === undefined || primaryVersion === undefined)
    return {
      check: 'standby_version',
      status: 'warn',
      subject,
      reason: `no ${source} on the ${standbyVersion === undefined ? 'standby' : 'primary'}`,
      fix: `expose the version as ${source} on both sites, or remove readiness.version from the site's config`,
    };
  const order = compareVersions(standbyVersion, primaryVersion);
  if (order === -1)
    return {
      check: 'standby_version',
      status: 'fail',
      subject,
      reason: `the standby runs ${standbyVersion}, behind the primary's ${primaryVersion}`,
      fix: "deploy the primary's version to the standby service",
    };
  if (order === undefined)
    return {
      check: 'standby_version',
      status: 'warn',
      subject,
      reason: `the standby runs ${standbyVersion}, the primary ${primaryVersion}`,
      fix: 'deploy the same version to both',
    };
  return {
    check: 'standby_version',
    status: 'ok',
    subject,
    reason: `standby ${standbyVersion}, primary ${primaryVersion}`,
  };
}

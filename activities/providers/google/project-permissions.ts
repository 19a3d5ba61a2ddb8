// Which of some IAM permissions the worker's identity holds on a project, by Cloud Resource
// Manager's projects.testIamPermissions (no permission needed to ask, no change made): the way to
// learn a project-level grant such as monitoring.alertPolicies.update without a write. Through
// google-auth-library (Application Default Credentials); a plain-http endpoint is a local
// simulator and gets the placeholder API key instead, as the SDK clients do (options.ts).
import { GoogleAuth } from 'google-auth-library';
import { ProviderError, kindOfHttpStatus } from '../../errors.ts';
import type { ApiEndpoints } from '../descriptor.ts';
import { googleClientOptions } from './options.ts';

const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });

export async function projectPermissionsHeld(
  endpoint: ApiEndpoints['google'],
  project: string,
  permissions: readonly string[],
  timeoutMs: number,
): Promise<string[]> {
  const o = googleClientOptions(endpoint);
  const base = o.apiEndpoint
    ? `${o.protocol ?? 'https'}://${o.apiEndpoint}${o.port ? `:${o.port}` : ''}`
    : 'https://cloudresourcemanager.googleapis.com';
  const headers = new Headers({ 'content-type': 'application/json' });
  if (o.apiKey) headers.set('x-goog-api-key', o.apiKey);
  else (await auth.getRequestHeaders()).forEach((v, k) => headers.set(k, v));
  const res = await fetch(`${base}/v3/projects/${encodeURIComponent(project)}:testIamPermissions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ permissions }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json().catch(() => ({}))) as { permissions?: string[]; error?: { message?: string } };
  if (!res.ok)
    throw new ProviderError(
      kindOfHttpStatus(res.status),
      `Resource Manager testIamPermissions on projects/${project}: HTTP ${res.status} (${body.error?.message ?? res.statusText})`,
    );
  return body.permissions ?? [];
}

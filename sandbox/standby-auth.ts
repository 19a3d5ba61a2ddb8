// Cloud Run's check of an authenticated request to a closed service: a Google-signed ID token
// (here: signed by the simulator's metadata server) whose audience is the service's URL, for an
// identity that holds roles/run.invoker on the service (a member of its invoker binding).
import type { IncomingMessage } from 'node:http';
import { verifyIdToken } from './cloud-api/metadata.ts';
import { INVOKER_ROLE, type CloudState } from './cloud-api/state.ts';

const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

export function invokedWithIdToken(state: CloudState, serviceName: string, req: IncomingMessage): boolean {
  const token = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!token) return false;
  const claims = verifyIdToken(state, token);
  // The URL the request reached (the sandbox serves the standby on 127.0.0.1:<port>).
  const reached = `http://${req.headers.host ?? ''}`;
  if (!claims || origin(claims.aud) !== origin(reached)) return false;
  const svc = state.service(serviceName);
  const member = `serviceAccount:${claims.email}`;
  return (svc?.bindings ?? []).some((b) => b.role === INVOKER_ROLE && !b.condition && b.members.includes(member));
}

// Readiness of a Cloudflare lever's token (docs/readiness.md): the token is verified
// (GET /user/tokens/verify: active, not expired, and when it expires), then its permission groups
// are read (GET /user/tokens/{id}) where the token may read itself ("API Tokens Read"); without
// that, the groups are not checked here and only the lever's read vouches for the token.
import type Cloudflare from 'cloudflare';
import { APIError } from 'cloudflare';
import type { ReadinessCheck } from '../../../workflows/readiness-types.ts';
import { errorMessage } from '../../../workflows/error-text.ts';

const WEEK_MS = 7 * 24 * 3600_000;

/** "Page Rules Write" covers "Page Rules Read": a Write group includes its Read. */
const covers = (held: Set<string>, needed: string) => held.has(needed) || held.has(needed.replace(/ Read$/, ' Write'));

function fail(subject: string, reason: string, fix: string): ReadinessCheck {
  return { check: 'permissions', status: 'fail', subject, reason, fix };
}

async function groupsCheck(
  client: Cloudflare,
  tokenId: string,
  zoneId: string,
  needed: readonly string[],
  subject: string,
): Promise<ReadinessCheck> {
  let token;
  try {
    token = await client.user.tokens.get(tokenId);
  } catch (err) {
    if (err instanceof APIError && (err.status === 403 || err.status === 401))
      return {
        check: 'permissions',
        status: 'ok',
        subject,
        reason: `token active; its permission groups are not readable by the token itself, so ${needed.join(', ')} is vouched for only by the lever's read`,
      };
    throw err;
  }
  const zoneKey = `com.cloudflare.api.account.zone.${zoneId}`;
  const held = new Set(
    (token.policies ?? [])
      .filter((p) => p.effect === 'allow')
      .filter((p) =>
        Object.keys(p.resources ?? {}).some((k) => k === zoneKey || k.endsWith('.*') || !k.includes('zone.')),
      )
      .flatMap((p) => p.permission_groups.map((g) => g.name ?? '')),
  );
  const missing = needed.filter((n) => !covers(held, n));
  if (missing.length > 0)
    return fail(
      subject,
      `the token lacks ${missing.map((m) => `"${m}"`).join(', ')} on zone ${zoneId}`,
      `edit CLOUDFLARE_API_TOKEN's permissions in the Cloudflare dashboard (My Profile → API Tokens): add ${missing.join(', ')} for this zone`,
    );
  return { check: 'permissions', status: 'ok', subject, reason: `token active, holds ${needed.join(', ')}` };
}

export async function cloudflareTokenCheck(
  client: Cloudflare,
  zoneId: string,
  needed: readonly string[],
  now = Date.now(),
): Promise<ReadinessCheck> {
  const subject = `Cloudflare token (zone ${zoneId})`;
  const renew = 'create a new token with the permissions in docs/providers.md and set CLOUDFLARE_API_TOKEN';
  try {
    const v = await client.user.tokens.verify();
    if (v.status !== 'active') return fail(subject, `the token is ${v.status}`, renew);
    const expires = v.expires_on ? Date.parse(v.expires_on) : undefined;
    if (expires !== undefined && expires <= now) return fail(subject, `the token expired at ${v.expires_on}`, renew);
    const groups = await groupsCheck(client, v.id, zoneId, needed, subject);
    if (groups.status === 'ok' && expires !== undefined && expires - now < WEEK_MS)
      return { ...groups, status: 'warn', reason: `${groups.reason}; expires at ${v.expires_on}`, fix: renew };
    return groups;
  } catch (err) {
    return fail(subject, `the token was refused: ${errorMessage(err)}`, renew);
  }
}

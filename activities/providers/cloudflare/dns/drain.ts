// How long a DNS switch takes to reach everyone: what the standby waits out after a failback.

/**
 * How long resolvers may still send users to the standby after the record points back: the TTL
 * (1 means Cloudflare's automatic 300 s), plus a margin for resolvers that round up.
 */
export function dnsDrainMs(ttlSeconds: number): number {
  const ttl = ttlSeconds === 1 ? 300 : ttlSeconds;
  return Math.round(ttl * 1000 * 1.1) + 5000;
}

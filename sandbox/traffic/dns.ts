// Traffic by a Cloudflare DNS record in the sandbox: a CNAME at the short TTL the config writes,
// beside an unrelated MX record; the edge proxies to whichever host the record names now.
import { NO_ZONE, type TrafficMode } from './mode.ts';

export const dnsMode: TrafficMode = ({ state, zone, primaryUrl, standbyUrl }) => {
  const primaryContent = `home.${zone.name}`;
  // A load balancer's name in front of the standby: a CNAME to *.run.app would not serve the site's host.
  const standbyContent = `standby-lb.${zone.name}`;
  // Kept at the short TTL the config writes: a long TTL before the incident is what slows a DNS failover.
  const record = state.addDnsRecord(zone, {
    name: `www.${zone.name}`,
    type: 'CNAME',
    content: primaryContent,
    ttl: 60,
    proxied: false,
    comment: 'public site',
  });
  state.addDnsRecord(zone, {
    name: zone.name,
    type: 'MX',
    content: `mail.${zone.name}`,
    priority: 10,
    ttl: 3600,
    proxied: false,
    proxiable: false,
  });
  const recordId = String(record.id);
  const hosts: Record<string, string> = { [primaryContent]: primaryUrl, [standbyContent]: standbyUrl };
  return {
    traffic: {
      type: 'cloudflare-dns',
      zoneId: zone.id,
      recordId,
      primaryContent,
      standbyContent,
      ttl: 60,
      // The simulated edge answers from the current record: no resolver caches to wait out.
      drainAfterFailback: '0s',
    },
    ids: { recordId, primaryContent, standbyContent },
    route: () => {
      const z = state.zones.get(zone.id);
      if (!z) return NO_ZONE;
      const rec = z.dnsRecords.get(recordId);
      const origin = rec ? hosts[String(rec.content)] : undefined;
      return origin ? { origin } : { error: 1016, title: 'Origin DNS error' };
    },
  };
};

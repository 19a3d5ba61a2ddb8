// Traffic by a Cloudflare page rule in the sandbox: a Forwarding URL to the standby (disabled at
// start) beside an unrelated rule; the edge redirects while the rule is active.
import { isRecord as isObj } from '../cloud-api/http.ts';
import { NO_ZONE, type TrafficMode } from './mode.ts';

/** Cloudflare page-rule URL patterns: `*` matches anything; captures become $1, $2, ... */
function matchPattern(pattern: string, url: string): string[] | undefined {
  const re = new RegExp(
    `^(?:https?://)?${pattern
      .replace(/^https?:\/\//, '')
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '(.*)')}$`,
  );
  const m = re.exec(url);
  return m ? m.slice(1) : undefined;
}

export const pageRuleMode: TrafficMode = ({ state, zone, host, primaryUrl, standbyUrl }) => {
  const rule = state.addPageRule(zone, {
    targets: [{ target: 'url', constraint: { operator: 'matches', value: `${host}/*` } }],
    actions: [{ id: 'forwarding_url', value: { url: `${standbyUrl}$1`, status_code: 302 } }],
    priority: 1,
    status: 'disabled',
  });
  state.addPageRule(zone, {
    targets: [{ target: 'url', constraint: { operator: 'matches', value: `${host}/static/*` } }],
    actions: [{ id: 'browser_cache_ttl', value: 14400 }],
    priority: 2,
    status: 'active',
  });
  const pageRuleId = String(rule.id);
  return {
    traffic: { type: 'cloudflare-page-rule', zoneId: zone.id, pageRuleId },
    ids: { pageRuleId },
    route: (facts) => {
      const z = state.zones.get(zone.id);
      if (!z) return NO_ZONE;
      const rule = z.pageRules.get(pageRuleId);
      if (rule?.status !== 'active') return { origin: primaryUrl };
      const targets = Array.isArray(rule.targets) ? rule.targets : [];
      const pattern = targets
        .map((t) => (isObj(t) && isObj(t.constraint) ? String(t.constraint.value) : ''))
        .find(Boolean);
      const captures = pattern
        ? matchPattern(pattern, `${facts.host}${facts.path}${facts.query ? `?${facts.query}` : ''}`)
        : undefined;
      const action = (Array.isArray(rule.actions) ? rule.actions : []).find(
        (a) => isObj(a) && a.id === 'forwarding_url',
      );
      if (captures && isObj(action) && isObj(action.value)) {
        const to = String(action.value.url).replace(/\$(\d)/g, (_, n: string) => captures[Number(n) - 1] ?? '');
        return { redirect: to, status: Number(action.value.status_code ?? 302) };
      }
      return { origin: primaryUrl };
    },
  };
};

// Traffic by a Cloudflare Single Redirect in the sandbox: the failover rule (disabled at start)
// between two unrelated rules of the zone's redirect entrypoint; the edge evaluates the enabled
// rules in order, with a small subset of the Rules language.
import { isRecord as isObj } from '../cloud-api/http.ts';
import { REDIRECT_PHASE } from '../cloud-api/state.ts';
import { NO_ZONE, type RequestFacts, type TrafficMode } from './mode.ts';

function field(name: string, f: RequestFacts): string | undefined {
  if (name === 'http.host') return f.host;
  if (name === 'http.request.uri.path') return f.path;
  if (name === 'http.request.uri.query') return f.query;
  if (name === 'http.request.full_uri') return `http://${f.host}${f.path}${f.query ? `?${f.query}` : ''}`;
  return undefined;
}

const stripParens = (s: string): string => {
  let t = s.trim();
  while (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1).trim();
  return t;
};

/** A small subset of the Rules language: true/false, eq/ne/==/!=, starts_with(), and/or. */
export function evaluateExpression(expr: string, f: RequestFacts): boolean {
  const e = stripParens(expr);
  if (/\s+or\s+/.test(e)) return e.split(/\s+or\s+/).some((p) => evaluateExpression(p, f));
  if (/\s+and\s+/.test(e)) return e.split(/\s+and\s+/).every((p) => evaluateExpression(p, f));
  if (e === 'true') return true;
  if (e === 'false') return false;
  let m = /^([\w.]+)\s+(eq|==|ne|!=)\s+"([^"]*)"$/.exec(e);
  if (m) {
    const v = field(m[1]!, f);
    return m[2] === 'eq' || m[2] === '==' ? v === m[3] : v !== m[3];
  }
  m = /^starts_with\(\s*([\w.]+)\s*,\s*"([^"]*)"\s*\)$/.exec(e);
  if (m) return (field(m[1]!, f) ?? '').startsWith(m[2]!);
  return false;
}

/** Target URL expressions: a string literal, a field, or concat() of those. */
function evaluateTarget(expr: string, f: RequestFacts): string {
  const e = expr.trim();
  const concat = /^concat\((.*)\)$/s.exec(e);
  if (concat) {
    const args = concat[1]!.match(/"[^"]*"|[\w.]+/g) ?? [];
    return args.map((a) => (a.startsWith('"') ? a.slice(1, -1) : (field(a, f) ?? ''))).join('');
  }
  if (e.startsWith('"')) return e.slice(1, -1);
  return field(e, f) ?? '';
}

export const redirectRuleMode: TrafficMode = ({ state, zone, host, primaryUrl, standbyUrl }) => {
  state.addRulesetRule(zone, REDIRECT_PHASE, {
    action: 'redirect',
    action_parameters: {
      from_value: { target_url: { value: `http://${host}/blog` }, status_code: 301, preserve_query_string: false },
    },
    expression: '(http.request.uri.path eq "/old-blog")',
    description: 'old blog address',
    enabled: true,
  });
  const rule = state.addRulesetRule(zone, REDIRECT_PHASE, {
    action: 'redirect',
    action_parameters: {
      from_value: {
        target_url: { expression: `concat("${standbyUrl.replace(/\/$/, '')}", http.request.uri.path)` },
        status_code: 302,
        preserve_query_string: true,
      },
    },
    expression: `(http.host eq "${host}")`,
    description: 'failover: send users to the standby',
    enabled: false,
    logging: { enabled: true },
  });
  state.addRulesetRule(zone, REDIRECT_PHASE, {
    action: 'redirect',
    action_parameters: { from_value: { target_url: { value: 'https://status.example.test/' }, status_code: 307 } },
    expression: 'starts_with(http.request.uri.path, "/status")',
    description: 'status page (kept off)',
    enabled: false,
  });
  const ruleId = String(rule.id);
  const rulesetId = zone.entrypoints.get(REDIRECT_PHASE);
  return {
    traffic: { type: 'cloudflare-redirect-rule', zoneId: zone.id, ruleId },
    ids: { ruleId, ...(rulesetId && { rulesetId }) },
    route: (facts) => {
      const z = state.zones.get(zone.id);
      if (!z) return NO_ZONE;
      const entry = z.entrypoints.get(REDIRECT_PHASE);
      const rules = entry ? (z.rulesets.get(entry)?.rules ?? []) : [];
      for (const rule of rules) {
        if (rule.enabled === false || rule.action !== 'redirect' || typeof rule.expression !== 'string') continue;
        if (!evaluateExpression(rule.expression, facts)) continue;
        const params =
          isObj(rule.action_parameters) && isObj(rule.action_parameters.from_value)
            ? rule.action_parameters.from_value
            : undefined;
        const target = params && isObj(params.target_url) ? params.target_url : undefined;
        if (!params || !target) continue;
        let to =
          typeof target.value === 'string' ? target.value : evaluateTarget(String(target.expression ?? '""'), facts);
        if (params.preserve_query_string && facts.query) to += `${to.includes('?') ? '&' : '?'}${facts.query}`;
        return { redirect: to, status: Number(params.status_code ?? 301) };
      }
      return { origin: primaryUrl };
    },
  };
};

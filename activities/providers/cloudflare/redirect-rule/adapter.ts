// Traffic by a Cloudflare Single Redirect: one rule of the zone's entrypoint ruleset of the
// http_request_dynamic_redirect phase, enabled while on the standby. A rule PATCH replaces the
// rule, so every field read is sent back with only `enabled` changed.
import type Cloudflare from 'cloudflare';
import type { Snapshot, Target } from '../../../../workflows/types.ts';
import { ProviderError } from '../../../errors.ts';
import { cfCall } from '../errors.ts';
import { restoreField } from '../../snapshot.ts';
import type { CallBudget, Change, TrafficRouter } from '../../types.ts';

export const REDIRECT_PHASE = 'http_request_dynamic_redirect';

/** Fields of a rule the API sets itself; everything else is sent back as read. */
const READ_ONLY_RULE_FIELDS = new Set(['version', 'last_updated', 'categories']);

export interface RedirectRuleTrafficOptions {
  client: Cloudflare;
  zoneId: string;
  /** The phase entrypoint ruleset; looked up when omitted. */
  rulesetId?: string;
  ruleId: string;
}

const READ = { permission: 'Zone.Single Redirect:Read', apiPermission: 'Dynamic URL Redirects Read' };
const EDIT = { permission: 'Zone.Single Redirect:Edit', apiPermission: 'Dynamic URL Redirects Write' };

type Rule = Record<string, unknown> & { id?: string; enabled?: boolean };

export class CloudflareRedirectRuleTraffic implements TrafficRouter {
  readonly resource: string;
  private readonly client: Cloudflare;
  private readonly zoneId: string;
  private readonly ruleId: string;
  private rulesetId: string | undefined;

  constructor(opts: RedirectRuleTrafficOptions) {
    this.client = opts.client;
    this.zoneId = opts.zoneId;
    this.ruleId = opts.ruleId;
    this.rulesetId = opts.rulesetId;
    this.resource = `zones/${opts.zoneId}/rulesets/${opts.rulesetId ?? `phases/${REDIRECT_PHASE}/entrypoint`}/rules/${opts.ruleId}`;
  }

  private async rule(budget?: CallBudget): Promise<{ rulesetId: string; rule: Rule }> {
    const timeout = this.client.timeout;
    const ruleset = this.rulesetId
      ? await cfCall(
          { what: 'Cloudflare get ruleset', resource: `zones/${this.zoneId}/rulesets/${this.rulesetId}`, ...READ },
          (options) => this.client.rulesets.get(this.rulesetId!, { zone_id: this.zoneId }, options),
          budget,
          timeout,
        )
      : await cfCall(
          {
            what: 'Cloudflare get redirect phase entrypoint',
            resource: `zones/${this.zoneId}/rulesets/phases/${REDIRECT_PHASE}/entrypoint`,
            ...READ,
          },
          (options) => this.client.rulesets.phases.get(REDIRECT_PHASE, { zone_id: this.zoneId }, options),
          budget,
          timeout,
        );
    if (ruleset.phase && ruleset.phase !== REDIRECT_PHASE) {
      throw new ProviderError(
        'invalid_config',
        `traffic.rulesetId: ruleset ${ruleset.id} is in phase ${ruleset.phase}, not ${REDIRECT_PHASE}`,
      );
    }
    const rule = (ruleset.rules ?? []).find((r) => r.id === this.ruleId) as Rule | undefined;
    if (!rule) {
      throw new ProviderError(
        'not_found',
        `traffic.ruleId: rule ${this.ruleId} is not in ruleset ${ruleset.id} (${REDIRECT_PHASE}) of zone ${this.zoneId}`,
      );
    }
    if (rule.action !== 'redirect') {
      throw new ProviderError(
        'invalid_config',
        `traffic.ruleId: rule ${this.ruleId} has action "${String(rule.action)}", not "redirect"`,
      );
    }
    this.rulesetId ??= ruleset.id;
    return { rulesetId: ruleset.id, rule };
  }

  async read(budget?: CallBudget): Promise<{ redirectRuleEnabled: boolean }> {
    return { redirectRuleEnabled: (await this.rule(budget)).rule.enabled !== false };
  }

  isAt(target: Target, s: Snapshot): boolean {
    return s.redirectRuleEnabled === (target === 'standby');
  }

  set(target: Target, budget?: CallBudget): Promise<Change> {
    return this.write(target === 'standby', `set (traffic → ${target})`, budget);
  }

  restore(before: Snapshot, budget?: CallBudget): Promise<Change> {
    return this.write(restoreField(this.resource, before, 'redirectRuleEnabled', 'boolean'), 'restored', budget);
  }

  private async write(enabled: boolean, verb: string, budget?: CallBudget): Promise<Change> {
    const { rulesetId, rule } = await this.rule(budget);
    const before = { redirectRuleEnabled: rule.enabled !== false };
    const word = (e: boolean) => (e ? 'enabled' : 'disabled');
    if (before.redirectRuleEnabled === enabled)
      return { changed: false, before, summary: `redirect rule ${this.ruleId} already ${word(enabled)}` };
    const body = Object.fromEntries(
      Object.entries(rule).filter(([k, v]) => !READ_ONLY_RULE_FIELDS.has(k) && v !== undefined && v !== null),
    );
    const resource = `zones/${this.zoneId}/rulesets/${rulesetId}/rules/${this.ruleId}`;
    const updated = await cfCall(
      { what: 'Cloudflare edit redirect rule', resource, ...EDIT, write: true },
      (options) =>
        this.client.rulesets.rules.edit(
          rulesetId,
          this.ruleId,
          { ...body, enabled, zone_id: this.zoneId } as never,
          options,
        ),
      budget,
      this.client.timeout,
    );
    const after = (updated.rules ?? []).find((r) => r.id === this.ruleId);
    if (after && (after.enabled !== false) !== enabled) {
      throw new ProviderError(
        'unavailable',
        `${resource}: the edit was accepted but the rule is still ${word(!enabled)}`,
      );
    }
    return {
      changed: true,
      before,
      summary: `${verb}: redirect rule ${this.ruleId} (${String(rule.description ?? '')}) ${word(!enabled)} → ${word(enabled)}`,
    };
  }
}

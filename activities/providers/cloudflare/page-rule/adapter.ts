// Traffic by a Cloudflare Page Rule (e.g. a forwarding URL to the standby): the rule's status,
// active while on the standby, disabled while on the primary.
import type Cloudflare from 'cloudflare';
import type { Snapshot, Target } from '../../../../workflows/types.ts';
import { ProviderError } from '../../../errors.ts';
import { cfCall } from '../errors.ts';
import { restoreField } from '../../snapshot.ts';
import type { CallBudget, Change, TrafficRouter } from '../../types.ts';

type Status = 'active' | 'disabled';

export interface PageRuleTrafficOptions {
  client: Cloudflare;
  zoneId: string;
  pageRuleId: string;
}

const READ = { permission: 'Zone.Page Rules:Read', apiPermission: 'Page Rules Read' };
const EDIT = { permission: 'Zone.Page Rules:Edit', apiPermission: 'Page Rules Write' };

export class CloudflarePageRuleTraffic implements TrafficRouter {
  readonly resource: string;
  private readonly client: Cloudflare;
  private readonly zoneId: string;
  private readonly pageRuleId: string;

  constructor(opts: PageRuleTrafficOptions) {
    this.client = opts.client;
    this.zoneId = opts.zoneId;
    this.pageRuleId = opts.pageRuleId;
    this.resource = `zones/${opts.zoneId}/pagerules/${opts.pageRuleId}`;
  }

  async read(budget?: CallBudget): Promise<{ pageRuleStatus: Status }> {
    const rule = await cfCall(
      { what: 'Cloudflare get page rule', resource: this.resource, ...READ },
      (options) => this.client.pageRules.get(this.pageRuleId, { zone_id: this.zoneId }, options),
      budget,
      this.client.timeout,
    );
    return { pageRuleStatus: rule.status };
  }

  isAt(target: Target, s: Snapshot): boolean {
    return s.pageRuleStatus === (target === 'standby' ? 'active' : 'disabled');
  }

  set(target: Target, budget?: CallBudget): Promise<Change> {
    return this.write(target === 'standby' ? 'active' : 'disabled', `set (traffic → ${target})`, budget);
  }

  restore(before: Snapshot, budget?: CallBudget): Promise<Change> {
    const status = restoreField(this.resource, before, 'pageRuleStatus', 'string');
    if (status !== 'active' && status !== 'disabled') {
      throw new ProviderError(
        'invalid_config',
        `${this.resource}: cannot restore from ${JSON.stringify(before)} (pageRuleStatus ${status})`,
      );
    }
    return this.write(status, 'restored', budget);
  }

  private async write(status: Status, verb: string, budget?: CallBudget): Promise<Change> {
    const before = await this.read(budget);
    if (before.pageRuleStatus === status)
      return { changed: false, before, summary: `page rule ${this.resource} already ${status}` };
    await cfCall(
      { what: 'Cloudflare edit page rule', resource: this.resource, ...EDIT, write: true },
      (options) => this.client.pageRules.edit(this.pageRuleId, { zone_id: this.zoneId, status }, options),
      budget,
      this.client.timeout,
    );
    return {
      changed: true,
      before,
      summary: `${verb}: page rule ${this.resource} ${before.pageRuleStatus} → ${status}`,
    };
  }
}

// Traffic by a Cloudflare DNS record: its content switched between the primary's and the
// standby's target, written with the configured (short) TTL in both directions; restore puts
// back content and TTL exactly as found. Keep the record at that TTL all the time: resolvers hold
// the answer they have for the TTL it had, so a long TTL before the incident delays the switch.
import type Cloudflare from 'cloudflare';
import type { Snapshot, Target } from '../../../../workflows/types.ts';
import { cfCall } from '../errors.ts';
import { restoreField } from '../../snapshot.ts';
import type { CallBudget, Change, TrafficRouter } from '../../types.ts';

export interface DnsTrafficOptions {
  client: Cloudflare;
  zoneId: string;
  recordId: string;
  primaryContent: string;
  standbyContent: string;
  /** Seconds, written with each switch; 1 means automatic. */
  ttl: number;
}

const READ = { permission: 'Zone.DNS:Read', apiPermission: 'DNS Read' };
const EDIT = { permission: 'Zone.DNS:Edit', apiPermission: 'DNS Write' };

interface RecordShape {
  name: string;
  type: string;
  content?: string;
  ttl: number;
  proxied?: boolean;
}

export class CloudflareDnsTraffic implements TrafficRouter {
  readonly resource: string;
  private readonly opts: DnsTrafficOptions;

  constructor(opts: DnsTrafficOptions) {
    this.opts = opts;
    this.resource = `zones/${opts.zoneId}/dns_records/${opts.recordId}`;
  }

  private async record(budget?: CallBudget): Promise<RecordShape> {
    const r = await cfCall(
      { what: 'Cloudflare get DNS record', resource: this.resource, ...READ },
      (options) => this.opts.client.dns.records.get(this.opts.recordId, { zone_id: this.opts.zoneId }, options),
      budget,
      this.opts.client.timeout,
    );
    return r as unknown as RecordShape;
  }

  async read(budget?: CallBudget): Promise<{ dnsContent: string; dnsTtl: number }> {
    const r = await this.record(budget);
    return { dnsContent: r.content ?? '', dnsTtl: r.ttl };
  }

  isAt(target: Target, s: Snapshot): boolean {
    return s.dnsContent === (target === 'standby' ? this.opts.standbyContent : this.opts.primaryContent);
  }

  set(target: Target, budget?: CallBudget): Promise<Change> {
    const content = target === 'standby' ? this.opts.standbyContent : this.opts.primaryContent;
    return this.write(content, this.opts.ttl, false, `set (traffic → ${target})`, budget);
  }

  restore(before: Snapshot, budget?: CallBudget): Promise<Change> {
    const content = restoreField(this.resource, before, 'dnsContent', 'string');
    return this.write(content, restoreField(this.resource, before, 'dnsTtl', 'number'), true, 'restored', budget);
  }

  /** Writes when the content differs (and, for a restore, when the TTL differs too). */
  private async write(
    content: string,
    ttl: number,
    exactTtl: boolean,
    verb: string,
    budget?: CallBudget,
  ): Promise<Change> {
    const r = await this.record(budget);
    const before = { dnsContent: r.content ?? '', dnsTtl: r.ttl };
    if (before.dnsContent === content && (!exactTtl || before.dnsTtl === ttl)) {
      return { changed: false, before, summary: `DNS ${r.type} ${r.name} already → ${content}` };
    }
    await cfCall(
      { what: 'Cloudflare edit DNS record', resource: this.resource, ...EDIT, write: true },
      (options) =>
        this.opts.client.dns.records.edit(
          this.opts.recordId,
          {
            zone_id: this.opts.zoneId,
            name: r.name,
            type: r.type,
            content,
            ttl,
            ...(r.proxied !== undefined && { proxied: r.proxied }),
          } as never,
          options,
        ),
      budget,
      this.opts.client.timeout,
    );
    return {
      changed: true,
      before,
      summary: `${verb}: DNS ${r.type} ${r.name} ${before.dnsContent} (ttl ${before.dnsTtl}) → ${content} (ttl ${ttl})`,
    };
  }
}

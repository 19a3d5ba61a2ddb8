// The monitor lever: a Cloud Monitoring alert policy's `enabled`, through the Monitoring API v3
// (@google-cloud/monitoring AlertPolicyServiceClient, REST transport). Writes carry an update
// mask of just `enabled`, so a concurrent edit of anything else in the policy is never undone.
import type { AlertPolicyServiceClient } from '@google-cloud/monitoring';
import type { Snapshot } from '../../../../workflows/types.ts';
import { googleCaller } from '../errors.ts';
import { restoreField } from '../../snapshot.ts';
import type { CallBudget, Change, Monitor } from '../../types.ts';

export interface AlertPolicyMonitorOptions {
  client: AlertPolicyServiceClient;
  /** projects/<project>/alertPolicies/<id> */
  alertPolicy: string;
  timeoutMs?: number;
}

export class AlertPolicyMonitor implements Monitor {
  readonly resource: string;
  private readonly client: AlertPolicyServiceClient;
  private readonly call: ReturnType<typeof googleCaller>;

  constructor(opts: AlertPolicyMonitorOptions) {
    this.client = opts.client;
    this.resource = opts.alertPolicy;
    this.call = googleCaller(this.resource, opts.timeoutMs);
  }

  async read(budget?: CallBudget): Promise<{ enabled: boolean }> {
    const [policy] = await this.call(
      {
        what: 'Cloud Monitoring get alert policy',
        permission: 'monitoring.alertPolicies.get',
        role: 'roles/monitoring.alertPolicyViewer',
      },
      budget,
      (options) => this.client.getAlertPolicy({ name: this.resource }, options),
    );
    // BoolValue: absent means the API default, enabled.
    return { enabled: policy.enabled?.value ?? true };
  }

  isAt(position: 'paused' | 'enabled', s: Snapshot): boolean {
    return s.enabled === (position === 'enabled');
  }

  set(position: 'paused' | 'enabled', budget?: CallBudget): Promise<Change> {
    return this.write(position === 'enabled', 'set', budget);
  }

  restore(before: Snapshot, budget?: CallBudget): Promise<Change> {
    return this.write(restoreField(this.resource, before, 'enabled', 'boolean'), 'restored', budget);
  }

  private async write(enabled: boolean, verb: string, budget?: CallBudget): Promise<Change> {
    const before = await this.read(budget);
    const word = (e: boolean) => (e ? 'enabled' : 'paused (disabled)');
    if (before.enabled === enabled)
      return { changed: false, before, summary: `alert policy ${this.resource} already ${word(enabled)}` };
    await this.call(
      {
        what: 'Cloud Monitoring update alert policy',
        permission: 'monitoring.alertPolicies.update',
        role: 'roles/monitoring.alertPolicyEditor',
        write: true,
      },
      budget,
      (options) =>
        this.client.updateAlertPolicy(
          { alertPolicy: { name: this.resource, enabled: { value: enabled } }, updateMask: { paths: ['enabled'] } },
          options,
        ),
    );
    return {
      changed: true,
      before,
      summary: `${verb}: alert policy ${this.resource} ${word(before.enabled)} → ${word(enabled)}`,
    };
  }
}

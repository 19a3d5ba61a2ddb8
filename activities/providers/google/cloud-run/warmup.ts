// A warmed standby on Cloud Run (issue 18): the service-level minimum instances
// (Service.scaling.minInstanceCount) raised before the standby is opened, and put back to the value
// read after the failback. Service-level, so no new revision is deployed: one UpdateService call
// (PATCH with updateMask=scaling.min_instance_count, permission run.services.update) returns a
// long-running operation, polled (run.operations.get) until the service is reconciled; the instances
// start once it is done. Only the masked field changes.
import type { ServicesClient } from '@google-cloud/run';
import type { Snapshot } from '../../../../workflows/types.ts';
import { ProviderError } from '../../../errors.ts';
import { restoreField } from '../../snapshot.ts';
import type { CallBudget, Change, Lever } from '../../types.ts';
import { googleCaller } from '../errors.ts';

/** Exactly what the warm-up calls need (the least-privilege test holds it to this). */
export const WARMUP_PERMISSIONS = ['run.services.get', 'run.services.update', 'run.operations.get'] as const;
const POLL_MS = 250;

export interface CloudRunWarmupOptions {
  client: ServicesClient;
  project: string;
  region: string;
  service: string;
  /** The minimum raised to while failed over. */
  minInstances: number;
  /** Bound on each API call. */
  timeoutMs?: number;
}

/** The snapshot: the service-level minimum found (0: unset). */
export interface WarmupSnapshot extends Snapshot {
  minInstanceCount: number;
}

export class CloudRunWarmup implements Lever<'warm'> {
  readonly resource: string;
  private readonly client: ServicesClient;
  private readonly call: ReturnType<typeof googleCaller>;
  private readonly minInstances: number;

  constructor(opts: CloudRunWarmupOptions) {
    if (!Number.isInteger(opts.minInstances) || opts.minInstances < 1)
      throw new ProviderError('invalid_config', `warm-up of ${opts.service}: minInstances must be a whole number ≥ 1`);
    this.client = opts.client;
    this.resource = `projects/${opts.project}/locations/${opts.region}/services/${opts.service}`;
    this.call = googleCaller(this.resource, opts.timeoutMs);
    this.minInstances = opts.minInstances;
  }

  async read(budget?: CallBudget): Promise<WarmupSnapshot> {
    const [service] = await this.call(
      { what: 'Cloud Run get service', permission: 'run.services.get', role: 'roles/run.viewer' },
      budget,
      (options) => this.client.getService({ name: this.resource }, options),
    );
    return { minInstanceCount: service.scaling?.minInstanceCount ?? 0 };
  }

  /** Warm once the minimum is at least the one asked for (a higher one is never lowered). */
  isAt(_position: 'warm', s: Snapshot): boolean {
    return typeof s.minInstanceCount === 'number' && s.minInstanceCount >= this.minInstances;
  }

  async set(_position: 'warm', budget?: CallBudget): Promise<Change> {
    const before = await this.read(budget);
    if (this.isAt('warm', before))
      return { changed: false, before, summary: `${this.resource}: already keeps ${before.minInstanceCount} warm` };
    await this.update(this.minInstances, budget);
    return {
      changed: true,
      before,
      summary: `${this.resource}: minimum instances ${before.minInstanceCount} → ${this.minInstances} (service-level, no new revision)`,
    };
  }

  async restore(before: Snapshot, budget?: CallBudget): Promise<Change> {
    const want = restoreField(this.resource, before, 'minInstanceCount', 'number');
    const now = await this.read(budget);
    if (now.minInstanceCount === want)
      return { changed: false, before: now, summary: `${this.resource}: minimum instances already ${want}` };
    await this.update(want, budget);
    return {
      changed: true,
      before: now,
      summary: `${this.resource}: minimum instances ${now.minInstanceCount} → ${want} (restored)`,
    };
  }

  /** One UpdateService with the update mask, then its operation polled until done (or the budget ends). */
  private async update(minInstanceCount: number, budget?: CallBudget): Promise<void> {
    const [operation] = await this.call(
      { what: 'Cloud Run update service', permission: 'run.services.update', role: 'roles/run.developer', write: true },
      budget,
      (options) =>
        this.client.updateService(
          {
            service: { name: this.resource, scaling: { minInstanceCount } },
            updateMask: { paths: ['scaling.min_instance_count'] },
          },
          options,
        ),
    );
    let done = operation.done === true;
    while (!done) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const polled = await this.call(
        { what: 'Cloud Run get operation', permission: 'run.operations.get', role: 'roles/run.viewer' },
        budget,
        () => this.client.checkUpdateServiceProgress(operation.name!),
      );
      if (polled.error)
        throw new ProviderError(
          'unavailable',
          `${this.resource}: the update operation failed (${polled.error.message})`,
        );
      done = polled.done === true;
    }
  }
}

// Standby access on Cloud Run: allUsers gets (or loses) roles/run.invoker on the standby
// service, through the Cloud Run Admin API v2 (@google-cloud/run ServicesClient, REST transport).
// Read-modify-write with the etag read; on a concurrent change (ABORTED / 409) read again and
// retry. Only allUsers on the unconditional invoker binding is touched; every other binding and
// member stays as found.
import type { ServicesClient, protos } from '@google-cloud/run';
import type { Snapshot } from '../../../../workflows/types.ts';
import { ProviderError } from '../../../errors.ts';
import { googleCaller } from '../errors.ts';
import { restoreField } from '../../snapshot.ts';
import { memberDomainsRefusal } from './org-policy.ts';
import type { CallBudget, Change, StandbyAccess } from '../../types.ts';

export const INVOKER_ROLE = 'roles/run.invoker';
export const PUBLIC_MEMBER = 'allUsers';
/** Read-modify-write rounds one attempt makes on etag conflicts, by default. */
export const CONFLICT_ROUNDS = 4;

type Policy = protos.google.iam.v1.IPolicy;
type Binding = protos.google.iam.v1.IBinding;

export interface CloudRunAccessOptions {
  client: ServicesClient;
  project: string;
  region: string;
  service: string;
  /** Bound on each API call. */
  timeoutMs?: number;
  /** Read-modify-write rounds on etag conflicts before giving up (retryable) to Temporal. */
  conflictRetries?: number;
}

/** The snapshot: whether allUsers held the invoker role, and whether the IAM check was off at all. */
export interface AccessSnapshot extends Snapshot {
  allUsersInvoker: boolean;
  invokerIamDisabled: boolean;
}

const isUnconditionalInvoker = (b: Binding) => b.role === INVOKER_ROLE && !b.condition?.expression;

export function hasPublicInvoker(policy: Policy): boolean {
  return (policy.bindings ?? []).some((b) => isUnconditionalInvoker(b) && (b.members ?? []).includes(PUBLIC_MEMBER));
}

/** The same policy with allUsers added to or removed from the unconditional invoker binding only. */
export function withPublicInvoker(policy: Policy, open: boolean): Binding[] {
  const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...(b.members ?? [])] }));
  const invoker = bindings.find(isUnconditionalInvoker);
  if (open) {
    if (invoker) invoker.members.push(PUBLIC_MEMBER);
    else bindings.push({ role: INVOKER_ROLE, members: [PUBLIC_MEMBER] });
    return bindings;
  }
  if (invoker) invoker.members = invoker.members.filter((m) => m !== PUBLIC_MEMBER);
  return bindings.filter((b) => b !== invoker || b.members.length > 0);
}

export class CloudRunStandbyAccess implements StandbyAccess {
  readonly resource: string;
  private readonly client: ServicesClient;
  private readonly call: ReturnType<typeof googleCaller>;
  private readonly conflictRetries: number;

  constructor(opts: CloudRunAccessOptions) {
    this.client = opts.client;
    this.resource = `projects/${opts.project}/locations/${opts.region}/services/${opts.service}`;
    this.call = googleCaller(this.resource, opts.timeoutMs);
    this.conflictRetries = opts.conflictRetries ?? CONFLICT_ROUNDS;
  }

  private async invokerIamDisabled(budget?: CallBudget): Promise<boolean> {
    const [service] = await this.call(
      { what: 'Cloud Run get service', permission: 'run.services.get', role: 'roles/run.viewer' },
      budget,
      (options) => this.client.getService({ name: this.resource }, options),
    );
    return service.invokerIamDisabled === true;
  }

  private async policy(budget?: CallBudget): Promise<Policy> {
    const [policy] = await this.call(
      { what: 'Cloud Run getIamPolicy', permission: 'run.services.getIamPolicy', role: 'roles/run.viewer' },
      budget,
      (options) =>
        // Version 3 so that conditional bindings come back whole and are written back whole.
        this.client.getIamPolicy({ resource: this.resource, options: { requestedPolicyVersion: 3 } }, options),
    );
    return policy;
  }

  async read(budget?: CallBudget): Promise<AccessSnapshot> {
    const invokerIamDisabled = await this.invokerIamDisabled(budget);
    return { allUsersInvoker: hasPublicInvoker(await this.policy(budget)), invokerIamDisabled };
  }

  isAt(position: 'open' | 'closed', s: Snapshot): boolean {
    // A disabled invoker check makes the service public whatever IAM says; it cannot be closed here.
    return position === 'open'
      ? s.allUsersInvoker === true || s.invokerIamDisabled === true
      : s.allUsersInvoker === false;
  }

  set(position: 'open' | 'closed', budget?: CallBudget): Promise<Change> {
    return this.apply(position === 'open', 'set', budget);
  }

  async restore(before: Snapshot, budget?: CallBudget): Promise<Change> {
    const allUsersInvoker = restoreField(this.resource, before, 'allUsersInvoker', 'boolean');
    if (before.invokerIamDisabled === true) {
      // It was public through the disabled check before the incident, and nothing here changed that.
      const now = await this.read(budget);
      return {
        changed: false,
        before: now,
        summary: now.invokerIamDisabled
          ? `${this.resource} has its invoker IAM check disabled (public to everyone); left as it was`
          : `${this.resource} was public through a disabled invoker IAM check before the incident; someone has since re-enabled the check, left as it is`,
      };
    }
    return this.apply(allUsersInvoker, 'restored', budget);
  }

  private async apply(open: boolean, verb: string, budget?: CallBudget): Promise<Change> {
    const want = open ? 'open' : 'closed';
    if (await this.invokerIamDisabled(budget)) return this.withCheckDisabled(open, budget);
    let before: AccessSnapshot | undefined;
    // Each round checks the budget before each call: a cancelled or expired attempt stops here,
    // between rounds, instead of writing after Temporal gave up on it.
    for (let round = 1; ; round++) {
      const policy = await this.policy(budget);
      const has = hasPublicInvoker(policy);
      before ??= { allUsersInvoker: has, invokerIamDisabled: false };
      if (has === open) {
        return {
          changed: false,
          before,
          summary: `${this.resource}: allUsers ${open ? 'already has' : 'already lacks'} ${INVOKER_ROLE} (${want})`,
        };
      }
      const bindings = withPublicInvoker(policy, open);
      const conditional = bindings.some((b) => b.condition?.expression);
      try {
        await this.call(
          {
            what: 'Cloud Run setIamPolicy',
            permission: 'run.services.setIamPolicy',
            role: 'roles/run.admin',
            write: true,
            ...(open && { refine: memberDomainsRefusal(this.resource) }),
          },
          budget,
          (options) =>
            this.client.setIamPolicy(
              {
                resource: this.resource,
                policy: { ...policy, bindings, version: conditional ? 3 : (policy.version ?? 1), etag: policy.etag },
              },
              options,
            ),
        );
      } catch (err) {
        if (err instanceof ProviderError && err.kind === 'conflict' && round < this.conflictRetries) continue;
        throw err;
      }
      return {
        changed: true,
        before,
        summary: `${verb}: ${open ? 'added allUsers to' : 'removed allUsers from'} ${INVOKER_ROLE} on ${this.resource}${round > 1 ? ` (after ${round - 1} etag conflict(s))` : ''}`,
      };
    }
  }

  /** A service whose invoker IAM check is off is public whatever IAM says: it can be opened, never closed. */
  private async withCheckDisabled(open: boolean, budget?: CallBudget): Promise<Change> {
    const before: AccessSnapshot = {
      allUsersInvoker: hasPublicInvoker(await this.policy(budget)),
      invokerIamDisabled: true,
    };
    if (open) {
      return {
        changed: false,
        before,
        summary: `${this.resource} has its invoker IAM check disabled: it is public already; IAM left unchanged`,
      };
    }
    throw new ProviderError(
      'unsupported',
      `${this.resource} has its invoker IAM check disabled (invokerIamDisabled: true): anyone can invoke it, and removing allUsers from ${INVOKER_ROLE} would not close it. Re-enable the check (gcloud run services update --invoker-iam-check) or use standby.access.type "always-open".`,
    );
  }
}

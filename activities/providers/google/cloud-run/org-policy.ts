// Domain-restricted sharing (the organization policy constraint iam.allowedPolicyMemberDomains)
// refuses allUsers in any IAM policy, so the standby can never be opened through IAM: named as
// such, not retried, with the way out, instead of a generic "invalid request".
import { ProviderError } from '../../../errors.ts';
import type { GaxErrorShape } from '../errors.ts';

export const MEMBER_DOMAINS_CONSTRAINT = 'constraints/iam.allowedPolicyMemberDomains';

/** google.rpc.Code FAILED_PRECONDITION (HTTP 400), what setIamPolicy answers. */
const FAILED_PRECONDITION = 9;

/** Whether the error is the constraint's refusal: its PreconditionFailure violation, or its words. */
export function refusedByMemberDomains(err: GaxErrorShape): boolean {
  const violations = (err.statusDetails ?? []).flatMap(
    (d) => (d as { violations?: Array<{ type?: unknown }> } | null)?.violations ?? [],
  );
  return (
    violations.some((v) => v.type === MEMBER_DOMAINS_CONSTRAINT) ||
    (err.code === FAILED_PRECONDITION && /do not belong to a permitted customer/i.test(err.message))
  );
}

/** The `refine` of a setIamPolicy that adds allUsers to `resource`. */
export function memberDomainsRefusal(resource: string) {
  return (err: GaxErrorShape): ProviderError | undefined =>
    refusedByMemberDomains(err)
      ? new ProviderError(
          'invalid_config',
          `Cloud Run setIamPolicy on ${resource}: refused by the organization policy ${MEMBER_DOMAINS_CONSTRAINT} (domain-restricted sharing), which allows no allUsers in any IAM policy, so the standby cannot be opened through IAM and retrying cannot help. Either have an organization policy administrator exempt the standby's project from the constraint, or make the standby public all the time (deploy it with --no-invoker-iam-check, which needs no allUsers binding) and set standby.access to { type: always-open }, so that only the traffic switch moves users (${err.message.replace(/\s+/g, ' ').trim()})`,
        )
      : undefined;
}

// The orchestrator's identity as the simulated Google APIs see it: the roles it holds and where,
// each role's permissions, and every permission check made (what the least-privilege test reads).
// A call outside its roles gets the API's own 403. Also the one organization policy that matters
// here: domain-restricted sharing, which refuses allUsers in an IAM policy.
import { GoogleApiError } from './http.ts';
import type { CloudState } from './state.ts';

/**
 * Predefined roles, with only the permissions that matter here, as Google's role reference
 * (IAM → Roles and permissions, per product) lists them. `run.admin` holds `run.*`; the
 * developer role has no `run.services.setIamPolicy`; the viewer only reads.
 */
export const PREDEFINED_ROLES: Readonly<Record<string, readonly string[]>> = {
  'roles/run.admin': [
    'run.services.create',
    'run.services.delete',
    'run.services.get',
    'run.services.getIamPolicy',
    'run.services.list',
    'run.services.setIamPolicy',
    'run.services.update',
    'run.operations.get',
    'run.routes.invoke',
  ],
  'roles/run.developer': [
    'run.services.create',
    'run.services.delete',
    'run.services.get',
    'run.services.getIamPolicy',
    'run.services.list',
    'run.services.update',
    'run.operations.get',
  ],
  'roles/run.viewer': ['run.services.get', 'run.services.getIamPolicy', 'run.services.list', 'run.operations.get'],
  'roles/run.invoker': ['run.routes.invoke'],
  'roles/monitoring.alertPolicyEditor': [
    'monitoring.alertPolicies.create',
    'monitoring.alertPolicies.delete',
    'monitoring.alertPolicies.get',
    'monitoring.alertPolicies.list',
    'monitoring.alertPolicies.update',
  ],
  'roles/monitoring.alertPolicyViewer': ['monitoring.alertPolicies.get', 'monitoring.alertPolicies.list'],
  'roles/compute.loadBalancerAdmin': [
    'compute.backendServices.create',
    'compute.backendServices.delete',
    'compute.backendServices.get',
    'compute.backendServices.list',
    'compute.backendServices.update',
    'compute.backendServices.use',
    'compute.globalOperations.get',
    'compute.globalOperations.list',
    'compute.urlMaps.create',
    'compute.urlMaps.delete',
    'compute.urlMaps.get',
    'compute.urlMaps.list',
    'compute.urlMaps.update',
    'compute.urlMaps.use',
    'compute.urlMaps.validate',
  ],
};

/** The custom roles docs/production.md defines (`gcloud iam roles create <id> --permissions=…`). */
export const CUSTOM_ROLES: Readonly<Record<string, readonly string[]>> = {
  failoverStandbyAccess: ['run.services.get', 'run.services.getIamPolicy', 'run.services.setIamPolicy'],
  failoverAlertToggle: ['monitoring.alertPolicies.get', 'monitoring.alertPolicies.update'],
  failoverTrafficSwitch: [
    'compute.urlMaps.get',
    'compute.urlMaps.update',
    'compute.backendServices.use',
    'compute.globalOperations.get',
  ],
  // Only for a site with standby.warmup (granted on the project: Cloud Run operations have no IAM of their own).
  failoverStandbyWarmup: ['run.services.get', 'run.services.update', 'run.operations.get'],
};

/** A role held by the identity; `on`: the resource it is granted on (or an ancestor, e.g. `projects/p`); omitted: everywhere. */
export interface IamGrant {
  /** `roles/…` (predefined) or `projects/<project>/roles/<id>` (custom, any project here). */
  role: string;
  on?: string;
}

/**
 * What the documented set-up grants (docs/production.md, its role table): the default world. The
 * warm-up's role (failoverStandbyWarmup) is not among them: only a site with standby.warmup needs it.
 */
export const DOCUMENTED_GRANTS: readonly IamGrant[] = [
  { role: 'projects/$PROJECT/roles/failoverStandbyAccess' },
  { role: 'projects/$PROJECT/roles/failoverAlertToggle' },
  { role: 'projects/$PROJECT/roles/failoverTrafficSwitch' },
];

/** One permission check, as the simulated services made it. */
export interface PermissionCheck {
  system: 'google' | 'cloudflare';
  permission: string;
  resource: string;
  granted: boolean;
}

export interface IamInfo {
  grants: IamGrant[];
  /** Permissions taken away whatever the roles say. */
  revoked: string[];
  /** constraints/iam.allowedPolicyMemberDomains enforced: allUsers is refused in IAM policies. */
  restrictMemberDomains: boolean;
  checks: PermissionCheck[];
}

/** A change to the identity (the control API): each field present replaces or adds. */
export interface IamChange {
  /** Back to the documented grants, nothing revoked, no org policy (applied first). */
  reset?: boolean;
  grants?: IamGrant[];
  /** Removes every grant of these roles. */
  revokeRoles?: string[];
  /** Denies these permissions whatever the roles say. */
  revokePermissions?: string[];
  restrictMemberDomains?: boolean;
  /** Forgets the checks recorded so far. */
  clearChecks?: boolean;
}

/** The permissions of a role, predefined or custom; undefined for a role this simulator does not know. */
export function permissionsOfRole(role: string): readonly string[] | undefined {
  const custom = /^projects\/[^/]+\/roles\/([^/]+)$/.exec(role);
  return custom ? CUSTOM_ROLES[custom[1]!] : PREDEFINED_ROLES[role];
}

const MAX_CHECKS = 20_000;

const covers = (on: string | undefined, resource: string) =>
  on === undefined || resource === on || resource.startsWith(`${on}/`);

export class Iam {
  grants: IamGrant[] = DOCUMENTED_GRANTS.map((g) => ({ ...g }));
  readonly revoked = new Set<string>();
  restrictMemberDomains = false;
  readonly checks: PermissionCheck[] = [];

  /** Whether the identity holds `permission` on `resource`; the check is recorded. */
  allows(permission: string, resource: string): boolean {
    const granted = this.holds(permission, resource);
    this.record({ system: 'google', permission, resource, granted });
    return granted;
  }

  /** Whether the identity holds `permission` on `resource`, unrecorded (testIamPermissions). */
  holds(permission: string, resource: string): boolean {
    return (
      !this.revoked.has(permission) &&
      this.grants.some((g) => covers(g.on, resource) && (permissionsOfRole(g.role) ?? []).includes(permission))
    );
  }

  /** Keeps a check (the latest MAX_CHECKS: a demo or drill runs for hours). */
  record(check: PermissionCheck): void {
    if (this.checks.length >= MAX_CHECKS) this.checks.splice(0, MAX_CHECKS / 2);
    this.checks.push(check);
  }

  /** Throws the Google APIs' 403 when the identity lacks `permission` on `resource`. */
  require(permission: string, resource: string): void {
    if (!this.allows(permission, resource)) throw permissionDenied(permission, resource);
  }

  change(c: IamChange): void {
    for (const g of c.grants ?? []) {
      if (!permissionsOfRole(g.role)) throw new Error(`the simulator does not know the role ${g.role}`);
    }
    if (c.reset) {
      this.grants = DOCUMENTED_GRANTS.map((g) => ({ ...g }));
      this.revoked.clear();
      this.restrictMemberDomains = false;
    }
    if (c.grants) this.grants = c.grants.map((g) => ({ ...g }));
    if (c.revokeRoles) this.grants = this.grants.filter((g) => !c.revokeRoles!.includes(g.role));
    for (const p of c.revokePermissions ?? []) this.revoked.add(p);
    if (c.restrictMemberDomains !== undefined) this.restrictMemberDomains = c.restrictMemberDomains;
    if (c.clearChecks) this.checks.length = 0;
  }

  info(): IamInfo {
    return {
      grants: this.grants.map((g) => ({ ...g })),
      revoked: [...this.revoked],
      restrictMemberDomains: this.restrictMemberDomains,
      checks: [...this.checks],
    };
  }
}

/** "Permission 'x' denied on resource 'y' (or it may not exist).", with its ErrorInfo, as Google's APIs answer. */
export function permissionDenied(permission: string, resource: string): GoogleApiError {
  return new GoogleApiError(403, `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`, [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'IAM_PERMISSION_DENIED',
      domain: 'iam.googleapis.com',
      metadata: { permission, resource },
    },
  ]);
}

/** Domain-restricted sharing refusing a policy with a public member (the API's words and details). */
export function memberDomainRefusal(member: string): GoogleApiError {
  return new GoogleApiError(
    400,
    'One or more users named in the policy do not belong to a permitted customer, perhaps due to an organization policy.',
    [
      {
        '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
        violations: [
          {
            type: 'constraints/iam.allowedPolicyMemberDomains',
            subject: member,
            description: 'User is not in permitted organization.',
          },
        ],
      },
    ],
    'FAILED_PRECONDITION',
  );
}

const IAM = new WeakMap<CloudState, Iam>();

/** The identity of a simulated cloud, made on first use with the documented grants. */
export function iamOf(state: CloudState): Iam {
  let iam = IAM.get(state);
  if (!iam) IAM.set(state, (iam = new Iam()));
  return iam;
}

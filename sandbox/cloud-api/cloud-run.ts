// Cloud Run Admin API v2, the part the standby-access step uses: GET a service, and its IAM
// policy (getIamPolicy / setIamPolicy with etags), in the JSON the REST transport of
// @google-cloud/run sends and expects. The service-level scaling (PATCH with an update mask, a
// long-running operation) is in cloud-run-scaling.ts.
import { googleDialect, type SimulatedApi } from './api-module.ts';
import { GoogleApiError, isRecord, type ApiRequest, type ApiResponse, type Route } from './http.ts';
import { iamOf, memberDomainRefusal } from './iam.ts';
import { scalingRoute } from './cloud-run-scaling.ts';
import { testIamPermissions } from './test-iam-permissions.ts';
import { sortedBindings, type CloudState, type RunService } from './state.ts';
import type { FaultRule, IamBinding } from './types.ts';

const SERVICE =
  /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/:]+)(?::(getIamPolicy|setIamPolicy|testIamPermissions))?$/;

const MEMBER =
  /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|deleted:user|deleted:serviceAccount|deleted:group):.+|principal(Set)?:\/\/.+)$/;

export function semantic(svc: RunService | undefined): unknown {
  if (!svc) return null;
  return {
    invokerIamDisabled: svc.invokerIamDisabled,
    bindings: sortedBindings(svc.bindings),
    ...(svc.minInstanceCount > 0 && { minInstanceCount: svc.minInstanceCount }),
  };
}

function policyJson(state: CloudState, svc: RunService): Record<string, unknown> {
  return { version: svc.policyVersion, etag: state.etagOf(svc), bindings: structuredClone(svc.bindings) };
}

export function serviceJson(state: CloudState, svc: RunService): Record<string, unknown> {
  return {
    name: svc.name,
    uid: svc.uid,
    generation: String(svc.generation),
    createTime: svc.createTime,
    updateTime: svc.updateTime,
    creator: 'sandbox@example.test',
    lastModifier: 'sandbox@example.test',
    ingress: 'INGRESS_TRAFFIC_ALL',
    launchStage: 'GA',
    template: {
      containers: [
        { image: 'us-docker.pkg.dev/cloudrun/container/hello', ports: [{ name: 'http1', containerPort: 8080 }] },
      ],
    },
    invokerIamDisabled: svc.invokerIamDisabled,
    // proto3 JSON leaves out a zero: an unset minimum is absent, as the real API answers it.
    ...(svc.minInstanceCount > 0 && { scaling: { minInstanceCount: svc.minInstanceCount } }),
    latestReadyRevision: `${svc.name}/revisions/${svc.revision}`,
    latestCreatedRevision: `${svc.name}/revisions/${svc.revision}`,
    uri: svc.uri,
    urls: [svc.uri],
    observedGeneration: String(svc.generation),
    terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: svc.updateTime },
    reconciling: false,
    etag: `"${state.etagOf(svc)}"`,
  };
}

export function notFound(name: string): GoogleApiError {
  const [, project, region, service] = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/(.+)$/.exec(name) ?? [];
  return new GoogleApiError(
    404,
    `Resource '${service}' of kind 'SERVICE' in region '${region}' in project '${project}' does not exist.`,
  );
}

function parseBindings(raw: unknown): IamBinding[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new GoogleApiError(400, 'Invalid JSON payload received. policy.bindings: expected a list.');
  return raw.map((b, i) => {
    if (!isRecord(b) || typeof b.role !== 'string' || !b.role.startsWith('roles/')) {
      throw new GoogleApiError(400, `policy.bindings[${i}].role: a role name like roles/run.invoker is required.`);
    }
    const members = Array.isArray(b.members) ? b.members.map(String) : [];
    for (const m of members) if (!MEMBER.test(m)) throw new GoogleApiError(400, `Invalid principal: ${m}`);
    const binding: IamBinding = { role: b.role, members };
    if (isRecord(b.condition) && typeof b.condition.expression === 'string') {
      binding.condition = { expression: b.condition.expression };
      if (typeof b.condition.title === 'string' && b.condition.title) binding.condition.title = b.condition.title;
      if (typeof b.condition.description === 'string' && b.condition.description)
        binding.condition.description = b.condition.description;
    }
    return binding;
  });
}

export function cloudRunRoute(state: CloudState, method: string, path: string): Route | undefined {
  const scaling = scalingRoute(state, method, decodeURIComponent(path));
  if (scaling) return scaling;
  const m = SERVICE.exec(decodeURIComponent(path));
  if (!m) return undefined;
  const name = m[1]!;
  const verb = m[2];
  const svc = () => {
    const s = state.service(name);
    if (!s) throw notFound(name);
    return s;
  };
  const base = { api: 'run' as const, resource: name, state: () => semantic(state.service(name)) };

  if (!verb && method === 'GET') {
    return {
      ...base,
      op: 'getService',
      mutating: false,
      permission: 'run.services.get',
      handle: () => ({ status: 200, body: serviceJson(state, svc()) }),
    };
  }
  if (verb === 'getIamPolicy' && method === 'GET') {
    return {
      ...base,
      op: 'getIamPolicy',
      mutating: false,
      permission: 'run.services.getIamPolicy',
      handle: (req: ApiRequest): ApiResponse => {
        const s = svc();
        const requested = Number(req.url.searchParams.get('options.requestedPolicyVersion') ?? 0);
        if (s.policyVersion === 3 && requested < 3) {
          throw new GoogleApiError(
            400,
            'The policy has conditional role bindings; request policy version 3 (options.requestedPolicyVersion) to read it.',
          );
        }
        return { status: 200, body: policyJson(state, s) };
      },
    };
  }
  if (verb === 'setIamPolicy' && method === 'POST') {
    return {
      ...base,
      op: 'setIamPolicy',
      mutating: true,
      permission: 'run.services.setIamPolicy',
      handle: (req: ApiRequest): ApiResponse => {
        const s = svc();
        if (!isRecord(req.body) || !isRecord(req.body.policy))
          throw new GoogleApiError(400, 'Invalid JSON payload received. Required field "policy" is missing.');
        const policy = req.body.policy;
        if (typeof policy.etag === 'string' && policy.etag !== state.etagOf(s)) {
          throw new GoogleApiError(
            409,
            'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
          );
        }
        const bindings = parseBindings(policy.bindings).filter((b) => b.members.length > 0);
        // Domain-restricted sharing checks every member of the policy written, not only new ones.
        const outside = bindings
          .flatMap((b) => b.members)
          .find((m) => m === 'allUsers' || m === 'allAuthenticatedUsers');
        if (outside && iamOf(state).restrictMemberDomains) throw memberDomainRefusal(outside);
        const version = typeof policy.version === 'number' ? policy.version : 1;
        if (bindings.some((b) => b.condition) && version < 3) {
          throw new GoogleApiError(400, 'Policy version must be 3 for a policy with conditional role bindings.');
        }
        state.writeBindings(s, bindings, Math.max(version, bindings.some((b) => b.condition) ? 3 : 1));
        return { status: 200, body: policyJson(state, s) };
      },
    };
  }
  if (verb === 'testIamPermissions' && method === 'POST') {
    return {
      ...base,
      op: 'testIamPermissions',
      mutating: false,
      permission: '',
      handle: (req: ApiRequest): ApiResponse => (svc(), testIamPermissions(iamOf(state), name, req, 'run')),
    };
  }
  return {
    ...base,
    op: verb ?? 'service',
    mutating: method !== 'GET',
    permission: 'run.services.get',
    handle: () => {
      throw new GoogleApiError(501, `${method} ${path} is not simulated.`);
    },
  };
}

/** Another writer edits the policy between the caller's read and write (its etag goes stale). */
function concurrentIamEdit(state: CloudState, route: Route, fault: FaultRule) {
  if (route.op !== 'setIamPolicy') return undefined;
  const svc = state.service(route.resource);
  if (!svc) return undefined;
  const binding = fault.concurrentBinding;
  const bindings = structuredClone(svc.bindings);
  if (binding) {
    const b = bindings.find((x) => x.role === binding.role && !x.condition);
    if (b) {
      if (!b.members.includes(binding.member)) b.members.push(binding.member);
    } else bindings.push({ role: binding.role, members: [binding.member] });
  }
  state.writeBindings(svc, bindings);
  return { path: `/v2/${route.resource}:setIamPolicy`, after: binding ? { added: binding } : { etag: 'bumped' } };
}

export const cloudRunApi = {
  name: 'run',
  prefix: '/v2/',
  dialect: googleDialect('run.googleapis.com'),
  route: cloudRunRoute,
  concurrentEdit: concurrentIamEdit,
} as const satisfies SimulatedApi;

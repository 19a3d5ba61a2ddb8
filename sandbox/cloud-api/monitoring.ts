// Cloud Monitoring API v3 alert policies: GET, and PATCH with an updateMask (without one, the
// body replaces the whole policy, as the real API does), in the JSON of the REST transport.
import { googleDialect, type SimulatedApi } from './api-module.ts';
import { GoogleApiError, isRecord, type ApiRequest, type ApiResponse, type Route } from './http.ts';
import type { CloudState, Json } from './state.ts';

const POLICY = /^\/v3\/(projects\/[^/]+\/alertPolicies\/[^/]+)$/;

/** Update-mask paths (snake_case or camelCase) → the JSON field they name. */
const MASKABLE: Record<string, string> = {
  enabled: 'enabled',
  display_name: 'displayName',
  displayName: 'displayName',
  documentation: 'documentation',
  user_labels: 'userLabels',
  userLabels: 'userLabels',
  conditions: 'conditions',
  combiner: 'combiner',
  notification_channels: 'notificationChannels',
  notificationChannels: 'notificationChannels',
  alert_strategy: 'alertStrategy',
  alertStrategy: 'alertStrategy',
  severity: 'severity',
};

const READ_ONLY = new Set(['name', 'creationRecord', 'mutationRecord']);

/** BoolValue arrives as a plain JSON boolean (proto3 JSON); tolerate the wrapped form too. */
function normalize(field: string, value: unknown): unknown {
  if (field === 'enabled' && isRecord(value)) return Boolean(value.value);
  return value;
}

export function monitoringRoute(state: CloudState, method: string, path: string): Route | undefined {
  const m = POLICY.exec(decodeURIComponent(path));
  if (!m) return undefined;
  const name = m[1]!;
  const policy = (): Json => {
    const p = state.alertPolicies.get(name);
    if (!p) throw new GoogleApiError(404, `Requested entity was not found.`);
    return p;
  };
  const base = {
    api: 'monitoring' as const,
    resource: name,
    state: () => {
      const p = state.alertPolicies.get(name);
      if (!p) return null;
      const { mutationRecord: _m, ...rest } = p;
      return structuredClone(rest);
    },
  };
  if (method === 'GET') {
    return {
      ...base,
      op: 'getAlertPolicy',
      mutating: false,
      permission: 'monitoring.alertPolicies.get',
      handle: () => ({ status: 200, body: policy() }),
    };
  }
  if (method === 'PATCH') {
    return {
      ...base,
      op: 'updateAlertPolicy',
      mutating: true,
      permission: 'monitoring.alertPolicies.update',
      handle: (req: ApiRequest): ApiResponse => {
        const current = policy();
        if (!isRecord(req.body))
          throw new GoogleApiError(400, 'Invalid JSON payload received: alert_policy is required.');
        const body = req.body;
        const mask = (req.url.searchParams.get('updateMask') ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const next: Json = { ...current };
        if (mask.length > 0) {
          for (const p of mask) {
            const field = MASKABLE[p];
            if (!field) throw new GoogleApiError(400, `Invalid update mask path "${p}" for an AlertPolicy.`);
            if (body[field] === undefined) delete next[field];
            else next[field] = normalize(field, body[field]);
          }
        } else {
          // No mask: the supplied policy replaces the stored one.
          for (const k of Object.keys(next)) if (!READ_ONLY.has(k)) delete next[k];
          for (const [k, v] of Object.entries(body)) if (!READ_ONLY.has(k)) next[k] = normalize(k, v);
          if (!Array.isArray(next.conditions) || next.conditions.length === 0) {
            throw new GoogleApiError(
              400,
              'Field alert_policy.conditions had an invalid value: an alert policy needs at least one condition.',
            );
          }
          next.enabled ??= true;
        }
        next.mutationRecord = { mutateTime: state.now(), mutatedBy: 'sandbox-caller@example.test' };
        state.alertPolicies.set(name, next);
        return { status: 200, body: next };
      },
    };
  }
  return {
    ...base,
    op: 'alertPolicy',
    mutating: true,
    permission: 'monitoring.alertPolicies.update',
    handle: () => {
      throw new GoogleApiError(501, `${method} ${path} is not simulated.`);
    },
  };
}

export const monitoringApi = {
  name: 'monitoring',
  prefix: '/v3/',
  dialect: googleDialect('monitoring.googleapis.com'),
  route: monitoringRoute,
} as const satisfies SimulatedApi;

// Test data: Cloud Monitoring incident notifications, as the tests, the drill's uptime checker and
// the benchmarks publish them (starters/bridge/alert-message.ts parses them).

/** A schema 1.2 (or test) notification in the real format, as Cloud Monitoring publishes it to a Pub/Sub channel. */
export function notification(fields: {
  incidentId: string;
  state: 'open' | 'closed';
  site?: string;
  siteLabel?: string;
  policyName?: string;
  version?: string;
  startedAt?: number;
  endedAt?: number | null;
  summary?: string;
  /** The uptime check's host. */
  host?: string;
}): Record<string, unknown> {
  const startedAt = fields.startedAt ?? Math.floor(Date.now() / 1000);
  return {
    version: fields.version ?? '1.2',
    incident: {
      incident_id: fields.incidentId,
      scoping_project_id: 'sandbox',
      scoping_project_number: 1,
      url: `https://console.cloud.google.com/monitoring/alerting/incidents/${fields.incidentId}?project=sandbox`,
      severity: 'Critical',
      started_at: startedAt,
      ended_at: fields.state === 'closed' ? (fields.endedAt ?? Math.floor(Date.now() / 1000)) : null,
      state: fields.version === 'test' ? fields.state.toUpperCase() : fields.state,
      summary: fields.summary ?? `Uptime check for ${fields.site ?? 'the site'} is failing.`,
      resource: { type: 'uptime_url', labels: { host: fields.host ?? 'home.example.test', project_id: 'sandbox' } },
      resource_type_display_name: 'Uptime Check URL',
      metric: { type: 'monitoring.googleapis.com/uptime_check/check_passed', displayName: 'Check passed', labels: {} },
      metadata: { system_labels: {}, user_labels: {} },
      policy_name: fields.policyName ?? `uptime ${fields.site ?? 'site'}`,
      policy_user_labels: fields.site ? { [fields.siteLabel ?? 'failover_site']: fields.site } : {},
      condition: { name: 'projects/sandbox/alertPolicies/1/conditions/2', displayName: 'Uptime check failing' },
      condition_name: 'Uptime check failing',
      threshold_value: '1',
      observed_value: '0',
    },
  };
}

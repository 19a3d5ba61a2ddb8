// A simulated Cloud Monitoring uptime check and alert policy, for drills of the Monitoring path:
// the check runs every `periodMs` (Cloud Monitoring: 1, 5, 10 or 15 min) against the primary;
// the condition "check_passed is false for `durationMs`" opens an incident once the failing
// checks span the duration (with a 60 s period and a 60 s duration: the 2nd consecutive failing
// check); the notification reaches the channel `alertDelayMs` later (alerting pipeline latency),
// as a schema 1.2 incident message. The first passing check closes the incident the same way.
//
// `publish` sends it on: to the Pub/Sub emulator's topic (then the real bridge process signals
// the incident), or straight to Temporal as the bridge would.

export interface UptimeCheckerOptions {
  site: string;
  url: string;
  marker?: string;
  periodMs: number;
  durationMs: number;
  alertDelayMs: number;
  timeoutMs?: number;
  publish: (message: Record<string, unknown>) => Promise<void>;
  onEvent: (at: number, label: string, kind: 'detect' | 'note') => void;
  policyName?: string;
}

export interface UptimeChecker {
  stop(): void;
}

/** The schema 1.2 notification Cloud Monitoring publishes to a Pub/Sub channel. */
export function incidentNotification(f: {
  incidentId: string;
  state: 'open' | 'closed';
  site: string;
  startedAt: number;
  endedAt?: number;
  policyName: string;
  url: string;
}): Record<string, unknown> {
  return {
    version: '1.2',
    incident: {
      incident_id: f.incidentId,
      scoping_project_id: 'sandbox-project',
      scoping_project_number: 1,
      url: `https://console.cloud.google.com/monitoring/alerting/incidents/${f.incidentId}?project=sandbox-project`,
      severity: 'Critical',
      started_at: Math.floor(f.startedAt / 1000),
      ended_at: f.state === 'closed' ? Math.floor((f.endedAt ?? Date.now()) / 1000) : null,
      state: f.state,
      summary: `Uptime check for ${f.site} is failing.`,
      resource: { type: 'uptime_url', labels: { host: new URL(f.url).host, project_id: 'sandbox-project' } },
      resource_type_display_name: 'Uptime Check URL',
      metric: { type: 'monitoring.googleapis.com/uptime_check/check_passed', displayName: 'Check passed', labels: {} },
      metadata: { system_labels: {}, user_labels: {} },
      policy_name: f.policyName,
      policy_user_labels: { failover_site: f.site },
      condition: { name: 'projects/sandbox-project/alertPolicies/1/conditions/1', displayName: 'Uptime check failed' },
      condition_name: 'Uptime check failed',
      threshold_value: '1',
      observed_value: '0',
    },
  };
}

export function startUptimeChecker(o: UptimeCheckerOptions): UptimeChecker {
  const failingNeeded = Math.floor(o.durationMs / o.periodMs) + 1;
  let failing = 0;
  let firstFailAt = 0;
  let open: { id: string; startedAt: number } | undefined;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => (timers.delete(t), f()), ms);
    timers.add(t);
  };
  const policyName = o.policyName ?? `${o.site} is down`;

  async function check(): Promise<void> {
    const at = Date.now();
    let passed: boolean;
    try {
      const res = await fetch(o.url, { signal: AbortSignal.timeout(o.timeoutMs ?? 10_000), redirect: 'manual' });
      const body = await res.text();
      passed = res.ok && (!o.marker || body.includes(o.marker));
    } catch {
      passed = false;
    }
    if (stopped) return;
    if (!passed) {
      if (failing++ === 0) firstFailAt = at;
      o.onEvent(at, `uptime check failed (${failing}/${failingNeeded})`, 'note');
      if (failing === failingNeeded && !open) {
        const incident = { id: `0.uptime-${o.site}-${at}`, startedAt: firstFailAt };
        open = incident;
        o.onEvent(at, 'alert condition met (Cloud Monitoring incident opened)', 'detect');
        later(o.alertDelayMs, () => {
          const msg = incidentNotification({
            incidentId: incident.id,
            state: 'open',
            site: o.site,
            startedAt: incident.startedAt,
            policyName,
            url: o.url,
          });
          o.onEvent(Date.now(), 'alert notification published', 'detect');
          void o.publish(msg).catch((err: unknown) => o.onEvent(Date.now(), `publish failed: ${String(err)}`, 'note'));
        });
      }
    } else {
      failing = 0;
      if (open) {
        const incident = open;
        open = undefined;
        o.onEvent(at, 'uptime check passed: alert condition cleared', 'note');
        later(o.alertDelayMs, () => {
          const msg = incidentNotification({
            incidentId: incident.id,
            state: 'closed',
            site: o.site,
            startedAt: incident.startedAt,
            endedAt: at,
            policyName,
            url: o.url,
          });
          o.onEvent(Date.now(), 'alert closed notification published', 'note');
          void o.publish(msg).catch(() => {});
        });
      }
    }
  }

  const tick = () => {
    if (stopped) return;
    void check();
    later(o.periodMs, tick);
  };
  tick();
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

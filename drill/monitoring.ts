// A simulated Cloud Monitoring uptime check and alert policy, for drills of the Monitoring path:
// the check runs every `periodMs` (Cloud Monitoring: 1, 5, 10 or 15 min) against the primary;
// the condition "check_passed is false for `durationMs`" opens an incident once the failing
// checks span the duration (with a 60 s period and a 60 s duration: the 2nd consecutive failing
// check); the notification reaches the channel `alertDelayMs` later (alerting pipeline latency),
// as a schema 1.2 incident message. The first passing check closes the incident the same way.
//
// `publish` sends it on: to the Pub/Sub emulator's topic (then the real bridge process signals
// the incident), or straight to Temporal as the bridge would.

import { notification } from '../harness/notification.ts';

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
          const msg = notification({
            incidentId: incident.id,
            state: 'open',
            site: o.site,
            startedAt: seconds(incident.startedAt),
            policyName,
            host: new URL(o.url).host,
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
          const msg = notification({
            incidentId: incident.id,
            state: 'closed',
            site: o.site,
            startedAt: seconds(incident.startedAt),
            endedAt: seconds(at),
            policyName,
            host: new URL(o.url).host,
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

const seconds = (ms: number) => Math.floor(ms / 1000);

// What the workflows need of the config, derived in one place: the incident's policy and the
// watcher's (no secrets, no endpoints: these travel in workflow inputs).
import type { CallProfile } from '../activities/providers/descriptor.ts';
import type { IncidentPolicy, LeverStepPolicy } from '../workflows/incident-types.ts';
import type { NotifyPolicy } from '../workflows/notification-types.ts';
import type { ReadinessInput } from '../workflows/readiness-types.ts';
import type { WatchPolicy } from '../workflows/watch-types.ts';
import { leverConfigs, leverProvider } from './levers.ts';
import { ConfigError, siteConfig } from './load.ts';
import type { NotificationsConfig } from './notifications-schema.ts';
import type { Config, SiteConfig } from './schema.ts';

/** The part of a site's config the workflow needs (no secrets, no endpoints); `notifications`: the config's. */
export function incidentPolicy(site: SiteConfig, notifications?: NotificationsConfig): IncidentPolicy {
  const drain = drainAfterFailback(site);
  const levers = leverSteps(site);
  return {
    failback: {
      mode: site.failback.mode,
      holdDownMs: site.failback.holdDown,
      maxAutoAttempts: site.failback.maxAutoAttempts,
      retryBackoffMs: site.failback.retryBackoff,
    },
    ...(site.failover.autoRetries > 0 && {
      failoverRetry: { maxAttempts: site.failover.autoRetries, backoffMs: site.failover.retryBackoff },
    }),
    standbyReadyTimeoutMs: site.probe.standbyReadyTimeout,
    verifyTimeoutMs: site.probe.verifyTimeout,
    primaryCheckTimeoutMs: site.probe.primaryCheckTimeout,
    probeIntervalMs: site.probe.interval,
    probeCheckTimeoutMs: site.probe.timeout * site.probe.attempts,
    confirmOutage: site.probe.confirmOutage,
    ...(drain !== undefined && { drainBeforeCloseMs: drain }),
    ...(Object.keys(levers).length > 0 && { levers }),
    ...(site.standby.warmup && { warmStandby: true }),
    ...(notifications && { notify: notifyPolicy(notifications) }),
  };
}

/** The readiness workflow's input for a site: where a change of its verdict is notified. */
export function readinessInput(config: Config, site: string): ReadinessInput {
  return { site, ...(config.notifications && { notify: notifyPolicy(config.notifications) }) };
}

/** Channel names and bounds only: the URLs stay with the worker. */
export function notifyPolicy(n: NotificationsConfig): NotifyPolicy {
  return {
    channels: Object.keys(n.channels),
    phases: n.phases,
    deliverForMs: n.deliverFor,
    attemptTimeoutMs: n.attemptTimeout,
  };
}

/** A step's bounds from its call profile: every call at its full timeout, plus the margin. */
export function leverStepPolicy(profile: CallProfile): LeverStepPolicy {
  return {
    startToCloseTimeoutMs: profile.calls * profile.callTimeoutMs + (profile.marginMs ?? 5000),
    initialIntervalMs: profile.firstRetryMs,
  };
}

function leverSteps(site: SiteConfig): NonNullable<IncidentPolicy['levers']> {
  const levers: NonNullable<IncidentPolicy['levers']> = {};
  for (const [kind, cfg] of leverConfigs(site)) {
    const profile = leverProvider(kind, cfg).callProfile;
    if (profile) levers[kind] = leverStepPolicy(profile);
  }
  return levers;
}

/** How long the standby stays open after failing back, for answers cached elsewhere (DNS). */
function drainAfterFailback(site: SiteConfig): number | undefined {
  let drain: number | undefined;
  for (const [kind, cfg] of leverConfigs(site)) {
    const ms = leverProvider(kind, cfg).drainAfterFailbackMs?.(cfg as never);
    if (ms !== undefined) drain = Math.max(drain ?? 0, ms);
  }
  return drain;
}

/** Each watcher location's probes run on workers polling this task queue. */
export function watchTaskQueue(taskQueue: string, location: string): string {
  return `${taskQueue}-watch-${location}`;
}

export function watchedSites(config: Config): string[] {
  if (!config.watcher) return [];
  return config.watcher.sites ?? Object.keys(config.sites);
}

export interface WatchTuning {
  /** A probe activity returns at least this often (default 10 min). */
  maxProbeRunMs?: number;
  /** Continue-as-new past this many events (default 2000). */
  historyLimit?: number;
}

export function watchPolicy(config: Config, site: string, taskQueue: string, tuning: WatchTuning = {}): WatchPolicy {
  const w = config.watcher;
  if (!w) throw new ConfigError('watcher', ['the config has no "watcher" section']);
  const probeTimeout = siteConfig(config, site).probe.timeout;
  return {
    intervalMs: w.interval,
    timeoutMs: w.timeout ?? Math.max(100, Math.min(w.interval, probeTimeout)),
    failuresToTrigger: w.failuresToTrigger,
    successesToRecover: w.successesToRecover,
    locations: w.locations.map((name) => ({ name, taskQueue: watchTaskQueue(taskQueue, name) })),
    quorum: w.quorum,
    taskQueue,
    maxProbeRunMs: tuning.maxProbeRunMs ?? 10 * 60_000,
    historyLimit: tuning.historyLimit ?? 2000,
  };
}

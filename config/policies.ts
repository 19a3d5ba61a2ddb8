// What the workflows need of the config, derived in one place: the incident's policy and the
// watcher's (no secrets, no endpoints: these travel in workflow inputs).
import type { IncidentPolicy } from '../workflows/incident-types.ts';
import type { WatchPolicy } from '../workflows/watch-types.ts';
import { ConfigError, siteConfig } from './load.ts';
import type { Config, SiteConfig } from './schema.ts';

/** The part of a site's config the workflow needs (no secrets, no endpoints). */
export function incidentPolicy(site: SiteConfig): IncidentPolicy {
  return {
    failback: {
      mode: site.failback.mode,
      holdDownMs: site.failback.holdDown,
      maxAutoAttempts: site.failback.maxAutoAttempts,
      retryBackoffMs: site.failback.retryBackoff,
    },
    standbyReadyTimeoutMs: site.probe.standbyReadyTimeout,
    verifyTimeoutMs: site.probe.verifyTimeout,
    primaryCheckTimeoutMs: site.probe.primaryCheckTimeout,
    probeIntervalMs: site.probe.interval,
    probeCheckTimeoutMs: site.probe.timeout * site.probe.attempts,
    confirmOutage: site.probe.confirmOutage,
    ...(site.traffic.type === 'cloudflare-dns' && {
      drainBeforeCloseMs: site.traffic.drainAfterFailback ?? dnsDrainMs(site.traffic.ttl),
    }),
  };
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

/**
 * How long resolvers may still send users to the standby after the record points back: the TTL
 * (1 means Cloudflare's automatic 300 s), plus a margin for resolvers that round up.
 */
export function dnsDrainMs(ttlSeconds: number): number {
  const ttl = ttlSeconds === 1 ? 300 : ttlSeconds;
  return Math.round(ttl * 1000 * 1.1) + 5000;
}

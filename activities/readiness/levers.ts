// Checks (a) and (c) of docs/readiness.md through each lever's own read: the provider answers
// with the orchestrator's credentials and the resource exists (reachable), and the world is in
// the idle position (idle_position), the warmed standby's minimum instances included (a warning:
// it costs, it does not stop a failover). A drift is reported, never corrected.
import { ProviderError } from '../errors.ts';
import type { Lever, SiteProviders } from '../providers/types.ts';
import type { Snapshot } from '../../workflows/types.ts';
import type { CheckStatus, ReadinessCheck } from '../../workflows/readiness-types.ts';
import { errorMessage } from '../../workflows/error-text.ts';
import type { ReadinessTarget } from './target.ts';

const FIX: Record<string, string> = {
  permission:
    "grant the worker's identity the role docs/production.md names for this lever (or fix CLOUDFLARE_API_TOKEN)",
  not_found: "the resource is gone or the config names the wrong one: recreate it, or correct the site's config",
  invalid_config: "correct the site's config",
};

interface Idle<P extends string> {
  lever: Lever<P>;
  /** The idle position, as the ok check names it. */
  idle: string;
  /** Whether a snapshot is idle; default: the lever is at `idle`. */
  isIdle?: (s: Snapshot) => boolean;
  /** What the drift means and what to do, when the lever is not idle. */
  drift: string;
  fix: string;
  /** How bad a drift is; default fail. */
  status?: CheckStatus;
}

async function one<P extends string>(i: Idle<P>, alwaysIdle = false): Promise<ReadinessCheck[]> {
  const subject = i.lever.resource;
  let snapshot;
  try {
    snapshot = await i.lever.read();
  } catch (err) {
    const kind = err instanceof ProviderError ? err.kind : 'unavailable';
    return [
      {
        check: 'reachable',
        status: 'fail',
        subject,
        reason: errorMessage(err),
        fix: FIX[kind] ?? "the provider did not answer: check its status and the worker's network",
      },
    ];
  }
  const reachable: ReadinessCheck = {
    check: 'reachable',
    status: 'ok',
    subject,
    reason: "read with the worker's credentials",
  };
  const isIdle = i.isIdle ?? ((s: Snapshot) => i.lever.isAt(i.idle as P, s));
  if (alwaysIdle || isIdle(snapshot))
    return [reachable, { check: 'idle_position', status: 'ok', subject, reason: `${i.idle}` }];
  return [
    reachable,
    {
      check: 'idle_position',
      status: i.status ?? 'fail',
      subject,
      reason: `${i.drift} (found ${JSON.stringify(snapshot)})`,
      fix: i.fix,
    },
  ];
}

export async function checkLevers(p: SiteProviders, t: ReadinessTarget): Promise<ReadinessCheck[]> {
  const found = await Promise.all([
    one(
      {
        lever: p.standbyAccess,
        idle: 'closed',
        drift: 'the standby is open to anonymous users outside an incident',
        fix: 'if no incident is running, close it (`failover failback` of a stuck incident, or remove allUsers from roles/run.invoker); or set access: { type: always-open } if it is meant to be public',
      },
      t.standbyAlwaysOpen,
    ),
    one({
      lever: p.traffic,
      idle: 'primary',
      drift: 'traffic is switched to the standby outside an incident',
      fix: 'if no incident is running, switch it back (disable the rule, or point the record at the primary) or start a failback',
    }),
    one({
      lever: p.monitor,
      idle: 'enabled',
      drift: 'the alert policy is paused: an outage of the primary would not be noticed',
      fix: 'enable the alert policy again (Cloud Monitoring → Alerting), unless an incident is running',
    }),
    ...(p.warmup ? [warmupIdle(p.warmup)] : []),
  ]);
  return found.flat();
}

/**
 * The warmed standby rests at a service-level minimum of 0 (the setup deploys it so): a higher one
 * outside an incident is a warm-up whose undo did not run, and instances billed for nothing. Read
 * with the warm-up's own read (run.services.get), the same as the incident's warm_standby step.
 */
function warmupIdle(warmup: Lever<'warm'>): Promise<ReadinessCheck[]> {
  return one({
    lever: warmup,
    idle: 'minimum instances 0 (service-level)',
    isIdle: (s) => s.minInstanceCount === 0,
    drift: 'the standby service keeps instances running outside an incident: a warm-up not put back',
    fix: 'if no incident is running (`failover status`), put the service-level minimum back: `gcloud run services update <service> --region <region> --min=0` (--min, not --min-instances: that is the revision-level one); a minimum kept on purpose: leave it (standby.warmup only raises it when lower)',
    status: 'warn',
  });
}

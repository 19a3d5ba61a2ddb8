// The commands that act: start (or dry-run) a failover, fail back, abort what is in flight.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Incidents } from '../../clients/incidents.ts';
import { InMemoryWorld } from '../../activities/providers/in-memory/world.ts';
import { siteConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import {
  abort,
  acknowledge,
  incidentWorkflowId,
  requestFailback,
  retry,
  statusQuery,
} from '../../workflows/incident-messages.ts';
import { ABORTABLE_PHASES, FINAL_PHASES } from '../../workflows/incident-types.ts';
import {
  ACTOR,
  CliError,
  EXIT,
  type GlobalOptions,
  USER,
  configFrom,
  connectIncidents,
  knownSite,
  out,
} from './context.ts';
import { planFailover } from './dry-run.ts';
import { follow } from './follow.ts';
import { seconds, table } from './format.ts';
import { errorMessage } from '../../workflows/error-text.ts';

export async function start(
  opts: GlobalOptions,
  site: string,
  o: { dryRun?: boolean; reason?: string; wait: boolean; timeout: number },
): Promise<void> {
  const config = configFrom(opts);
  knownSite(config, site);
  if (o.dryRun) return dryRun(config, opts, site);
  const incidents = await connectIncidents(config, opts);
  const before = await incidents.lookup(site);
  const alertId = `cli:${USER}:${new Date().toISOString()}`;
  await incidents.trigger(
    site,
    {
      alertId,
      source: 'cli',
      summary: o.reason ?? `started by ${USER} with the failover CLI`,
    },
    before,
  );
  if (before.state === 'running') {
    out(
      `${site}: an incident is already running (${before.phase ?? 'phase unknown'}); the trigger was added to it, no step runs twice`,
    );
    if (before.phase !== 'awaiting_trigger') return;
  } else out(`${site}: incident started (${incidentWorkflowId(site)}), alert ${alertId}`);
  if (!o.wait) return;
  const s = await follow(incidents, site, {
    until: (x) => x.phase === 'on_standby' || x.phase === 'needs_attention' || FINAL_PHASES.includes(x.phase),
    timeoutMs: o.timeout,
  });
  if (s.phase === 'on_standby')
    return out(
      `${site}: on standby after ${seconds((s.onStandbyAt ?? Date.now()) - s.startedAt)}; \`failover failback ${site}\` when the primary is back`,
    );
  const why = s.attention ? `${s.attention.reason} (see \`failover status ${site}\`)` : s.cause;
  throw new CliError(EXIT.endedBadly, `${site}: ${s.phase}${why ? `: ${why}` : ''}`);
}

async function dryRun(config: Config, opts: GlobalOptions, site: string): Promise<void> {
  const cfg = siteConfig(config, site);
  const inMemory = [cfg.standby.access.type, cfg.traffic.type, cfg.monitor.type].includes('in-memory');
  // Loaded only here: the provider SDKs take most of a second to import.
  const { buildRegistry } = await import('../../clients/providers.ts');
  const plan = await planFailover(buildRegistry(config, { world: new InMemoryWorld() }), site, cfg);
  out(`dry run: failover of ${site} (nothing is changed)`);
  if (inMemory) out("note: in-memory providers are read from this process's own fresh world, not the worker's");
  out('');
  const rows = plan.steps.map((p) => [
    p.step,
    p.resource,
    p.current ? JSON.stringify(p.current) : `(${p.error ?? 'unread'})`,
    p.wanted,
    p.verdict,
  ]);
  for (const l of table(rows, ['STEP', 'RESOURCE', 'NOW', 'WANTED', 'VERDICT'])) out(l);
  out('');
  for (const p of plan.probes)
    out(
      `probe ${p.endpoint.padEnd(7)} (as ${p.expect}): ${p.ok === undefined ? 'error' : p.ok ? 'serves' : 'does not serve'}: ${p.detail}`,
    );
  // Would the trigger start an incident or join one? Temporal is optional for a dry run.
  try {
    const l = await (await connectIncidents(config, opts)).lookup(site);
    out('');
    out(
      l.state === 'running'
        ? `a running incident (${l.phase}) would receive the trigger; no step would run twice`
        : 'a new incident would start',
    );
  } catch (e) {
    out('');
    out(`(Temporal not checked: ${errorMessage(e).split('\n')[0]})`);
  }
  if (plan.steps.some((p) => p.verdict === 'cannot read'))
    throw new CliError(EXIT.endedBadly, 'some providers could not be read: a failover would fail there');
}

/** The incidents, once the site is known to have one running (else refused: nothing to `what`). */
async function runningIncident(opts: GlobalOptions, site: string, what: string): Promise<Incidents> {
  const config = configFrom(opts);
  knownSite(config, site);
  const incidents = await connectIncidents(config, opts);
  if ((await incidents.lookup(site)).state !== 'running') {
    throw new CliError(EXIT.refused, `site ${site} has no running incident: nothing to ${what}`);
  }
  return incidents;
}

export async function failback(
  opts: GlobalOptions,
  site: string,
  o: { reason?: string; wait: boolean; timeout: number },
): Promise<void> {
  const incidents = await runningIncident(opts, site, 'fail back');
  const handle = incidents.handle(site);
  const stepsBefore = (await handle.query(statusQuery)).steps.length;
  try {
    await handle.executeUpdate(requestFailback, { args: [{ by: ACTOR, ...(o.reason && { reason: o.reason }) }] });
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError)
      throw new CliError(EXIT.refused, `failback refused: ${errorMessage(e.cause ?? e)}`);
    if (e instanceof WorkflowNotFoundError)
      throw new CliError(EXIT.refused, `site ${site} has no running incident: nothing to fail back`);
    throw e;
  }
  out(`${site}: failback accepted`);
  if (!o.wait) return;
  const s = await follow(incidents, site, {
    skipSteps: stepsBefore,
    timeoutMs: o.timeout,
    until: (x) =>
      FINAL_PHASES.includes(x.phase) ||
      x.phase === 'needs_attention' ||
      (x.phase === 'on_standby' && x.steps.length > stepsBefore && x.steps.every((st) => st.outcome !== 'running')),
  });
  if (s.phase === 'resolved') return out(`${site}: back on the primary, standby closed; incident resolved`);
  if (s.phase === 'needs_attention') {
    throw new CliError(EXIT.endedBadly, `${site}: needs attention: ${s.attention?.reason ?? s.cause ?? ''}`);
  }
  throw new CliError(
    EXIT.endedBadly,
    `${site}: failback did not complete, users stay on the standby: ${s.cause ?? s.phase}`,
  );
}

export async function abortCmd(
  opts: GlobalOptions,
  site: string,
  o: { reason?: string; wait: boolean; timeout: number },
): Promise<void> {
  const incidents = await runningIncident(opts, site, 'abort');
  const handle = incidents.handle(site);
  const before = await handle.query(statusQuery);
  if (!ABORTABLE_PHASES.includes(before.phase)) {
    throw new CliError(
      EXIT.refused,
      `nothing in flight to abort: ${site} is ${before.phase}${before.phase === 'on_standby' ? `; use \`failover failback ${site}\`` : ''}`,
    );
  }
  await handle.signal(abort, { by: ACTOR, ...(o.reason && { reason: o.reason }) });
  out(`${site}: abort sent while ${before.phase}`);
  if (!o.wait) return;
  const s = await follow(incidents, site, {
    skipSteps: before.steps.length,
    timeoutMs: o.timeout,
    until: (x) => FINAL_PHASES.includes(x.phase) || (before.phase === 'failing_back' && x.phase === 'on_standby'),
  });
  out(`${site}: ${s.phase}${s.cause ? ` (${s.cause})` : ''}`);
  for (const w of s.warnings) out(`warning: ${w}`);
}

/** From needs_attention: `retry` runs the pending steps (or the failover) again; `acknowledge` ends the incident as it is. */
export async function steerAttention(
  opts: GlobalOptions,
  site: string,
  kind: 'retry' | 'acknowledge',
  o: { reason?: string; wait: boolean; timeout: number },
): Promise<void> {
  const incidents = await runningIncident(opts, site, kind);
  const handle = incidents.handle(site);
  const before = await handle.query(statusQuery);
  if (before.phase !== 'needs_attention' || !before.attention) {
    throw new CliError(EXIT.refused, `${site} is ${before.phase}, not needs_attention: nothing to ${kind}`);
  }
  await handle.signal(kind === 'retry' ? retry : acknowledge, { by: ACTOR, ...(o.reason && { reason: o.reason }) });
  out(`${site}: ${kind} sent (${before.attention.reason})`);
  if (!o.wait) return;
  const s = await follow(incidents, site, {
    skipSteps: before.steps.length,
    timeoutMs: o.timeout,
    until: (x) =>
      FINAL_PHASES.includes(x.phase) ||
      x.phase === 'on_standby' ||
      (x.phase === 'needs_attention' && (x.attention?.since ?? 0) > before.attention!.since),
  });
  out(`${site}: ${s.phase}${s.attention ? `: ${s.attention.reason}` : s.cause ? ` (${s.cause})` : ''}`);
  if (s.phase === 'needs_attention') throw new CliError(EXIT.endedBadly, `${site} still needs attention`);
}

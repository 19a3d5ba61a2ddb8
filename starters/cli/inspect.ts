// The commands that only look: status (every site, or one), history (a site's step timeline and
// triggers), validate (a config file, no connection).
import type { IncidentView } from '../../clients/incidents.ts';
import { watcherStatus } from '../../clients/watchers.ts';
import { configWarnings, loadConfig } from '../../config/load.ts';
import { incidentWorkflowId } from '../../workflows/incident-messages.ts';
import type { WatchStatus } from '../../workflows/watch-types.ts';
import {
  CliError,
  EXIT,
  type GlobalOptions,
  configFrom,
  connectIncidents,
  knownSite,
  out,
  userPath,
} from './context.ts';
import { ago, seconds, stepLine, table, triggerLine } from './format.ts';

interface SiteRow {
  site: string;
  incident: 'none' | 'running' | 'ended';
  phase?: string;
  since?: number;
  workflowId: string;
  runId?: string;
  primary?: string;
  watcher?: WatchStatus;
}

export async function status(opts: GlobalOptions, site: string | undefined, json: boolean): Promise<void> {
  const config = configFrom(opts);
  if (site) knownSite(config, site);
  const incidents = await connectIncidents(config, opts);
  if (site) {
    const [view, watcher] = await Promise.all([incidents.view(site), watcherStatus(incidents.client, site)]);
    if (json) return out(JSON.stringify({ site, ...viewJson(view), watcher }, null, 2));
    return printSite(site, view, watcher);
  }
  const sites = Object.keys(config.sites);
  const rows: SiteRow[] = await Promise.all(
    sites.map(async (s) => {
      const [lookup, watcher] = await Promise.all([
        incidents.lookup(s),
        config.watcher ? watcherStatus(incidents.client, s) : undefined,
      ]);
      const d = lookup.description;
      // Since when the phase holds: from the incident's own status while it runs (if it answers).
      const phaseSince = lookup.state === 'running' ? (await incidents.view(s, 2000)).status?.phaseSince : undefined;
      return {
        site: s,
        incident: lookup.state,
        workflowId: incidentWorkflowId(s),
        ...(lookup.phase && { phase: lookup.phase }),
        ...(d && { since: phaseSince ?? (d.closeTime ?? d.startTime).getTime(), runId: d.runId }),
        ...(watcher && { primary: watcher.verdict, watcher }),
      };
    }),
  );
  if (json) return out(JSON.stringify(rows, null, 2));
  const lines = table(
    rows.map((r) => [
      r.site,
      r.incident === 'none'
        ? 'no incident'
        : r.incident === 'ended'
          ? `${r.phase ?? 'ended'} (ended)`
          : (r.phase ?? 'running'),
      r.incident === 'none' ? '-' : ago(r.since),
      r.primary ?? '-',
      r.incident === 'none' ? '' : r.workflowId,
    ]),
    ['SITE', 'PHASE', 'SINCE', 'PRIMARY', 'WORKFLOW'],
  );
  for (const l of lines) out(l);
}

function viewJson(view: IncidentView) {
  const d = view.lookup.description;
  return {
    incident: view.lookup.state,
    ...(d && {
      workflowId: d.workflowId,
      runId: d.runId,
      workflowStatus: d.status.name,
      startTime: d.startTime.toISOString(),
    }),
    ...(view.status && { status: view.status }),
    ...(view.statusError && { statusError: view.statusError }),
  };
}

function printSite(site: string, view: IncidentView, watcher: WatchStatus | undefined): void {
  const d = view.lookup.description;
  out(`site      ${site}`);
  if (view.lookup.state === 'none' || !d) out('incident  none');
  else {
    out(`incident  ${d.workflowId} (run ${d.runId}), ${d.status.name.toLowerCase()}`);
    const s = view.status;
    if (s) {
      const since = s.endedAt ? `ended ${ago(s.endedAt)}` : `since ${ago(s.phaseSince ?? s.startedAt)}`;
      out(`phase     ${s.phase}, ${since} (incident started ${ago(s.startedAt)})`);
      if (s.attention) {
        out(`attention ${s.attention.reason}`);
        const what =
          s.attention.retry === 'failover' ? 'fail over again' : `run ${s.attention.pending.join(', ')} again`;
        out(
          `          \`failover retry ${site}\` to ${what}; \`failover acknowledge ${site}\` to accept the world as it is`,
        );
      }
      out(`failback  ${s.failbackMode}`);
      if (s.cause) out(`cause     ${s.cause}`);
      for (const w of s.warnings) out(`warning   ${w}`);
      if (s.warningsDropped) out(`warning   … and ${s.warningsDropped} more not kept`);
      const opened = s.triggers.filter((t) => t.kind === 'alert_opened' && !t.ignored);
      if (opened.length) out(`trigger   ${opened.map((t) => `${t.id} (${t.source})`).join(', ')}`);
      out(`steps     ${s.steps.length} (\`failover history ${site}\` for the timeline)`);
    } else out(`phase     ${view.lookup.phase ?? 'unknown'} (${view.statusError ?? 'no status'})`);
  }
  if (watcher) {
    const where = Object.entries(watcher.locations).map(([name, l]) => {
      const silent = l.silentSince !== undefined ? `, silent since ${ago(l.silentSince)}: vote not counted` : '';
      return `${name}: ${l.verdict}${l.error ? ` (${l.error})` : ''}${silent}`;
    });
    out(`primary   ${watcher.verdict} since ${ago(watcher.verdictSince)} (watcher: ${where.join(', ')})`);
  }
}

export async function history(opts: GlobalOptions, site: string, json: boolean): Promise<void> {
  const config = configFrom(opts);
  knownSite(config, site);
  const incidents = await connectIncidents(config, opts);
  const view = await incidents.view(site);
  if (view.lookup.state === 'none') throw new CliError(EXIT.refused, `site ${site} has had no incident`);
  if (!view.status)
    throw new CliError(EXIT.failure, `cannot read the incident's status: ${view.statusError ?? 'unknown reason'}`);
  const s = view.status;
  if (json) return out(JSON.stringify({ site, ...viewJson(view) }, null, 2));
  out(
    `${site}: ${s.phase}, started ${new Date(s.startedAt).toISOString()}${s.endedAt ? `, ended after ${seconds(s.endedAt - s.startedAt)}` : ''}`,
  );
  if (s.cause) out(`cause: ${s.cause}`);
  out('');
  out(`    ${'STEP'.padEnd(30)} ${'START'.padStart(8)}  ${'TOOK'.padStart(8)}  WHAT`);
  for (const step of s.steps) out(`  ${stepLine(step, s.startedAt)}`);
  out('');
  out('triggers:');
  for (const t of s.triggers) out(`  ${triggerLine(t, s.startedAt)}`);
  if (s.triggersDropped) out(`  … and ${s.triggersDropped} more not kept`);
  for (const w of s.warnings) out(`warning: ${w}`);
}

export function validate(path: string): void {
  const config = loadConfig(userPath(path));
  out(`${path}: valid`);
  for (const w of configWarnings(config)) out(`warning: ${w}`);
  out('');
  const rows = Object.entries(config.sites).map(([name, s]) => [
    name,
    s.standby.access.type,
    s.traffic.type,
    s.monitor.type,
    `${s.failback.mode}${s.failback.mode === 'auto' ? ` (hold ${seconds(s.failback.holdDown)})` : ''}`,
  ]);
  for (const l of table(rows, ['SITE', 'STANDBY ACCESS', 'TRAFFIC', 'MONITOR', 'FAILBACK'])) out(l);
  out('');
  out(
    `temporal  ${config.temporal.address}, namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`,
  );
  const a = config.alerts;
  out(
    a
      ? `alerts    subscription ${a.subscription} (project ${a.projectId}), site label ${a.siteLabel}${a.deadLetterTopic ? `, dead letters to ${a.deadLetterTopic}` : ''}`
      : 'alerts    not configured (no Pub/Sub bridge)',
  );
  const w = config.watcher;
  out(
    w
      ? `watcher   every ${seconds(w.interval)}, trigger after ${w.failuresToTrigger} failures, locations ${w.locations.join(', ')} (quorum ${w.quorum})`
      : 'watcher   not configured',
  );
}

// The `failover` command: see and steer incidents from a terminal. Run it as `failover …`
// (package.json bin → scripts/failover) or `node starters/cli.ts …`; `failover --help` lists it all.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Command, CommanderError, Option } from 'commander';
import { registerSecret } from '../activities/errors.ts';
import { InMemoryWorld } from '../activities/providers/in-memory.ts';
import { type Config, ConfigError, loadConfig, siteConfig } from '../worker/config.ts';
import { type ResolvedTemporal, resolveTemporal } from '../worker/temporal-connection.ts';
import { abort, incidentWorkflowId, requestFailback, statusQuery } from '../workflows/messages.ts';
import { FINAL_PHASES, type IncidentStatus, type Phase, type StepRecord, type TriggerRecord } from '../workflows/types.ts';
import { type WatchStatus, watchStatusQuery, watchWorkflowId } from '../workflows/watch-messages.ts';
import type { incident } from '../workflows/incident.ts';
import { planFailover } from './dry-run.ts';
import { triggerIncident } from './incident-client.ts';
import { type IncidentView, lookupIncident, viewIncident } from './incident-lookup.ts';

/** Exit codes (also in `failover --help`). */
export const EXIT = {
  ok: 0,
  failure: 1, // unexpected error
  usage: 2, // bad arguments, invalid config, unknown site
  refused: 3, // nothing to act on, or the workflow refused (e.g. failback when not on standby)
  unreachable: 4, // Temporal cannot be reached
  endedBadly: 5, // waited, and the incident ended in failure (rolled back, failback failed)
  timeout: 6, // waited longer than --timeout
} as const;

export class CliError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

interface GlobalOptions {
  config: string;
  address?: string;
  namespace?: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The directory the user ran the command from (scripts/failover runs us from the repository). */
const CWD = process.env.FAILOVER_CWD ?? process.cwd();
const USER = process.env.FAILOVER_USER ?? process.env.USER ?? safeUser();
const ACTOR = `cli:${USER}`;
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const err = (line = ''): void => void process.stderr.write(`${line}\n`);

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(CWD, p);
}

function configFrom(opts: GlobalOptions): Config {
  let path = userPath(opts.config);
  // The default names the repository's example; found from anywhere.
  if (!existsSync(path) && opts.config === DEFAULT_CONFIG) path = resolve(ROOT, DEFAULT_CONFIG);
  return loadConfig(path);
}

function temporalOf(config: Config, opts: GlobalOptions): ResolvedTemporal {
  registerSecret(process.env.TEMPORAL_API_KEY);
  return resolveTemporal(config.temporal, {
    ...process.env,
    ...(opts.address && { TEMPORAL_ADDRESS: opts.address }),
    ...(opts.namespace && { TEMPORAL_NAMESPACE: opts.namespace }),
  });
}

async function connect(t: ResolvedTemporal): Promise<Client> {
  try {
    const connection = await Connection.connect({
      address: t.address,
      connectTimeout: '5s',
      ...(t.tls && { tls: t.tls }),
      ...(t.apiKey && { apiKey: t.apiKey }),
    });
    return new Client({ connection, namespace: t.namespace });
  } catch (e) {
    throw new CliError(
      EXIT.unreachable,
      `cannot reach Temporal at ${t.address} (namespace ${t.namespace}): ${message(e)}\n` +
        'Is the server running? Set temporal.address in the config, TEMPORAL_ADDRESS, or --address.',
    );
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function knownSite(config: Config, site: string): void {
  try {
    siteConfig(config, site);
  } catch (e) {
    throw new CliError(EXIT.usage, message(e).replace(/^invalid config sites:\n\s*- /, ''));
  }
}

// --- formatting ------------------------------------------------------------------------------

function table(rows: string[][], header: string[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '-';
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

const MARK: Record<StepRecord['outcome'], string> = { running: '▸', ok: '✓', failed: '✗', cancelled: '⊘' };

function stepLine(step: StepRecord, t0: number): string {
  const took = step.endedAt !== undefined ? seconds(step.endedAt - step.startedAt) : 'running';
  const what = step.error ?? step.summary ?? '';
  const attempts = step.attempts && step.attempts > 1 ? ` (attempt ${step.attempts})` : '';
  return `${MARK[step.outcome]} ${step.name.padEnd(30)} +${seconds(step.startedAt - t0).padStart(7)}  ${took.padStart(8)}  ${what}${attempts}`;
}

function triggerLine(t: TriggerRecord, t0: number): string {
  return `${`+${seconds(t.at - t0)}`.padStart(9)}  ${t.kind.padEnd(18)} ${(t.id ?? '').padEnd(24)} from ${t.source}${t.ignored ? `  (ignored: ${t.ignored})` : ''}`;
}

// --- waiting with progress -------------------------------------------------------------------

interface FollowOptions {
  /** Resolves the wait; called with every status read. */
  until(s: IncidentStatus): boolean;
  timeoutMs: number;
  /** Steps already printed before the wait (not repeated). */
  skipSteps?: number;
}

/** Polls the incident's status, printing each step as it starts and ends, until `until`. */
async function follow(client: Client, site: string, opts: FollowOptions): Promise<IncidentStatus> {
  const handle = client.workflow.getHandle<typeof incident>(incidentWorkflowId(site));
  const deadline = Date.now() + opts.timeoutMs;
  const shown = new Map<number, string>();
  const tty = process.stderr.isTTY === true;
  const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let tick = 0;
  let phase: Phase | undefined;
  let warnedNoAnswer = false;
  const clear = () => tty && process.stderr.write('\r\x1b[2K');
  for (;;) {
    let s: IncidentStatus | undefined;
    try {
      s = await client.connection.withDeadline(Date.now() + 5000, () => handle.query(statusQuery));
    } catch (e) {
      const d = await handle.describe().catch(() => undefined);
      if (d && d.status.name === 'COMPLETED') s = await handle.result();
      else if (d && d.status.name !== 'RUNNING') throw new CliError(EXIT.endedBadly, `the incident ended ${d.status.name.toLowerCase()}`);
      else if (!warnedNoAnswer) {
        clear();
        err(`  … no answer from the incident yet (${message(e)}); is a worker running on its task queue?`);
        warnedNoAnswer = true;
      }
    }
    if (s) {
      if (s.phase !== phase) {
        clear();
        err(`${s.site}: ${s.phase.replaceAll('_', ' ')}`);
        phase = s.phase;
      }
      for (const [i, step] of s.steps.entries()) {
        if (i < (opts.skipSteps ?? 0)) continue;
        const key = `${step.outcome}`;
        if (shown.get(i) === key || (step.outcome === 'running' && tty === false && shown.has(i))) continue;
        clear();
        err(`  ${stepLine(step, s.startedAt)}`);
        shown.set(i, key);
      }
      if (opts.until(s)) {
        clear();
        return s;
      }
    }
    if (Date.now() > deadline) {
      clear();
      throw new CliError(EXIT.timeout, `still ${phase ?? 'unknown'} after ${seconds(opts.timeoutMs)}; the incident goes on (see \`failover status ${site}\`)`);
    }
    if (tty) {
      const running = s?.steps.findLast((x) => x.outcome === 'running');
      process.stderr.write(`\r\x1b[2K${spinner[tick++ % spinner.length]} ${phase ?? 'waiting'}${running ? `: ${running.name} for ${seconds(Date.now() - running.startedAt)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
function parseDuration(v: string): number {
  const m = DURATION.exec(v);
  if (!m) throw new CommanderError(EXIT.usage, 'failover.invalidDuration', `invalid duration "${v}": expected e.g. 90s, 5m or 1h`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}

// --- commands --------------------------------------------------------------------------------

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

async function watcherStatus(client: Client, site: string): Promise<WatchStatus | undefined> {
  try {
    const h = client.workflow.getHandle(watchWorkflowId(site));
    return await client.connection.withDeadline(Date.now() + 2000, () => h.query(watchStatusQuery));
  } catch {
    return undefined;
  }
}

async function status(opts: GlobalOptions, site: string | undefined, json: boolean): Promise<void> {
  const config = configFrom(opts);
  if (site) knownSite(config, site);
  const client = await connect(temporalOf(config, opts));
  if (site) {
    const [view, watcher] = await Promise.all([viewIncident(client, site), watcherStatus(client, site)]);
    if (json) return out(JSON.stringify({ site, ...viewJson(view), watcher }, null, 2));
    return printSite(site, view, watcher);
  }
  const sites = Object.keys(config.sites);
  const rows: SiteRow[] = await Promise.all(
    sites.map(async (s) => {
      const [lookup, watcher] = await Promise.all([lookupIncident(client, s), config.watcher ? watcherStatus(client, s) : undefined]);
      const d = lookup.description;
      return {
        site: s,
        incident: lookup.state,
        workflowId: incidentWorkflowId(s),
        ...(lookup.phase && { phase: lookup.phase }),
        ...(d && { since: (d.closeTime ?? d.startTime).getTime(), runId: d.runId }),
        ...(watcher && { primary: watcher.verdict, watcher }),
      };
    }),
  );
  if (json) return out(JSON.stringify(rows, null, 2));
  const lines = table(
    rows.map((r) => [
      r.site,
      r.incident === 'none' ? 'no incident' : r.incident === 'ended' ? `${r.phase ?? 'ended'} (ended)` : (r.phase ?? 'running'),
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
    ...(d && { workflowId: d.workflowId, runId: d.runId, workflowStatus: d.status.name, startTime: d.startTime.toISOString() }),
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
      out(`phase     ${s.phase}${s.endedAt ? `, ended ${ago(s.endedAt)}` : ''}, started ${ago(s.startedAt)}${s.onStandbyAt ? `, on standby since ${ago(s.onStandbyAt)}` : ''}`);
      out(`failback  ${s.failbackMode}`);
      if (s.cause) out(`cause     ${s.cause}`);
      for (const w of s.warnings) out(`warning   ${w}`);
      const opened = s.triggers.filter((t) => t.kind === 'alert_opened' && !t.ignored);
      if (opened.length) out(`trigger   ${opened.map((t) => `${t.id} (${t.source})`).join(', ')}`);
      out(`steps     ${s.steps.length} (\`failover history ${site}\` for the timeline)`);
    } else out(`phase     ${view.lookup.phase ?? 'unknown'} (${view.statusError ?? 'no status'})`);
  }
  if (watcher) {
    const where = Object.entries(watcher.locations).map(([name, l]) => `${name}: ${l.verdict}${l.error ? ` (${l.error})` : ''}`);
    out(`primary   ${watcher.verdict} since ${ago(watcher.verdictSince)} (watcher: ${where.join(', ')})`);
  }
}

async function history(opts: GlobalOptions, site: string, json: boolean): Promise<void> {
  const config = configFrom(opts);
  knownSite(config, site);
  const client = await connect(temporalOf(config, opts));
  const view = await viewIncident(client, site);
  if (view.lookup.state === 'none') throw new CliError(EXIT.refused, `site ${site} has had no incident`);
  if (!view.status) throw new CliError(EXIT.failure, `cannot read the incident's status: ${view.statusError ?? 'unknown reason'}`);
  const s = view.status;
  if (json) return out(JSON.stringify({ site, ...viewJson(view) }, null, 2));
  out(`${site}: ${s.phase}, started ${new Date(s.startedAt).toISOString()}${s.endedAt ? `, ended after ${seconds(s.endedAt - s.startedAt)}` : ''}`);
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

async function start(opts: GlobalOptions, site: string, o: { dryRun?: boolean; reason?: string; wait: boolean; timeout: number }): Promise<void> {
  const config = configFrom(opts);
  knownSite(config, site);
  if (o.dryRun) return dryRun(config, opts, site);
  const temporal = temporalOf(config, opts);
  const client = await connect(temporal);
  const before = await lookupIncident(client, site);
  const alertId = `cli:${USER}:${new Date().toISOString()}`;
  await triggerIncident(client, config, temporal.taskQueue, site, { alertId, source: 'cli', summary: o.reason ?? `started by ${USER} with the failover CLI` });
  if (before.state === 'running') {
    out(`${site}: an incident is already running (${before.phase ?? 'phase unknown'}); the trigger was added to it, no step runs twice`);
    if (before.phase !== 'awaiting_trigger') return;
  } else out(`${site}: incident started (${incidentWorkflowId(site)}), alert ${alertId}`);
  if (!o.wait) return;
  const s = await follow(client, site, { until: (x) => x.phase === 'on_standby' || FINAL_PHASES.includes(x.phase), timeoutMs: o.timeout });
  if (s.phase === 'on_standby') return out(`${site}: on standby after ${seconds((s.onStandbyAt ?? Date.now()) - s.startedAt)}; \`failover failback ${site}\` when the primary is back`);
  throw new CliError(EXIT.endedBadly, `${site}: ${s.phase}${s.cause ? `: ${s.cause}` : ''}`);
}

async function dryRun(config: Config, opts: GlobalOptions, site: string): Promise<void> {
  const cfg = siteConfig(config, site);
  const inMemory = [cfg.standby.access.type, cfg.traffic.type, cfg.monitor.type].includes('in-memory');
  // Loaded only here: the provider SDKs take most of a second to import.
  const { buildRegistry } = await import('../worker/providers.ts');
  const plan = await planFailover(buildRegistry(config, { world: new InMemoryWorld() }), site, cfg);
  out(`dry run: failover of ${site} (nothing is changed)`);
  if (inMemory) out('note: in-memory providers are read from this process\'s own fresh world, not the worker\'s');
  out('');
  const rows = plan.steps.map((p) => [p.step, p.resource, p.current ? JSON.stringify(p.current) : `(${p.error ?? 'unread'})`, p.wanted, p.verdict]);
  for (const l of table(rows, ['STEP', 'RESOURCE', 'NOW', 'WANTED', 'VERDICT'])) out(l);
  out('');
  for (const p of plan.probes) out(`probe ${p.endpoint.padEnd(7)} (as ${p.expect}): ${p.ok === undefined ? 'error' : p.ok ? 'serves' : 'does not serve'}: ${p.detail}`);
  // Would the trigger start an incident or join one? Temporal is optional for a dry run.
  try {
    const client = await connect(temporalOf(config, opts));
    const l = await lookupIncident(client, site);
    out('');
    out(l.state === 'running' ? `a running incident (${l.phase}) would receive the trigger; no step would run twice` : 'a new incident would start');
  } catch (e) {
    out('');
    out(`(Temporal not checked: ${message(e).split('\n')[0]})`);
  }
  if (plan.steps.some((p) => p.verdict === 'cannot read')) throw new CliError(EXIT.endedBadly, 'some providers could not be read: a failover would fail there');
}

async function failback(opts: GlobalOptions, site: string, o: { reason?: string; wait: boolean; timeout: number }): Promise<void> {
  const config = configFrom(opts);
  knownSite(config, site);
  const client = await connect(temporalOf(config, opts));
  const l = await lookupIncident(client, site);
  if (l.state !== 'running') throw new CliError(EXIT.refused, `site ${site} has no running incident: nothing to fail back`);
  const handle = client.workflow.getHandle<typeof incident>(incidentWorkflowId(site));
  const stepsBefore = (await handle.query(statusQuery)).steps.length;
  try {
    await handle.executeUpdate(requestFailback, { args: [{ by: ACTOR, ...(o.reason && { reason: o.reason }) }] });
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) throw new CliError(EXIT.refused, `failback refused: ${message(e.cause ?? e)}`);
    if (e instanceof WorkflowNotFoundError) throw new CliError(EXIT.refused, `site ${site} has no running incident: nothing to fail back`);
    throw e;
  }
  out(`${site}: failback accepted`);
  if (!o.wait) return;
  const s = await follow(client, site, {
    skipSteps: stepsBefore,
    timeoutMs: o.timeout,
    until: (x) => FINAL_PHASES.includes(x.phase) || (x.phase === 'on_standby' && x.steps.length > stepsBefore && x.steps.every((st) => st.outcome !== 'running')),
  });
  if (s.phase === 'resolved') return out(`${site}: back on the primary, standby closed; incident resolved`);
  throw new CliError(EXIT.endedBadly, `${site}: failback did not complete, users stay on the standby: ${s.cause ?? s.phase}`);
}

async function abortCmd(opts: GlobalOptions, site: string, o: { reason?: string; wait: boolean; timeout: number }): Promise<void> {
  const config = configFrom(opts);
  knownSite(config, site);
  const client = await connect(temporalOf(config, opts));
  const l = await lookupIncident(client, site);
  if (l.state !== 'running') throw new CliError(EXIT.refused, `site ${site} has no running incident: nothing to abort`);
  const handle = client.workflow.getHandle<typeof incident>(incidentWorkflowId(site));
  const before = await handle.query(statusQuery);
  if (!['awaiting_trigger', 'failing_over', 'failing_back'].includes(before.phase)) {
    throw new CliError(EXIT.refused, `nothing in flight to abort: ${site} is ${before.phase}${before.phase === 'on_standby' ? `; use \`failover failback ${site}\`` : ''}`);
  }
  await handle.signal(abort, { by: ACTOR, ...(o.reason && { reason: o.reason }) });
  out(`${site}: abort sent while ${before.phase}`);
  if (!o.wait) return;
  const s = await follow(client, site, {
    skipSteps: before.steps.length,
    timeoutMs: o.timeout,
    until: (x) => FINAL_PHASES.includes(x.phase) || (before.phase === 'failing_back' && x.phase === 'on_standby'),
  });
  out(`${site}: ${s.phase}${s.cause ? ` (${s.cause})` : ''}`);
  for (const w of s.warnings) out(`warning: ${w}`);
}

function validate(path: string): void {
  const config = loadConfig(userPath(path));
  out(`${path}: valid`);
  out('');
  const rows = Object.entries(config.sites).map(([name, s]) => [name, s.standby.access.type, s.traffic.type, s.monitor.type, `${s.failback.mode}${s.failback.mode === 'auto' ? ` (hold ${seconds(s.failback.holdDown)})` : ''}`]);
  for (const l of table(rows, ['SITE', 'STANDBY ACCESS', 'TRAFFIC', 'MONITOR', 'FAILBACK'])) out(l);
  out('');
  out(`temporal  ${config.temporal.address}, namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`);
  const a = config.alerts;
  out(a ? `alerts    subscription ${a.subscription} (project ${a.projectId}), site label ${a.siteLabel}${a.deadLetterTopic ? `, dead letters to ${a.deadLetterTopic}` : ''}` : 'alerts    not configured (no Pub/Sub bridge)');
  const w = config.watcher;
  out(w ? `watcher   every ${seconds(w.interval)}, trigger after ${w.failuresToTrigger} failures, locations ${w.locations.join(', ')} (quorum ${w.quorum})` : 'watcher   not configured');
}

// --- program ---------------------------------------------------------------------------------

const DEFAULT_CONFIG = 'config/example.yaml';

export function program(): Command {
  const p = new Command('failover')
    .description('See and steer failover incidents (Temporal workflows), one per site.')
    .addOption(new Option('-c, --config <path>', 'sites config (YAML)').env('FAILOVER_CONFIG').default(DEFAULT_CONFIG))
    .addOption(new Option('--address <host:port>', 'Temporal frontend (overrides the config)').env('TEMPORAL_ADDRESS'))
    .addOption(new Option('--namespace <name>', 'Temporal namespace (overrides the config)').env('TEMPORAL_NAMESPACE'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 unexpected error, 2 bad usage / invalid config / unknown site,
3 refused or nothing to act on, 4 Temporal unreachable, 5 incident ended badly, 6 timed out waiting.

Examples:
  failover status
  failover start www --dry-run
  failover start www
  failover history www
  failover failback www`,
    );
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
  const waitOptions = (cmd: Command, defaultTimeout: string) =>
    cmd
      .option('--reason <text>', 'why, recorded on the incident')
      .option('--no-wait', 'return once the workflow has accepted, without following progress')
      .addOption(new Option('--timeout <duration>', 'how long to follow progress (e.g. 90s, 5m)').argParser(parseDuration).default(parseDuration(defaultTimeout), defaultTimeout));

  p.command('status')
    .description('phase of every site, or details of one site')
    .argument('[site]', 'a site from the config')
    .option('--json', 'machine-readable output')
    .action((site: string | undefined, o: { json?: boolean }, cmd: Command) => status(g(cmd), site, o.json === true));
  p.command('history')
    .description('step timeline and triggers of the latest incident of a site')
    .argument('<site>', 'a site from the config')
    .option('--json', 'machine-readable output')
    .action((site: string, o: { json?: boolean }, cmd: Command) => history(g(cmd), site, o.json === true));
  waitOptions(
    p
      .command('start')
      .description('trigger a failover of a site (joins the running incident if there is one)')
      .argument('<site>', 'a site from the config')
      .option('--dry-run', 'read every provider and show what would change; change nothing'),
    '20m',
  ).action((site: string, o: { dryRun?: boolean; reason?: string; wait: boolean; timeout: number }, cmd: Command) => start(g(cmd), site, o));
  waitOptions(p.command('failback').description('send a site on standby back to its primary').argument('<site>', 'a site from the config'), '15m').action(
    (site: string, o: { reason?: string; wait: boolean; timeout: number }, cmd: Command) => failback(g(cmd), site, o),
  );
  waitOptions(p.command('abort').description('stop a failover or failback in flight; what was done is undone').argument('<site>', 'a site from the config'), '10m').action(
    (site: string, o: { reason?: string; wait: boolean; timeout: number }, cmd: Command) => abortCmd(g(cmd), site, o),
  );
  p.command('validate')
    .description('check a config file and summarise it (no connection needed)')
    .argument('<config>', 'path to the YAML config')
    .action((path: string) => validate(path));
  for (const c of p.commands) c.exitOverride().showHelpAfterError('(add --help for usage)');
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return EXIT.ok;
      if (e.code === 'failover.invalidDuration') err(`error: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      err(e.message);
      return EXIT.usage;
    }
    if (e instanceof CliError) {
      err(`error: ${e.message}`);
      return e.code;
    }
    err(`error: ${message(e)}`);
    return EXIT.failure;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(EXIT.failure),
  );
}

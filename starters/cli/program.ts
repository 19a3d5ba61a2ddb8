// The `failover` command line: its commands, options, help and exit codes.
import { Command, CommanderError, Option } from 'commander';
import { parseDuration as durationMs } from '../../activities/duration.ts';
import { ConfigError } from '../../config/load.ts';
import { CliError, DEFAULT_CONFIG, EXIT, type GlobalOptions, err } from './context.ts';
import { history, status, validate } from './inspect.ts';
import { readinessCmd } from './readiness.ts';
import { abortCmd, failback, start, steerAttention } from './steer.ts';
import { errorMessage } from '../../workflows/error-text.ts';

function parseDuration(v: string): number {
  const ms = durationMs(v);
  if (ms === undefined) {
    throw new CommanderError(
      EXIT.usage,
      'failover.invalidDuration',
      `invalid duration "${v}": expected e.g. 90s, 5m or 1h`,
    );
  }
  return ms;
}

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
  failover failback www
  failover retry www            (an incident in needs_attention)
  failover readiness www        (exit 0 ready, 1 not ready)`,
    );
  inspectCommands(p);
  steerCommands(p);
  p.command('readiness')
    .description('run the readiness checks of every site, or of one, now (exit 0 ready, 1 not ready)')
    .argument('[site]', 'a site from the config')
    .option('--json', 'machine-readable output')
    .option('--last', 'print the latest finished run instead of running the checks now')
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the run')
        .argParser(parseDuration)
        .default(60_000, '60s'),
    )
    .action((site: string | undefined, o: { json?: boolean; last?: boolean; timeout: number }, cmd: Command) =>
      readinessCmd(globals(cmd), site, { json: o.json === true, last: o.last === true, timeout: o.timeout }),
    );
  p.command('validate')
    .description('check a config file and summarise it (no connection needed)')
    .argument('<config>', 'path to the YAML config')
    .action((path: string) => validate(path));
  for (const c of p.commands) c.exitOverride().showHelpAfterError('(add --help for usage)');
  return p;
}

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

/** The commands that only read: status and history. */
function inspectCommands(p: Command): void {
  p.command('status')
    .description('phase of every site, or details of one site')
    .argument('[site]', 'a site from the config')
    .option('--json', 'machine-readable output')
    .action((site: string | undefined, o: { json?: boolean }, cmd: Command) =>
      status(globals(cmd), site, o.json === true),
    );
  p.command('history')
    .description('step timeline and triggers of the latest incident of a site')
    .argument('<site>', 'a site from the config')
    .option('--json', 'machine-readable output')
    .action((site: string, o: { json?: boolean }, cmd: Command) => history(globals(cmd), site, o.json === true));
}

type WaitOptions = { reason?: string; wait: boolean; timeout: number };

/** The options of every command that steers an incident and then follows its progress. */
function steering(
  p: Command,
  name: string,
  description: string,
  defaultTimeout: string,
  own: (cmd: Command) => Command = (cmd) => cmd,
): Command {
  return own(p.command(name).description(description).argument('<site>', 'a site from the config'))
    .option('--reason <text>', 'why, recorded on the incident')
    .option('--no-wait', 'return once the workflow has accepted, without following progress')
    .addOption(
      new Option('--timeout <duration>', 'how long to follow progress (e.g. 90s, 5m)')
        .argParser(parseDuration)
        .default(parseDuration(defaultTimeout), defaultTimeout),
    );
}

/** The commands that steer: start, failback, abort, retry, acknowledge. */
function steerCommands(p: Command): void {
  steering(p, 'start', 'trigger a failover of a site (joins the running incident if there is one)', '20m', (cmd) =>
    cmd.option('--dry-run', 'read every provider and show what would change; change nothing'),
  ).action((site: string, o: WaitOptions & { dryRun?: boolean }, cmd: Command) => start(globals(cmd), site, o));
  steering(p, 'failback', 'send a site on standby back to its primary', '15m').action(
    (site: string, o: WaitOptions, cmd: Command) => failback(globals(cmd), site, o),
  );
  steering(p, 'abort', 'stop a failover or failback in flight; what was done is undone', '10m').action(
    (site: string, o: WaitOptions, cmd: Command) => abortCmd(globals(cmd), site, o),
  );
  for (const [kind, description] of [
    ['retry', 'from needs_attention: run the steps that did not finish (or the failover) again'],
    ['acknowledge', 'from needs_attention: accept the world as it is and end the incident'],
  ] as const) {
    steering(p, kind, description, '15m').action((site: string, o: WaitOptions, cmd: Command) =>
      steerAttention(globals(cmd), site, kind, o),
    );
  }
}

/** Runs one command line; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version')
        return EXIT.ok;
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
    err(`error: ${errorMessage(e)}`);
    return EXIT.failure;
  }
}

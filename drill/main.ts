// `npm run drill`: rehearse a failover and a failback while a load generator requests the
// public URL, and report what users saw (timeline, downtime, errors, latency), with an HTML
// report (charts rendered by Vega-Lite) and the raw data as JSON, under .data/drill/<time>/.
//
//   npm run drill                                   # the sandbox, scenario open-standby, once
//   npm run drill -- --scenario iam-120s --repeat 5
//   npm run drill -- --scenario open-standby,iam-120s,cloud-monitoring --repeat 5
//   npm run drill -- --detect monitoring --time-scale 0.1 --iam-delay 30s --standby on-demand
//   npm run drill -- --against-real --config sites.yaml --site www --kill-cmd '…' --revive-cmd '…'
//   npm run drill -- --list                         # the named scenarios
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { analyzeRun, summarize } from './analyze.ts';
import { rehearseReal } from './real.ts';
import { rehearseScenario, type ScenarioRun } from './rehearse.ts';
import { renderReport } from './report.ts';
import type { DrillResult } from './result.ts';
import { PRESETS, describe, parseDuration, preset, type Scenario } from './scenario.ts';
import { TRAFFIC_MODES } from '../sandbox/traffic/modes.ts';
import { terminalSummary } from './summary.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const program = new Command('drill')
  .description('Rehearse a failover and failback under load; report what users saw.')
  .option('--scenario <names>', `comma-separated named scenarios (${Object.keys(PRESETS).join(', ')})`, 'open-standby')
  .option('--repeat <n>', 'rehearsals per scenario (medians over them)', (v) => Number(v))
  .addOption(
    new Option('--detect <how>', 'watcher or monitoring (Cloud Monitoring uptime check → alert → Pub/Sub)').choices([
      'watcher',
      'monitoring',
    ]),
  )
  .option('--watch-interval <duration>', 'watcher probe interval')
  .option('--watch-k <n>', 'watcher: consecutive failures that trigger', (v) => Number(v))
  .option('--uptime-period <duration>', 'Monitoring: uptime check period (real: ≥ 60s)')
  .option('--alert-duration <duration>', 'Monitoring: condition duration')
  .option('--alert-delay <duration>', 'Monitoring: condition met → notification published')
  .option('--time-scale <k>', 'Monitoring timings × k (e.g. 0.1 = ten times faster; reported as such)', (v) =>
    Number(v),
  )
  .addOption(
    new Option('--pubsub <how>', 'Monitoring: through the Pub/Sub emulator + bridge, or signal directly').choices([
      'emulator',
      'direct',
    ]),
  )
  .option('--iam-delay <duration>', 'Cloud Run IAM propagation delay')
  .addOption(new Option('--standby <how>', 'standby kept open, or opened on demand').choices(['open', 'on-demand']))
  .addOption(new Option('--traffic <how>', 'how traffic is switched').choices(Object.keys(TRAFFIC_MODES)))
  .option('--dns-ttl <seconds>', "DNS record TTL (honoured by the users' resolvers)", (v) => Number(v))
  .option('--cold-start <duration>', "the standby's cold start (its first page after being idle)")
  .option(
    '--warm-standby <n>',
    'standby.warmup: minimum instances while failed over (needs --standby on-demand)',
    (v) => Number(v),
  )
  .option('--provider-latency <duration>', 'added to every provider API call')
  .option('--fault-rate <p>', 'share of provider API calls that fail (0..1)', (v) => Number(v))
  .addOption(new Option('--fault-status <code>', 'status of a failed provider call').choices(['429', '500', '503']))
  .addOption(
    new Option('--failback <how>', 'auto (hold-down) or manual (approveFailback signal)').choices(['auto', 'manual']),
  )
  .option('--hold-down <duration>', 'primary healthy this long before the failback')
  .addOption(
    new Option('--kill-mode <how>', 'the dead primary refuses connections or answers 503').choices(['refuse', '503']),
  )
  .option('--rate <n>', 'load: requests per second', (v) => Number(v))
  .option('--users <n>', 'load: concurrent virtual users', (v) => Number(v))
  .option('--timeout <duration>', 'load: per-request timeout')
  .option('--warmup <duration>', 'load before the failure')
  .option('--on-standby <duration>', 'time on standby before the primary comes back')
  .option('--tail <duration>', 'load after the failback')
  .option('--out <dir>', 'output folder (default .data/drill/<timestamp>)')
  .option('--list', 'list the named scenarios and exit')
  .option(
    '--from <data.json,…>',
    'render the report (and summary) again from saved data.json files (several: merged into --out)',
  )
  .option('--against-real', 'rehearse against the real infrastructure of --config (explicit, never by default)')
  .option(
    '--config <file>',
    'with --against-real: the sites config (its Temporal, worker and providers must be running)',
  )
  .option('--site <name>', 'with --against-real: the site to fail over')
  .option('--kill-cmd <shell>', 'with --against-real: command that takes the primary down')
  .option('--revive-cmd <shell>', 'with --against-real: command that brings it back')
  .option('--allow-non-loopback', 'with --against-real: allow load on a non-loopback URL (implied by --against-real)');

type Opts = Record<string, string | number | boolean | undefined>;

function overrides(o: Opts): Partial<Scenario> {
  const d = (k: string) => (o[k] === undefined ? undefined : parseDuration(String(o[k])));
  const out: Partial<Scenario> = {
    repeat: o.repeat as number | undefined,
    detect: o.detect as Scenario['detect'] | undefined,
    watchIntervalMs: d('watchInterval'),
    watchK: o.watchK as number | undefined,
    uptimePeriodMs: d('uptimePeriod'),
    alertDurationMs: d('alertDuration'),
    alertDelayMs: d('alertDelay'),
    timeScale: o.timeScale as number | undefined,
    pubsub: o.pubsub as Scenario['pubsub'] | undefined,
    iamDelayMs: d('iamDelay'),
    standby: o.standby as Scenario['standby'] | undefined,
    traffic: o.traffic as Scenario['traffic'] | undefined,
    dnsTtlSeconds: o.dnsTtl as number | undefined,
    providerLatencyMs: d('providerLatency'),
    coldStartMs: d('coldStart'),
    warmStandby: o.warmStandby as number | undefined,
    faultRate: o.faultRate as number | undefined,
    faultStatus: o.faultStatus === undefined ? undefined : (Number(o.faultStatus) as Scenario['faultStatus']),
    failback: o.failback as Scenario['failback'] | undefined,
    holdDownMs: d('holdDown'),
    killMode: o.killMode as Scenario['killMode'] | undefined,
    rate: o.rate as number | undefined,
    users: o.users as number | undefined,
    timeoutMs: d('timeout'),
    warmupMs: d('warmup'),
    onStandbyMs: d('onStandby'),
    tailMs: d('tail'),
  };
  return Object.fromEntries(
    Object.entries(out).filter(([, v]) => v !== undefined && !Number.isNaN(v)),
  ) as Partial<Scenario>;
}

function validate(s: Scenario): void {
  const problems: string[] = [];
  if (!(s.repeat >= 1)) problems.push('--repeat must be at least 1');
  if (!(s.rate > 0 && s.rate <= 500)) problems.push('--rate must be in (0, 500] (the sandbox shares this machine)');
  if (!(s.users >= 1 && s.users <= 64)) problems.push('--users must be in [1, 64]');
  if (!(s.faultRate >= 0 && s.faultRate < 1)) problems.push('--fault-rate must be in [0, 1)');
  if (!(s.timeScale > 0 && s.timeScale <= 1)) problems.push('--time-scale must be in (0, 1]');
  if (s.detect === 'monitoring' && s.timeScale === 1 && s.uptimePeriodMs < 60_000)
    problems.push(
      '--uptime-period: Cloud Monitoring checks at most once a minute (use --time-scale to compress time, reported as such)',
    );
  if (!(Number.isInteger(s.warmStandby) && s.warmStandby >= 0)) problems.push('--warm-standby must be a whole number');
  if (s.warmStandby > 0 && s.standby !== 'on-demand')
    problems.push('--warm-standby needs --standby on-demand (a Cloud Run standby whose minimum instances are raised)');
  if (problems.length) throw new UsageError(problems.join('\n'));
}

class UsageError extends Error {}

const isTty = process.stderr.isTTY;
let lastTransient = 0;
function progress(line: string, transient = false): void {
  if (isTty) {
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}${transient ? '' : '\n'}`);
  } else if (!transient || Date.now() - lastTransient > 5000) {
    if (transient) lastTransient = Date.now();
    process.stderr.write(`${line}\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  program.parse(argv);
  const o = program.opts<Opts>();
  if (o.list) {
    for (const [name, p] of Object.entries(PRESETS)) console.log(`${name.padEnd(18)} ${p.about}`);
    return 0;
  }
  if (o.from) {
    // One data.json: its report again, beside it. Several (comma-separated): one report of all
    // their scenarios, in --out (default: beside the first).
    const files = String(o.from).split(',');
    const all = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as DrillResult);
    const merged: DrillResult =
      all.length === 1
        ? all[0]!
        : {
            ...all[0]!,
            command: all.map((r) => r.command).join(' + '),
            finishedAt: all.at(-1)!.finishedAt,
            scenarios: all.flatMap((r) => r.scenarios),
          };
    // Analysed again from the raw requests and statuses: the analysis may have improved since.
    const saved: DrillResult = {
      ...merged,
      scenarios: merged.scenarios.map((sc) => {
        const analyses = sc.runs.map(analyzeRun);
        return { ...sc, analyses, summary: summarize(analyses) };
      }),
    };
    const dir = o.out ? String(o.out) : dirname(files[0]!);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'data.json'), JSON.stringify(saved));
    writeFileSync(join(dir, 'report.html'), await renderReport(saved));
    console.log(terminalSummary(saved));
    console.log(`\nreport: ${join(dir, 'report.html')}`);
    return 0;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = o.out ? String(o.out) : join(ROOT, '.data', 'drill', stamp);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const result: DrillResult = {
    version: 1,
    startedAt,
    finishedAt: '',
    command: `drill ${argv.slice(2).join(' ')}`.trim(),
    mode: o.againstReal ? 'real' : 'sandbox',
    machine: { cpus: cpus().length, loadAvg: Math.round(loadavg()[0]! * 100) / 100 },
    scenarios: [],
  };

  let runs: ScenarioRun[];
  if (o.againstReal) {
    if (!o.config || !o.site || !o.killCmd || !o.reviveCmd)
      throw new UsageError('--against-real needs --config, --site, --kill-cmd and --revive-cmd');
    const s = { ...preset('open-standby', overrides(o)), name: `real-${String(o.site)}` };
    validate(s);
    runs = [
      await rehearseReal({
        scenario: s,
        configPath: String(o.config),
        site: String(o.site),
        killCmd: String(o.killCmd),
        reviveCmd: String(o.reviveCmd),
        progress,
      }),
    ];
  } else {
    const scenarios = String(o.scenario)
      .split(',')
      .map((n) => preset(n.trim(), overrides(o)));
    scenarios.forEach(validate);
    runs = [];
    for (const s of scenarios) {
      progress(`[drill] ${s.name}: ${describe(s)}`);
      runs.push(await rehearseScenario(s, outDir, progress));
    }
  }
  for (const r of runs) {
    const analyses = r.runs.map(analyzeRun);
    result.scenarios.push({
      scenario: r.scenario,
      description: describe(r.scenario),
      notes: r.notes,
      summary: summarize(analyses),
      analyses,
      runs: r.runs,
      ...(r.notifications && { notifications: r.notifications }),
    });
  }
  result.finishedAt = new Date().toISOString();
  writeFileSync(join(outDir, 'data.json'), JSON.stringify(result));
  const html = await renderReport(result);
  writeFileSync(join(outDir, 'report.html'), html);
  console.log(terminalSummary(result));
  console.log(
    `\nreport: ${relative(process.cwd(), join(outDir, 'report.html')) || join(outDir, 'report.html')}\ndata:   ${relative(process.cwd(), join(outDir, 'data.json'))}`,
  );
  const failed = result.scenarios.some((s) => s.summary.succeeded < s.summary.runs || s.summary.runs === 0);
  return failed ? 5 : 0;
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`\n[drill] ${sig}: stopping (children are stopped with their process groups)\n`);
    process.exit(130); // the 'exit' hook of processes.ts kills every child group
  });
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`drill: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);

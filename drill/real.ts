// `--against-real`: the same rehearsal against real infrastructure. Nothing is started here:
// the config's Temporal, a worker (with its watcher, or the bridge) and the providers must be
// running. The primary is taken down and brought back by the operator's own commands (e.g.
// `kubectl scale deploy/site --replicas=0`), and the load goes to the real public URL, through
// real resolvers (DNS TTLs are whatever they honour). Only with the explicit flag.
import { spawn } from 'node:child_process';
import { registerSecret } from '../activities/secrets.ts';
import { connectClient, resolveTemporal } from '../clients/temporal.ts';
import { loadConfig } from '../config/load.ts';
import type { RunRecord } from './analyze.ts';
import { rehearseOnce, type Progress, type ScenarioRun } from './rehearse.ts';
import type { Scenario } from './scenario.ts';

function sh(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`\`${cmd}\` exited ${code}`))));
  });
}

export async function rehearseReal(o: {
  scenario: Scenario;
  configPath: string;
  site: string;
  killCmd: string;
  reviveCmd: string;
  progress: Progress;
}): Promise<ScenarioRun> {
  const config = loadConfig(o.configPath);
  const site = config.sites[o.site];
  if (!site) throw new Error(`no site "${o.site}" in ${o.configPath}`);
  registerSecret(process.env.TEMPORAL_API_KEY);
  const client = await connectClient(resolveTemporal(config.temporal));
  const runs: RunRecord[] = [];
  const notes = [
    `Against real infrastructure: ${site.publicUrl}; failure injected with \`${o.killCmd}\`, undone with \`${o.reviveCmd}\`.`,
  ];
  try {
    for (let repeat = 1; repeat <= o.scenario.repeat; repeat++) {
      const run = await rehearseOnce({
        s: o.scenario,
        client,
        site: o.site,
        repeat,
        load: {
          url: site.publicUrl,
          rate: o.scenario.rate,
          users: o.scenario.users,
          timeoutMs: o.scenario.timeoutMs,
          allowNonLoopback: true,
          ...(site.primary.marker &&
            site.standby.marker && { markers: { primary: site.primary.marker, standby: site.standby.marker } }),
        },
        kill: () => sh(o.killCmd),
        revive: () => sh(o.reviveCmd),
        events: () => [],
        progress: o.progress,
      });
      runs.push(run);
      if (run.error) break;
    }
  } finally {
    await client.connection.close();
  }
  return { scenario: o.scenario, runs, notes, startedAt: Date.now() };
}

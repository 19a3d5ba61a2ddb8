// Waiting with progress: polls an incident's status and prints each step as it starts and ends.
import type { Incidents } from '../../clients/incidents.ts';
import { statusQuery } from '../../workflows/incident-messages.ts';
import type { IncidentStatus, Phase } from '../../workflows/incident-types.ts';
import { CliError, EXIT, err } from './context.ts';
import { seconds, stepLine } from './format.ts';
import { errorMessage } from '../../workflows/error-text.ts';

export interface FollowOptions {
  /** Resolves the wait; called with every status read. */
  until(s: IncidentStatus): boolean;
  timeoutMs: number;
  /** Steps already printed before the wait (not repeated). */
  skipSteps?: number;
}

/** Polls the incident's status, printing each step as it starts and ends, until `until`. */
export async function follow(incidents: Incidents, site: string, opts: FollowOptions): Promise<IncidentStatus> {
  const handle = incidents.handle(site);
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
      s = await incidents.client.connection.withDeadline(Date.now() + 5000, () => handle.query(statusQuery));
    } catch (e) {
      const d = await handle.describe().catch(() => undefined);
      if (d && d.status.name === 'COMPLETED') s = await handle.result();
      else if (d && d.status.name !== 'RUNNING')
        throw new CliError(EXIT.endedBadly, `the incident ended ${d.status.name.toLowerCase()}`);
      else if (!warnedNoAnswer) {
        clear();
        err(`  … no answer from the incident yet (${errorMessage(e)}); is a worker running on its task queue?`);
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
      throw new CliError(
        EXIT.timeout,
        `still ${phase ?? 'unknown'} after ${seconds(opts.timeoutMs)}; the incident goes on (see \`failover status ${site}\`)`,
      );
    }
    if (tty) {
      const running = s?.steps.findLast((x) => x.outcome === 'running');
      process.stderr.write(
        `\r\x1b[2K${spinner[tick++ % spinner.length]} ${phase ?? 'waiting'}${running ? `: ${running.name} for ${seconds(Date.now() - running.startedAt)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

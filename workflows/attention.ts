// needs_attention: where the orchestrator cannot restore a serving, consistent world on its own,
// the incident waits for a human (retry or acknowledge), says why, and is counted in the metrics.
import { CancellationScope, condition, isCancellation, metricMeter, patched } from '@temporalio/workflow';
import { failureMessage } from './error-text.ts';
import { WATCH_WHILE_MONITOR_PAUSED } from './incident-patches.ts';
import type { AttentionAnswer, IncidentState } from './incident-state.ts';
import type { Attention, Phase } from './incident-types.ts';
import type { Saga } from './saga.ts';
import type { Timeline } from './timeline.ts';

export class HumanGate {
  private readonly site: string;
  private readonly state: IncidentState;
  private readonly timeline: Timeline;
  private readonly setPhase: (phase: Phase) => void;
  private readonly counter = metricMeter.createCounter(
    'failover_needs_attention',
    'incidents',
    'Times an incident entered needs_attention',
  );

  constructor(site: string, state: IncidentState, timeline: Timeline, setPhase: (phase: Phase) => void) {
    this.site = site;
    this.state = state;
    this.timeline = timeline;
    this.setPhase = setPhase;
  }

  /**
   * Waits for a human (or, for a failed failover, the primary's recovery; after a cleanup, a new
   * outage); 'continue_as_new' when `cut` says so first (the attention stays in the status).
   */
  async awaitHumanOrCut(
    attention: Omit<Attention, 'since' | 'autoRetryAt'>,
    autoRetryMs?: number,
    cut?: () => boolean,
  ): Promise<AttentionAnswer | 'continue_as_new'> {
    this.state.needAttention({
      ...attention,
      ...(autoRetryMs !== undefined && { autoRetryAt: Date.now() + autoRetryMs }),
    });
    this.setPhase('needs_attention');
    this.counter.add(1, { site: this.site });
    return this.wait(autoRetryMs, cut);
  }

  /** Waits on in a run continued as new: the attention, its automatic retry's time and any answer were carried. */
  resumeWait(cut?: () => boolean): Promise<AttentionAnswer | 'continue_as_new'> {
    const { status } = this.state;
    const since = status.phaseSince;
    this.setPhase('needs_attention');
    if (since !== undefined) status.phaseSince = since;
    const at = status.attention?.autoRetryAt;
    return this.wait(at === undefined ? undefined : Math.max(1, at - Date.now()), cut);
  }

  private async wait(autoRetryMs?: number, cut?: () => boolean): Promise<AttentionAnswer | 'continue_as_new'> {
    const { state } = this;
    const done = () => state.attentionAnswered || (cut?.() ?? false);
    if (autoRetryMs === undefined) await condition(done);
    else if (!(await condition(done, autoRetryMs))) {
      // Nobody answered in time: retry on our own, recorded as a retry like a human's.
      state.status.autoFailoverRetries = (state.status.autoFailoverRetries ?? 0) + 1;
      state.steer('retry', { by: 'automatic retry' });
    }
    return state.attentionAnswered ? state.endAttention() : 'continue_as_new';
  }

  /**
   * Runs a saga's compensations until none is left ('done'), or a human accepts the world as it is
   * ('acknowledged'). With `cleanup` (users on the primary after a verified failback), a new outage
   * in the wait, or a retry that `cleanup` finds the primary down for, ends it 'outage'. While the
   * monitor stays paused no alert can come: `cleanup.watchPrimary` watches for the outage instead.
   * A wait ends 'continue_as_new' when `carry.cut` says so; the next run passes `carry.resumed` and
   * waits on (its saga rebuilt with the steps still pending).
   */
  async settle(
    saga: Saga,
    what: string,
    phase: 'failing_over' | 'failing_back',
    cleanup?: {
      primaryServes: () => Promise<boolean>;
      watchPrimary: () => Promise<{ summary?: string }>;
      scope?: CancellationScope;
    },
    carry?: {
      /** Called as each wait begins: when to cut it (none in runs started before the cut). */
      cut: () => (() => boolean) | undefined;
      resumed: boolean;
    },
  ): Promise<'done' | 'acknowledged' | 'outage' | 'continue_as_new'> {
    let resuming = carry?.resumed === true;
    let { problems } = resuming ? { problems: [] } : await saga.compensate(this.timeline, cleanup?.scope);
    while (resuming || problems.length > 0) {
      if (cleanup?.scope && this.state.outageAgain) return 'outage'; // cancelled by a new outage
      for (const p of problems) this.state.warn(`not undone: ${p}`);
      const reason = `${what}; not done: ${problems.join('; ')}`;
      const pending = saga.pendingNames;
      const cut = carry?.cut();
      const attention = {
        reason,
        retry: 'compensations' as const,
        pending,
        ...(cleanup && { onOutage: 'fail_over' as const }),
      };
      const waiting = resuming ? this.resumeWait(cut) : this.awaitHumanOrCut(attention, undefined, cut);
      resuming = false;
      const blind = cleanup && pending.includes('resume_monitor') && patched(WATCH_WHILE_MONITOR_PAUSED);
      const answer = await (blind ? this.watchWhile(waiting, cleanup.watchPrimary) : waiting);
      if (answer === 'continue_as_new') return answer;
      if (answer === 'acknowledge' || answer === 'outage') return answer === 'outage' ? 'outage' : 'acknowledged';
      this.setPhase(phase);
      if (cleanup && !(await cleanup.primaryServes())) {
        this.state.primaryDownOnRetry();
        return 'outage';
      }
      ({ problems } = await saga.compensate(this.timeline, cleanup?.scope));
    }
    return 'done';
  }

  /** Runs `watch` until `answer` comes; the watch's end (the primary down) is a new outage, which answers it. */
  private async watchWhile<T>(answer: Promise<T>, watch: () => Promise<{ summary?: string }>): Promise<T> {
    const scope = new CancellationScope();
    const watching = scope.run(watch).then(
      ({ summary }) => this.state.primaryDownWhileMonitorPaused(summary),
      (err) => {
        if (!isCancellation(err)) this.state.warn(`watching the primary stopped: ${failureMessage(err)}`);
      },
    );
    try {
      return await answer;
    } finally {
      scope.cancel();
      await watching;
    }
  }
}

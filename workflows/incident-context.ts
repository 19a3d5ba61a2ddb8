// What the failover and the failback of one incident share: its state, activities, timeline and
// human gate, and the work in flight that a signal may cancel. One per workflow run.
import { type CancellationScope, patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { HumanGate } from './attention.ts';
import { incidentActivities } from './incident-activities.ts';
import { IncidentState } from './incident-state.ts';
import type { IncidentInput, IncidentPolicy, IncidentStatus, Phase, UndoSnapshots } from './incident-types.ts';
import type { ChangeStep, Saga } from './saga.ts';
import { PhaseNotifier } from './phase-notifier.ts';
import { phaseAttribute } from './search-attributes.ts';
import { Timeline } from './timeline.ts';

export class IncidentContext {
  readonly site: string;
  readonly policy: IncidentPolicy;
  readonly state: IncidentState;
  readonly act: ReturnType<typeof incidentActivities>;
  readonly timeline: Timeline;
  readonly gate: HumanGate;
  /** Phase changes to the configured channels, beside the saga (docs/notifications.md). */
  readonly notifier: PhaseNotifier;
  /** The failover or failback in flight; abort (or a new outage while failing back) cancels it. */
  inFlight: CancellationScope | undefined;
  /** The monitor pause runs beside the failover and may finish after it: off the critical path. */
  monitorPaused: Promise<void> = Promise.resolve();

  constructor(input: IncidentInput) {
    this.site = input.site;
    this.policy = input.policy;
    const previous = {
      ...(input.previousEndedAt !== undefined && { endedAt: input.previousEndedAt }),
      ...(input.previousServingAt !== undefined && { servingAt: input.previousServingAt }),
      ...(input.previousAlertIds && { alertIds: input.previousAlertIds }),
    };
    this.state = new IncidentState(input.site, input.policy, input.carried, previous, (id) => patched(id));
    this.act = incidentActivities(input.policy);
    this.timeline = new Timeline(this.state.status);
    this.notifier = new PhaseNotifier(input.policy.notify);
    this.gate = new HumanGate(input.site, this.state, this.timeline, (phase) => this.setPhase(phase));
  }

  get status(): IncidentStatus {
    return this.state.status;
  }

  /** Enters a phase: in the status, the FailoverPhase search attribute and the UI's current details. */
  setPhase(phase: Phase): void {
    const { phase: previous, phaseSince } = this.status;
    this.state.enterPhase(phase);
    upsertSearchAttributes([{ key: phaseAttribute, value: phase }]);
    const { attention, cause } = this.status;
    const problem = attention?.reason ?? cause;
    setCurrentDetails(
      `**${this.site}**: ${phase.replaceAll('_', ' ')}${problem ? `\n\nlast problem: ${problem}` : ''}`,
    );
    this.notifier.changed(previous, phaseSince, this.status);
  }

  finish(phase: Phase): IncidentStatus {
    this.state.end();
    this.setPhase(phase);
    return this.status;
  }

  /** One change of a saga; its "before" is kept for the failback when it is the first read of that lever. */
  change(saga: Saga, step: ChangeStep, lever?: keyof UndoSnapshots): Promise<void> {
    return saga.change(this.timeline, step, lever && ((before) => this.state.keepBefore(lever, before)));
  }
}

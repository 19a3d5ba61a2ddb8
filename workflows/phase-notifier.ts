// The incident's phase changes, as notification events: deterministic IDs (workflow, run, sequence),
// started beside the saga and never awaited by it; only the run's end waits for them to have started.
import { patched, workflowInfo } from '@temporalio/workflow';
import { incidentWorkflowId } from './incident-messages.ts';
import { NOTIFY_PHASE } from './incident-patches.ts';
import type { IncidentStatus, Phase } from './incident-types.ts';
import type { NotificationEvent, NotifyPolicy } from './notification-types.ts';
import { notify } from './notification.ts';

export class PhaseNotifier {
  private readonly policy: NotifyPolicy | undefined;
  private readonly starts: Promise<void>[] = [];
  private seq = 0;

  constructor(policy: NotifyPolicy | undefined) {
    this.policy = policy;
  }

  /** After the status entered a new phase: notifies it if the policy asks (and the run has the patch). */
  changed(previous: Phase | undefined, previousSince: number | undefined, status: IncidentStatus): void {
    const policy = this.policy;
    if (!policy || previous === status.phase || !policy.phases.includes(status.phase)) return;
    if (!patched(NOTIFY_PHASE)) return;
    this.seq += 1;
    const info = workflowInfo();
    const at = status.phaseSince ?? Date.now();
    const cause = phaseCause(status);
    const event: NotificationEvent = {
      // The ID of the site's incident (what info.workflowId is, but a replayer may name the run otherwise).
      id: `${incidentWorkflowId(status.site)}/${info.runId}/${this.seq}`,
      kind: 'phase',
      site: status.site,
      state: status.phase,
      ...(previous && { previous }),
      ...(cause !== undefined && { cause }),
      at,
      timings: {
        startedAt: status.startedAt,
        ...(previousSince !== undefined && { previousMs: at - previousSince }),
        ...(status.onStandbyAt !== undefined && {
          onStandbyAt: status.onStandbyAt,
          failoverMs: status.onStandbyAt - status.startedAt,
        }),
        ...(status.endedAt !== undefined && { endedAt: status.endedAt }),
      },
      workflow: { namespace: info.namespace, workflowId: info.workflowId, runId: info.runId },
    };
    this.starts.push(notify(event, policy));
  }

  /** Resolves once every notification of this run has started: its run may then end. */
  async started(): Promise<void> {
    await Promise.all(this.starts);
  }
}

function phaseCause(status: IncidentStatus): string | undefined {
  if (status.phase === 'failing_over') {
    const alert = status.triggers.findLast((t) => t.kind === 'alert_opened' && !t.ignored);
    return alert && `${alert.source} alert${alert.id ? ` ${alert.id}` : ''}`;
  }
  if (status.phase === 'needs_attention') return status.attention?.reason ?? status.cause;
  if (status.phase === 'rolled_back' || status.phase === 'on_standby' || status.phase === 'failing_back')
    return status.cause;
  return undefined;
}

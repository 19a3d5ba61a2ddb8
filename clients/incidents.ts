// How every process reaches a site's incident workflow: its handle, the trigger (signal-with-start
// with the site's incident policy), lookups of the latest run, and the signals starters send.
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes, defaultPayloadConverter } from '@temporalio/common';
import type { IncidentControl } from '../activities/watch-trigger.ts';
import { siteConfig } from '../config/load.ts';
import { incidentPolicy } from '../config/policies.ts';
import type { Config } from '../config/schema.ts';
import type { incident } from '../workflows/incident.ts';
import {
  alertClosed,
  alertOpened,
  incidentWorkflowId,
  primaryRecovered,
  statusQuery,
} from '../workflows/incident-messages.ts';
import type { IncidentPolicy, IncidentStatus } from '../workflows/incident-types.ts';
import { phaseAttribute, siteAttribute } from '../workflows/search-attributes.ts';
import type { Actor, AlertClosed, AlertOpened } from '../workflows/types.ts';
import { errorMessage } from '../workflows/error-text.ts';

export type IncidentHandle = WorkflowHandle<typeof incident>;
/** Whether the site has an incident workflow: none yet, its latest run running, or ended. */
export type IncidentLifecycle = 'none' | 'running' | 'ended';

export interface IncidentLookup {
  state: IncidentLifecycle;
  description?: WorkflowExecutionDescription;
  /** From the FailoverPhase search attribute (no worker needed to read it). */
  phase?: string;
}

export interface IncidentView {
  lookup: IncidentLookup;
  /** The incident's own status: queried while running, its result once ended. */
  status?: IncidentStatus;
  /** Why `status` could not be read (e.g. no worker answers the query). */
  statusError?: string;
}

export class Incidents implements IncidentControl {
  readonly client: Client;
  private readonly taskQueue: string;
  private readonly policyOf: (site: string) => IncidentPolicy;

  constructor(client: Client, taskQueue: string, policyOf: (site: string) => IncidentPolicy) {
    this.client = client;
    this.taskQueue = taskQueue;
    this.policyOf = policyOf;
  }

  /** Incidents of the sites of a config, each started with its site's policy. */
  static of(client: Client, config: Config, taskQueue: string): Incidents {
    return new Incidents(client, taskQueue, (site) => incidentPolicy(siteConfig(config, site), config.notifications));
  }

  /** The site's incident: its latest run, or a given one. */
  handle(site: string, runId?: string): IncidentHandle {
    return this.client.workflow.getHandle<typeof incident>(incidentWorkflowId(site), runId);
  }

  /**
   * Signals the site's running incident with the alert, or starts one (signal-with-start: the
   * workflow ID is the site's, so a second trigger joins the first). A new run learns when the
   * site's previous incident ended and which alerts it saw, so that a stale alert starts nothing.
   */
  async trigger(site: string, alert: AlertOpened, lookup?: IncidentLookup) {
    for (let look = 1; ; look++) {
      const latest = look === 1 && lookup ? lookup : await this.lookup(site);
      const running = latest.state === 'running' ? latest.description?.runId : undefined;
      if (running === undefined) return this.start(site, alert, latest);
      // The run seen running, by its ID: a signal-with-start here could start a new run without
      // the end of this one, had it ended in between.
      try {
        const handle = this.handle(site, running);
        await handle.signal(alertOpened, alert);
        return Object.assign(handle, { signaledRunId: running });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError) || look >= 5) throw err;
      }
    }
  }

  private async start(site: string, alert: AlertOpened, latest: IncidentLookup) {
    const previousEndedAt = latest.state === 'ended' ? latest.description?.closeTime?.getTime() : undefined;
    const ended = await this.resultOfEnded(latest);
    const previousAlertIds = [
      ...new Set(ended?.triggers.flatMap((t) => (t.kind === 'alert_opened' && t.id ? [t.id] : [])) ?? []),
    ];
    // An outage is stale only if it started before the primary was last seen serving (not before the end).
    const previousServingAt = ended?.primaryServingAt;
    return this.client.workflow.signalWithStart<typeof incident, [AlertOpened]>('incident', {
      workflowId: incidentWorkflowId(site),
      taskQueue: this.taskQueue,
      args: [
        {
          site,
          policy: this.policyOf(site),
          ...(previousEndedAt !== undefined && { previousEndedAt }),
          ...(previousAlertIds.length > 0 && { previousAlertIds }),
          ...(previousServingAt !== undefined && { previousServingAt }),
        },
      ],
      signal: alertOpened,
      signalArgs: [alert],
      typedSearchAttributes: new TypedSearchAttributes([{ key: siteAttribute, value: site }]),
    });
  }

  /**
   * The status a completed incident ended with: every alert it received (up to its cap; an ignored
   * one was handled before) and when it last saw the primary serve.
   */
  private async resultOfEnded(lookup: IncidentLookup): Promise<IncidentStatus | undefined> {
    if (lookup.state !== 'ended' || lookup.description?.status.name !== 'COMPLETED') return undefined;
    return this.client.workflow
      .getHandle<typeof incident>(lookup.description.workflowId, lookup.description.runId)
      .result();
  }

  async primaryRecovered(site: string, actor: Actor): Promise<void> {
    await this.handle(site).signal(primaryRecovered, actor);
  }

  /** The running incident's status, from its query. */
  async status(site: string): Promise<IncidentStatus> {
    return this.handle(site).query(statusQuery);
  }

  async alertClosed(site: string, alert: AlertClosed): Promise<void> {
    await this.handle(site).signal(alertClosed, alert);
  }

  /** The latest run of the site's incident workflow (continue-as-new followed). */
  async lookup(site: string): Promise<IncidentLookup> {
    try {
      const description = await this.handle(site).describe();
      const phase = description.typedSearchAttributes.get(phaseAttribute);
      return {
        state: description.status.name === 'RUNNING' ? 'running' : 'ended',
        description,
        ...(phase !== undefined && { phase }),
      };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { state: 'none' };
      throw err;
    }
  }

  /**
   * Did the site's latest (ended) incident already receive this alert? Read from its result when it
   * completed, else from the alertOpened signals in its history (terminated, failed, timed out).
   */
  async endedIncidentSawAlert(site: string, lookup: IncidentLookup, alertId: string): Promise<boolean> {
    if (lookup.state !== 'ended' || !lookup.description) return false;
    const handle = this.handle(site, lookup.description.runId);
    if (lookup.description.status.name === 'COMPLETED') {
      const result = await handle.result();
      if (result.triggers.some((t) => t.kind === 'alert_opened' && t.id === alertId)) return true;
      // The trigger list is capped; a long incident may have dropped it: fall through to the history.
      if (result.triggersDropped === 0) return false;
    }
    const history = await handle.fetchHistory();
    for (const event of history.events ?? []) {
      const signal = event.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName !== 'alertOpened') continue;
      const payload = signal.input?.payloads?.[0];
      if (!payload) continue;
      try {
        const alert = defaultPayloadConverter.fromPayload<AlertOpened>(payload);
        if (alert?.alertId === alertId) return true;
      } catch {
        /* not ours to judge */
      }
    }
    return false;
  }

  /** Everything the CLI shows about a site's latest incident. */
  async view(site: string, queryTimeoutMs = 5000): Promise<IncidentView> {
    const lookup = await this.lookup(site);
    if (lookup.state === 'none' || !lookup.description) return { lookup };
    const handle = this.handle(site, lookup.description.runId);
    try {
      if (lookup.state === 'running') {
        const status = await this.client.connection.withDeadline(Date.now() + queryTimeoutMs, () =>
          handle.query(statusQuery),
        );
        return { lookup, status };
      }
      if (lookup.description.status.name === 'COMPLETED') return { lookup, status: await handle.result() };
      return {
        lookup,
        statusError: `the incident ended ${lookup.description.status.name.toLowerCase().replace('_', ' ')}`,
      };
    } catch (err) {
      return { lookup, statusError: errorMessage(err) };
    }
  }
}

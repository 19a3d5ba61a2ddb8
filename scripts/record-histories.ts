// Records the incident workflow's histories from real runs into test/histories/, for the replay
// test. A history already recorded is kept: it is the proof that runs started by older code still
// replay. `npm run record-histories` records the scenarios that have no file yet;
// `npm run record-histories -- <name>...` records those again on purpose.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Runtime } from '@temporalio/worker';
import { ProviderError } from '../activities/errors.ts';
import { InMemoryWorld } from '../activities/providers/in-memory/world.ts';
import { buildRegistry } from '../clients/providers.ts';
import { incidentPolicy } from '../config/policies.ts';
import { createMainWorker } from '../worker/workers.ts';
import {
  abort,
  acknowledge,
  alertClosed,
  alertOpened,
  primaryRecovered,
  requestFailback,
  retry,
  statusQuery,
} from '../workflows/incident-messages.ts';
import { startLocalTemporal } from '../harness/temporal.ts';
import type { Client } from '@temporalio/client';
import { type IncidentHandle, Incidents } from '../clients/incidents.ts';
import { readinessHistory, readinessTarget } from '../clients/readiness.ts';
import { inMemoryConfig, trigger, waitForPhase } from '../harness/sites.ts';
import type { IncidentStatus } from '../workflows/incident-types.ts';
import { NOTIFIED_PHASES, type NotifyPolicy } from '../workflows/notification-types.ts';
import { buildNotifiers } from '../clients/notifiers.ts';
import { startNotificationReceiver } from '../harness/notification-receiver.ts';
import type { TriggerSource } from '../workflows/types.ts';

const OUT = new URL('../test/histories/', import.meta.url);
const TASK_QUEUE = 'record-histories';

/** A scenario's recorded run: its handle, or the runs of one workflow (continue-as-new: `<name>-run<n>`). */
type Recorded = IncidentHandle | { workflowId: string; runIds: string[] };
type Scenario = (ctx: { client: Client; world: InMemoryWorld; site: string }) => Promise<Recorded>;

/** The dev server suggests continue-as-new this early, so a short scenario reaches it. */
const CONTINUE_AS_NEW_AFTER_EVENTS = 300;

const autoSites = new Set([
  'auto-failback',
  'auto-failback-bounded',
  'pubsub-auto-failback-retried',
  'i16-auto-failback-relapse',
]);

/** Failover then failback to resolved, triggered from `source` (since issue 16: one per trigger source). */
const fromSource =
  (source: TriggerSource): Scenario =>
  async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await Incidents.of(client, config, TASK_QUEUE).trigger(site, { alertId: `${source}-1`, source });
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await h.result();
    return h;
  };
const scenarios: Record<string, Scenario> = {
  failover: async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    await h.terminate('recorded up to on_standby');
    return h;
  },
  'manual-failback': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await h.result();
    return h;
  },
  'auto-failback': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.result();
    return h;
  },
  rollback: async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    world.inject(site, 'traffic', {
      times: Infinity,
      error: new ProviderError('permission', 'zone z: missing Zone.Page Rules:Edit'),
    });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await h.result();
    return h;
  },
  abort: async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false, standbyUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'failing_over');
    await new Promise((r) => setTimeout(r, 300));
    await h.signal(abort, { by: 'recorder' });
    await h.result();
    return h;
  },
  'duplicate-alerts': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site, 'a-1');
    await trigger(client, config, TASK_QUEUE, site, 'a-1');
    await trigger(client, config, TASK_QUEUE, site, 'a-2');
    await waitForPhase(h, 'on_standby');
    await h.signal(alertOpened, { alertId: 'a-1', source: 'test' });
    await h.query(statusQuery);
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await h.result();
    return h;
  },
  'failback-verify-fails': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    world.inject(site, 'probe:public', { times: Infinity });
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await waitForPhase(h, 'failing_back');
    await waitForPhase(h, 'on_standby');
    await h.terminate('recorded after the failed failback');
    return h;
  },
  // Since needs_attention, bounded automatic failback, stale and unconfirmed alerts (issue 8).
  'rollback-primary-down': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'no edit') });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'needs_attention');
    await h.signal(acknowledge, { by: 'recorder' });
    await h.result();
    return h;
  },
  'compensation-retry': async ({ client, world, site }) => {
    world.addSite(site);
    world.inject(site, 'probe:public', { times: Infinity });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await until(h, (s) => s.steps.some((x) => x.name === 'verify_public_url_on_standby'));
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'revoked') });
    await waitForPhase(h, 'needs_attention');
    world.clearFaults();
    await h.signal(retry, { by: 'recorder' });
    await h.result();
    return h;
  },
  'outage-during-failback': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    world.inject(site, 'probe:public', { times: 30 });
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await until(h, (s) => s.steps.some((x) => x.name === 'verify_public_url_on_primary'));
    world.state(site).primaryUp = false;
    await h.signal(alertOpened, { alertId: 'again', source: 'test' });
    await until(h, (s) => s.phase === 'on_standby');
    await h.terminate('recorded after going back to the standby');
    return h;
  },
  'auto-failback-bounded': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.inject(site, 'probe:public', { times: Infinity });
    world.state(site).primaryUp = true;
    await until(h, (s) => s.warnings.some((w) => w.startsWith('automatic failback stopped')), 30_000);
    await h.terminate('recorded after automatic failback stopped');
    return h;
  },
  // The compositions of issue 16 (workflows/incident-patches.ts gates each).
  'i16-outage-in-attention': async ({ client, world, site }) => {
    const h = await cleanupFailed(client, world, site);
    world.state(site).primaryUp = false;
    await h.signal(alertOpened, { alertId: 'dies-in-attention', source: 'test' });
    await until(
      h,
      (s) => s.phase === 'on_standby' && s.steps.filter((x) => x.name === 'verify_public_url_on_standby').length === 2,
    );
    await h.terminate('recorded on standby again');
    return h;
  },
  // The monitor left paused by the cleanup: the incident's own watch finds the primary dead.
  'i16-watch-while-monitor-paused': async ({ client, world, site }) => {
    const h = await cleanupFailed(client, world, site, 'monitor');
    await until(h, (s) => s.steps.some((x) => x.name === 'watch_primary' && x.outcome === 'running'));
    world.state(site).primaryUp = false;
    await until(
      h,
      (s) => s.phase === 'on_standby' && s.steps.filter((x) => x.name === 'verify_public_url_on_standby').length === 2,
    );
    await h.terminate('recorded on standby again');
    return h;
  },
  'i16-retry-primary-down': async ({ client, world, site }) => {
    const h = await cleanupFailed(client, world, site);
    world.state(site).primaryUp = false;
    await h.signal(retry, { by: 'recorder' });
    await until(
      h,
      (s) => s.phase === 'on_standby' && s.steps.filter((x) => x.name === 'verify_public_url_on_standby').length === 2,
    );
    await h.terminate('recorded on standby again');
    return h;
  },
  'i16-refailover-rolled-back': async ({ client, world, site }) => {
    const h = await draining(client, world, site);
    world.inject(site, 'probe:public', { times: Infinity });
    world.state(site).primaryUp = false;
    await h.signal(alertOpened, { alertId: 'during-drain', source: 'test' });
    await until(h, (s) => s.steps.filter((x) => x.name === 'verify_public_url_on_standby').length === 2);
    world.state(site).primaryUp = true;
    await h.result();
    world.clearFaults();
    return h;
  },
  'i16-cancel-during-drain': async ({ client, world, site }) => {
    const h = await draining(client, world, site);
    await h.cancel();
    await h.result();
    return h;
  },
  'i16-abort-after-verified': async ({ client, world, site }) => {
    const h = await draining(client, world, site);
    await h.signal(abort, { by: 'recorder' });
    await h.result();
    return h;
  },
  'i16-auto-failback-relapse': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const policy = { ...incidentPolicy(config.sites[site]!), drainBeforeCloseMs: 2000 };
    const h = await new Incidents(client, TASK_QUEUE, () => policy).trigger(site, { alertId: 'first', source: 'test' });
    await waitForPhase(h, 'on_standby');
    for (let i = 1; i <= 2; i++) {
      world.state(site).primaryUp = true;
      await until(h, (s) => s.steps.some((x) => x.name === 'drain_standby' && x.outcome === 'running'), 30_000);
      world.state(site).primaryUp = false;
      await h.signal(alertOpened, { alertId: `relapse-${i}`, source: 'test' });
      await until(
        h,
        (s) => s.phase === 'on_standby' && !s.steps.some((x) => x.outcome === 'running' && x.name === 'drain_standby'),
      );
    }
    world.state(site).primaryUp = true;
    await until(h, (s) => s.warnings.some((w) => w.startsWith('automatic failback stopped')), 30_000);
    await h.terminate('recorded after automatic failback stopped');
    return h;
  },
  'i16-failover-auto-retry': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false, standbyUp: false });
    const policy = {
      ...incidentPolicy(config.sites[site]!),
      standbyReadyTimeoutMs: 500,
      failoverRetry: { maxAttempts: 1, backoffMs: 300 },
    };
    const h = await new Incidents(client, TASK_QUEUE, () => policy).trigger(site, { alertId: 'first', source: 'test' });
    await waitForPhase(h, 'needs_attention');
    world.state(site).standbyUp = true;
    await waitForPhase(h, 'on_standby');
    await h.terminate('recorded on standby after the automatic retry');
    return h;
  },
  'i16-outage-skips-pause-wait': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    world.inject(site, 'monitor', { times: Infinity });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await until(h, (s) => s.steps.some((x) => x.name === 'verify_public_url_on_primary' && x.outcome === 'ok'));
    world.state(site).primaryUp = false;
    await h.signal(alertOpened, { alertId: 'second-outage', source: 'test' });
    await until(
      h,
      (s) => s.phase === 'on_standby' && s.steps.filter((x) => x.name === 'verify_public_url_on_standby').length === 2,
    );
    await h.terminate('recorded on standby again');
    world.clearFaults();
    return h;
  },
  'i16-outage-cancels-cleanup': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    world.inject(site, 'standbyAccess', { times: Infinity });
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await until(h, (s) => s.steps.some((x) => x.name === 'close_standby_access' && x.outcome === 'running'));
    world.state(site).primaryUp = false;
    await h.signal(alertOpened, { alertId: 'second-outage', source: 'test' });
    world.clearFaults();
    await until(
      h,
      (s) => s.phase === 'on_standby' && s.steps.filter((x) => x.name === 'verify_public_url_on_standby').length === 2,
    );
    await h.terminate('recorded on standby again');
    return h;
  },
  'i16-cancel-during-pause-wait': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    world.inject(site, 'monitor', { times: Infinity });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await until(h, (s) => s.steps.some((x) => x.name === 'verify_public_url_on_primary' && x.outcome === 'ok'));
    await h.cancel();
    world.clearFaults();
    await h.result();
    return h;
  },
  'unconfirmed-alert': async ({ client, world, site }) => {
    world.addSite(site);
    const h = await Incidents.of(client, config, TASK_QUEUE).trigger(site, { alertId: 'late', source: 'pubsub' });
    await h.result();
    return h;
  },
};

// Issue 18: an incident that notifies its phase changes (the webhook failing twice first), and one
// notification's own workflow, with its failed attempts.
const NOTIFY: NotifyPolicy = {
  channels: ['ops'],
  phases: [...NOTIFIED_PHASES],
  deliverForMs: 60_000,
  attemptTimeoutMs: 5000,
};
const notifying = (client: Client) =>
  new Incidents(client, TASK_QUEUE, (s) => ({ ...incidentPolicy(config.sites[s]!), notify: NOTIFY }));
async function notifiedFailback({ client, world, site }: Parameters<Scenario>[0]): Promise<IncidentHandle> {
  world.addSite(site, { primaryUp: false });
  receiver.failNext(2);
  const h = await notifying(client).trigger(site, { alertId: 'n-1', source: 'test' });
  await waitForPhase(h, 'on_standby');
  world.state(site).primaryUp = true;
  await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
  await h.result();
  return h;
}
Object.assign(scenarios, {
  'i18-notify-failback': notifiedFailback,
  'i18-notification': async (ctx) => {
    const h = await notifiedFailback(ctx);
    const { runId } = await h.describe();
    const first = ctx.client.workflow.getHandle(`notify/${h.workflowId}/${runId}/1`);
    await first.result();
    return { workflowId: first.workflowId, runIds: [(await first.describe()).runId] };
  },
  'i18-notify-rollback': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: true });
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'zone z: missing') });
    const h = await notifying(client).trigger(site, { alertId: 'n-1', source: 'test' });
    await h.result();
    return h;
  },
  // A warmed standby (standby.warmup): warm_standby before the standby is opened, cool_standby after the failback.
  'i18-warm-standby': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false, minInstances: 1 });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await h.result();
    return h;
  },
} satisfies Record<string, Scenario>);

// Since issue 16: every trigger source, Pub/Sub with the confirm-outage and bounded-failback
// markers, a rollback with the primary serving, and continue-as-new with its carried run.
Object.assign(scenarios, {
  // One readiness run of a ready in-memory site (issue 18): the checks, FailoverReady, the gauges.
  readiness: async ({ client, world, site }) => {
    world.addSite(site);
    const h = await client.workflow.start('readiness', {
      workflowId: `readiness-${site}-recorded`,
      taskQueue: TASK_QUEUE,
      args: [{ site }],
    });
    await h.result();
    return { workflowId: h.workflowId, runIds: [h.firstExecutionRunId] };
  },
  // A first readiness run that finds the site not ready (traffic left on the standby): notified.
  'readiness-notify': async ({ client, world, site }) => {
    world.addSite(site);
    world.state(site).traffic = 'standby';
    const notify = { channels: ['ops'], phases: [], deliverForMs: 60_000, attemptTimeoutMs: 5000 };
    const h = await client.workflow.start('readiness', {
      workflowId: `readiness-${site}-recorded`,
      taskQueue: TASK_QUEUE,
      args: [{ site, notify }],
    });
    if ((await h.result()).ready) throw new Error('readiness-notify: the site was ready; nothing was notified');
    return { workflowId: h.workflowId, runIds: [h.firstExecutionRunId] };
  },
  'source-pubsub': fromSource('pubsub'),
  'source-watcher': fromSource('watcher'),
  'source-cli': fromSource('cli'),
  'source-ui': fromSource('ui'),
  'rollback-primary-serves': async ({ client, world, site }) => {
    world.addSite(site);
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'no edit') });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await h.result();
    return h;
  },
  'pubsub-auto-failback-retried': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await Incidents.of(client, config, TASK_QUEUE).trigger(site, { alertId: 'p-1', source: 'pubsub' });
    await waitForPhase(h, 'on_standby');
    world.inject(site, 'probe:public', { times: 30 });
    world.state(site).primaryUp = true;
    await h.result();
    return h;
  },
  'continue-as-new': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await Incidents.of(client, config, TASK_QUEUE).trigger(site, { alertId: 'w-1', source: 'watcher' });
    await waitForPhase(h, 'on_standby');
    const first = (await h.describe()).runId;
    for (let i = 0; i < CONTINUE_AS_NEW_AFTER_EVENTS; i++) await h.signal(primaryRecovered, { by: `w-${i}` });
    const latest = client.workflow.getHandle(h.workflowId);
    while ((await latest.describe()).runId === first) await new Promise((r) => setTimeout(r, 50));
    await waitForPhase(latest, 'on_standby');
    world.state(site).primaryUp = true;
    await latest.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await latest.result();
    return { workflowId: h.workflowId, runIds: [first, (await latest.describe()).runId] };
  },
  'i16-attention-continue-as-new': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false, standbyUp: false });
    const policy = { ...incidentPolicy(config.sites[site]!), standbyReadyTimeoutMs: 500 };
    const h = await new Incidents(client, TASK_QUEUE, () => policy).trigger(site, { alertId: 'first', source: 'test' });
    await waitForPhase(h, 'needs_attention');
    const first = (await h.describe()).runId;
    for (let i = 0; i < CONTINUE_AS_NEW_AFTER_EVENTS; i++) {
      await h.signal(alertClosed, { alertId: `closed-${i}`, source: 'test' });
    }
    const latest = client.workflow.getHandle(h.workflowId);
    while ((await latest.describe()).runId === first) await new Promise((r) => setTimeout(r, 50));
    world.state(site).standbyUp = true;
    await latest.signal(retry, { by: 'recorder' });
    await waitForPhase(latest, 'on_standby');
    world.state(site).primaryUp = true;
    await latest.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await latest.result();
    return { workflowId: h.workflowId, runIds: [first, (await latest.describe()).runId] };
  },
  'i16-undo-continue-as-new': async ({ client, world, site }) => {
    world.addSite(site);
    world.inject(site, 'probe:public', { times: Infinity });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await until(h, (s) => s.steps.some((x) => x.name === 'verify_public_url_on_standby' && x.outcome === 'running'));
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'revoked') });
    await waitForPhase(h, 'needs_attention');
    return continuedThenRetried(client, world, h);
  },
  'i16-failback-undo-continue-as-new': async ({ client, world, site }) => {
    world.addSite(site, { primaryUp: false });
    const h = await trigger(client, config, TASK_QUEUE, site);
    await waitForPhase(h, 'on_standby');
    world.state(site).primaryUp = true;
    world.inject(site, 'probe:public', { times: Infinity });
    void h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await until(h, (s) => s.steps.some((x) => x.name === 'verify_public_url_on_primary' && x.outcome === 'running'));
    world.inject(site, 'traffic', { times: Infinity, error: new ProviderError('permission', 'revoked') });
    await waitForPhase(h, 'needs_attention');
    const ids = await continuedThenRetried(client, world, h, false);
    const latest = client.workflow.getHandle(h.workflowId) as IncidentHandle;
    await waitForPhase(latest, 'on_standby');
    await latest.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
    await latest.result();
    return ids;
  },
  'i16-cleanup-continue-as-new': async ({ client, world, site }) => {
    const h = await cleanupFailed(client, world, site, 'monitor');
    await until(h, (s) => s.steps.some((x) => x.name === 'watch_primary' && x.outcome === 'running'));
    const first = (await h.describe()).runId;
    for (let i = 0; i < CONTINUE_AS_NEW_AFTER_EVENTS; i++) {
      await h.signal(alertClosed, { alertId: `closed-${i}`, source: 'test' });
    }
    const latest = client.workflow.getHandle(h.workflowId);
    while ((await latest.describe()).runId === first) await new Promise((r) => setTimeout(r, 50));
    await latest.signal(retry, { by: 'recorder' });
    await latest.result();
    return { workflowId: h.workflowId, runIds: [first, (await latest.describe()).runId] };
  },
} satisfies Record<string, Scenario>);

/** Floods an incident in needs_attention until it continues as new, then clears the faults and retries. */
async function continuedThenRetried(client: Client, world: InMemoryWorld, h: IncidentHandle, toTheEnd = true) {
  const first = (await h.describe()).runId;
  for (let i = 0; i < CONTINUE_AS_NEW_AFTER_EVENTS; i++) {
    await h.signal(alertClosed, { alertId: `closed-${i}`, source: 'test' });
  }
  const latest = client.workflow.getHandle(h.workflowId);
  while ((await latest.describe()).runId === first) await new Promise((r) => setTimeout(r, 50));
  await waitForPhase(latest as IncidentHandle, 'needs_attention');
  world.clearFaults();
  await latest.signal(retry, { by: 'recorder' });
  if (toTheEnd) await latest.result();
  return { workflowId: h.workflowId, runIds: [first, (await latest.describe()).runId] };
}

/** A site whose failback verified the primary and whose cleanup failed for good: needs_attention. */
async function cleanupFailed(
  client: Client,
  world: InMemoryWorld,
  site: string,
  lever: 'standbyAccess' | 'monitor' = 'standbyAccess',
): Promise<IncidentHandle> {
  world.addSite(site, { primaryUp: false });
  const h = await trigger(client, config, TASK_QUEUE, site);
  await waitForPhase(h, 'on_standby');
  world.state(site).primaryUp = true;
  world.inject(site, lever, { times: Infinity, error: new ProviderError('permission', 'revoked') });
  await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
  await waitForPhase(h, 'needs_attention');
  world.clearFaults();
  return h;
}

/** A DNS-like site failed back by hand, caught in its drain. */
async function draining(client: Client, world: InMemoryWorld, site: string): Promise<IncidentHandle> {
  world.addSite(site, { primaryUp: false });
  const policy = { ...incidentPolicy(config.sites[site]!), drainBeforeCloseMs: 2000 };
  const h = await new Incidents(client, TASK_QUEUE, () => policy).trigger(site, { alertId: 'first', source: 'test' });
  await waitForPhase(h, 'on_standby');
  world.state(site).primaryUp = true;
  await h.executeUpdate(requestFailback, { args: [{ by: 'recorder' }] });
  await until(h, (s) => s.steps.some((x) => x.name === 'drain_standby' && x.outcome === 'running'));
  return h;
}

async function until(h: IncidentHandle, done: (s: IncidentStatus) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(await h.query(statusQuery))) {
    if (Date.now() > deadline) throw new Error(`${h.workflowId}: not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const requested = process.argv.slice(2);
const unknown = requested.filter((n) => !(n in scenarios));
if (unknown.length) {
  throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
}
const names = requested.length
  ? requested
  : Object.keys(scenarios).filter((n) => ![`${n}.json`, `${n}-run1.json`].some((f) => existsSync(new URL(f, OUT))));
const config = inMemoryConfig(
  Object.keys(scenarios).filter((n) => !autoSites.has(n)),
  {
    probe: {
      interval: '20ms',
      successesNeeded: 1,
      standbyReadyTimeout: '1m',
      verifyTimeout: '1s',
      primaryCheckTimeout: '1s',
    },
  },
);
Object.assign(
  config.sites,
  inMemoryConfig([...autoSites], {
    failback: { mode: 'auto', holdDown: '500ms', maxAutoAttempts: 2, retryBackoff: '300ms' },
    probe: { interval: '20ms', successesNeeded: 1, verifyTimeout: '500ms' },
  }).sites,
);

const warmSites = ['i18-warm-standby'];
Object.assign(
  config.sites,
  inMemoryConfig(warmSites, {
    standby: { url: 'https://standby.example.test/', access: { type: 'in-memory' }, warmup: { minInstances: 2 } },
    probe: { interval: '20ms', successesNeeded: 1, verifyTimeout: '1s', primaryCheckTimeout: '1s' },
  }).sites,
);

async function main(): Promise<void> {
  if (names.length === 0) return console.log('every scenario has a recorded history; name some to record them again');
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run through `npm run record-histories`');
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    shutdownSignals: [],
  });
  const env = await startLocalTemporal([
    '--dynamic-config-value',
    `limit.historyCount.suggestContinueAsNew=${CONTINUE_AS_NEW_AFTER_EVENTS}`,
  ]);
  const world = new InMemoryWorld({ intervalMs: 20, successesNeeded: 1 });
  const notifiers = buildNotifiers(
    { ...config, notifications: { ...NOTIFICATIONS, channels: { ops: { type: 'webhook', urlEnv: 'OPS_URL' } } } },
    { env: { OPS_URL: `${receiver.url}/webhook` } },
  );
  const registry = buildRegistry(config, { world });
  const worker = await createMainWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    registry,
    ...(notifiers && { notifiers }),
    readiness: { registry, target: (s) => readinessTarget(config, s), history: readinessHistory(env.client) },
  });
  mkdirSync(OUT, { recursive: true });
  await worker.runUntil(async () => {
    for (const name of names) {
      const recorded = await scenarios[name]!({ client: env.client, world, site: name });
      const runs = 'runIds' in recorded ? recorded.runIds : [undefined];
      for (const [i, runId] of runs.entries()) {
        const file = runs.length > 1 ? `${name}-run${i + 1}` : name;
        // The CLI's JSON is the format the Temporal UI downloads and the replayer reads.
        const json = execFileSync(
          cli,
          [
            'workflow',
            'show',
            '--workflow-id',
            recorded.workflowId,
            ...(runId ? ['--run-id', runId] : []),
            '--address',
            env.address,
            '--output',
            'json',
          ],
          { encoding: 'utf8' },
        );
        writeFileSync(new URL(`${file}.json`, OUT), json);
        console.log(`recorded ${file} (${JSON.parse(json).events.length} events)`);
      }
    }
  });
  await env.teardown();
  await receiver.close();
}

const receiver = await startNotificationReceiver();
const NOTIFICATIONS = { phases: [...NOTIFIED_PHASES], deliverFor: 60_000, attemptTimeout: 5000 };

await main();

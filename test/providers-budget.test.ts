// A late attempt cannot undo a rollback (issue 8, item 9): the activity's cancellation and its
// attempt deadline reach the real SDK calls against the simulator. A cancelled or timed-out
// attempt sends nothing more, stops its etag rounds, and never lands its write afterwards.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createIncidentActivities } from '../activities/incident.ts';
import { CloudflarePageRuleTraffic } from '../activities/providers/cloudflare/page-rule/adapter.ts';
import { CloudRunStandbyAccess } from '../activities/providers/google/cloud-run/adapter.ts';
import { AlertPolicyMonitor } from '../activities/providers/google/monitoring/adapter.ts';
import { buildRegistry } from '../clients/providers.ts';
import { startSandboxWorld, type SandboxWorld } from '../sandbox/world.ts';
import { providerError, retryable, sandboxClients, type SandboxClients } from './support/sandbox.ts';

let world: SandboxWorld;
let clients: SandboxClients;

beforeAll(async () => {
  world = await startSandboxWorld({ seed: 9, sites: ['late-run', { name: 'late-page', traffic: 'page-rule' }] });
  clients = sandboxClients(world);
  // Warm the clients (the first Google call loads its protos), so that timings measure the budget.
  await access().read();
  await new AlertPolicyMonitor({
    client: clients.monitoring,
    alertPolicy: world.sites['late-run']!.alertPolicy!,
  }).read();
});
afterAll(async () => {
  await clients?.close();
  await world?.stop();
});
afterEach(async () => {
  await world.control.release(); // anything still held
  await world.control.clearFaults();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const access = (opts: { conflictRetries?: number } = {}) =>
  new CloudRunStandbyAccess({
    client: clients.run,
    project: 'sandbox-project',
    region: 'europe-west1',
    service: 'late-run-standby',
    timeoutMs: 10_000,
    ...opts,
  });
const service = () => world.sites['late-run']!.serviceName;
const standbyStatus = async () => (await fetch(world.urls.sites['late-run']!.standby)).status;

/** The calls made to a resource since `seq`, as "op status". */
async function callsOn(resource: string, seq: number): Promise<string[]> {
  return (await world.control.calls(seq)).filter((c) => c.resource.includes(resource)).map((c) => c.op);
}

describe('the attempt budget reaches the SDK calls', () => {
  test('Cloud Run: a read slower than the deadline is cut at the deadline, and no write follows it', async () => {
    await world.control.addFault({ api: 'run', op: 'getIamPolicy', latencyMs: 3000 });
    const seq = await world.control.seq();
    const t0 = Date.now();
    const err = await providerError(access().set('open', { deadline: Date.now() + 1000 }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(retryable(err)).toBe(true);
    await sleep(3000); // the slow read would have answered by now
    expect(await callsOn(service(), seq)).not.toContain('setIamPolicy');
    expect(await standbyStatus()).toBe(403);
  });

  test('Cloud Run: a cancelled attempt stops waiting at once and never sends its write', async () => {
    await world.control.addFault({ api: 'run', op: 'getIamPolicy', hold: 'before' });
    const seq = await world.control.seq();
    const cancel = new AbortController();
    const run = providerError(access().set('open', { signal: cancel.signal }));
    await world.control.waitForHeld({ api: 'run', op: 'getIamPolicy' });
    const t0 = Date.now();
    cancel.abort();
    const err = await run;
    expect(Date.now() - t0).toBeLessThan(500);
    expect(err.message).toMatch(/cancelled/);
    await world.control.release(); // the read is answered, to nobody
    await sleep(500);
    expect(await callsOn(service(), seq)).not.toContain('setIamPolicy');
    expect(await standbyStatus()).toBe(403);
  });

  test('Cloud Run: a write already sent is waited for on cancel, so it never lands after the attempt ended', async () => {
    await world.control.addFault({ api: 'run', op: 'setIamPolicy', hold: 'before', times: 1 });
    const cancel = new AbortController();
    let settled = false;
    const run = access()
      .set('open', { signal: cancel.signal })
      .finally(() => (settled = true));
    await world.control.waitForHeld({ api: 'run', op: 'setIamPolicy' });
    cancel.abort();
    await sleep(500);
    expect(settled).toBe(false); // still waiting for the write's answer
    await world.control.release();
    expect(await run).toMatchObject({ changed: true }); // it landed, and the attempt says so
    expect(await standbyStatus()).toBe(200);
    await access().set('closed');
  });

  test('Cloud Run: etag-conflict rounds stop at the deadline', async () => {
    await world.control.addFault({ api: 'run', op: 'setIamPolicy', etagConflict: true, latencyMs: 300 });
    const seq = await world.control.seq();
    const err = await providerError(access({ conflictRetries: 20 }).set('open', { deadline: Date.now() + 1500 }));
    expect(retryable(err)).toBe(true);
    await sleep(800); // a write sent just before the deadline is still logged by the simulator
    const writes = (await callsOn(service(), seq)).filter((op) => op === 'setIamPolicy').length;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(5); // not the 20 rounds allowed
    await sleep(1000);
    expect((await callsOn(service(), seq)).filter((op) => op === 'setIamPolicy')).toHaveLength(writes);
  });

  test('Cloudflare: a slow read is aborted at the deadline (the SDK takes the signal), no edit follows', async () => {
    const s = world.sites['late-page']!;
    const lever = new CloudflarePageRuleTraffic({
      client: clients.cloudflare,
      zoneId: s.zoneId,
      pageRuleId: s.pageRuleId!,
    });
    await world.control.addFault({ api: 'cloudflare', op: 'pagerules.get', latencyMs: 3000 });
    const seq = await world.control.seq();
    const t0 = Date.now();
    const err = await providerError(lever.set('standby', { deadline: Date.now() + 1000 }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(retryable(err)).toBe(true);
    await sleep(3000);
    expect(await callsOn(s.pageRuleId!, seq)).not.toContain('pagerules.edit');
    expect(await lever.read()).toEqual({ pageRuleStatus: 'disabled' });
  });

  test('Cloudflare: a cancelled attempt sends nothing more', async () => {
    const s = world.sites['late-page']!;
    const lever = new CloudflarePageRuleTraffic({
      client: clients.cloudflare,
      zoneId: s.zoneId,
      pageRuleId: s.pageRuleId!,
    });
    await world.control.addFault({ api: 'cloudflare', op: 'pagerules.get', hold: 'before' });
    const seq = await world.control.seq();
    const cancel = new AbortController();
    const run = providerError(lever.set('standby', { signal: cancel.signal }));
    await world.control.waitForHeld({ api: 'cloudflare', op: 'pagerules.get' });
    const t0 = Date.now();
    cancel.abort();
    expect((await run).message).toMatch(/aborted/);
    expect(Date.now() - t0).toBeLessThan(1000); // not the client's 5 s timeout
    await world.control.release();
    await sleep(500);
    expect(await callsOn(s.pageRuleId!, seq)).not.toContain('pagerules.edit');
  });

  test('Monitoring: a slow read is cut at the deadline, no update follows', async () => {
    const policy = world.sites['late-run']!.alertPolicy!;
    const lever = new AlertPolicyMonitor({ client: clients.monitoring, alertPolicy: policy, timeoutMs: 10_000 });
    await world.control.addFault({ api: 'monitoring', op: 'getAlertPolicy', latencyMs: 3000 });
    const seq = await world.control.seq();
    await providerError(lever.set('paused', { deadline: Date.now() + 1000 }));
    await sleep(3000);
    expect(await callsOn(policy, seq)).not.toContain('updateAlertPolicy');
  });

  test('the activity derives its deadline from its start-to-close: a stuck open never lands after the attempt', async () => {
    const activities = createIncidentActivities(buildRegistry(world.config, { env: world.env }));
    await new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }).run(activities.readStandbyAccess, 'late-run'); // warm its client
    await world.control.addFault({ api: 'run', op: 'getIamPolicy', latencyMs: 5000 });
    const seq = await world.control.seq();
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 3000 });
    const t0 = Date.now();
    await expect(env.run(activities.openStandbyAccess, 'late-run')).rejects.toMatchObject({ type: 'Unavailable' });
    expect(Date.now() - t0).toBeLessThan(3000);
    await sleep(3000);
    expect(await callsOn(service(), seq)).not.toContain('setIamPolicy');
    expect(await standbyStatus()).toBe(403);
  });
});

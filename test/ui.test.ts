// The Temporal Web UI, in a real (headless) Chromium, shows what an operator needs: the
// FailoverPhase filter lists incidents by phase, an incident's history shows every step, the
// `status` query answers, and `approveFailback` sent from the UI's signal dialog fails a site
// back. Its own dev server with the UI on (the suite's global one is headless), the sandbox
// world, the worker as a process. Screenshots: .data/artifacts/ui/.
//
// Steps are found by their activity type today (enable_standby_access → openStandbyAccess, …).
// When the workflows give activities a summary (user metadata) naming the step, the UI shows the
// step name too: then tighten `stepShown` to require the step name (see STEP_ACTIVITY).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '../harness/browser.ts';
import { startUiWorld, type UiWorld } from './support/ui-world.ts';

const ARTIFACTS = fileURLToPath(new URL('../.data/artifacts/ui/', import.meta.url));

/** Every step of a failover and a (manual) failback, and the activity that carries it today. */
/** Whether the UI's event history shows a step by its name (each activity's summary is its step). */
const STEPS = [
  'pause_monitor',
  'enable_standby_access',
  'await_standby_ready',
  'route_traffic_to_standby',
  'verify_public_url_on_standby',
  'await_primary_healthy',
  'route_traffic_to_primary',
  'verify_public_url_on_primary',
  'close_standby_access',
  'resume_monitor',
];

function stepShown(history: string, step: string): boolean {
  return history.includes(step);
}

let ui: UiWorld;
let browser: Browser;
let page: Page;
const runIds: Record<string, string> = {};

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium(); // installs the distribution's chromium when missing
  ui = await startUiWorld(['www', 'shop']);
  // shop: a whole incident, failed over and back (approved through the client).
  await ui.world.control.killPrimary('shop');
  await ui.trigger('shop');
  await ui.waitForPhase('shop', 'on_standby');
  await ui.world.control.revivePrimary('shop');
  await ui.client.workflow.getHandle('incident-shop').signal('approveFailback', { by: 'test' });
  await ui.waitForPhase('shop', 'resolved');
  // www: on standby, its primary back, waiting for a human to approve the failback.
  await ui.world.control.killPrimary('www');
  await ui.trigger('www');
  await ui.waitForPhase('www', 'on_standby');
  await ui.world.control.revivePrimary('www');
  for (const site of ['www', 'shop'])
    runIds[site] = (await ui.client.workflow.getHandle(`incident-${site}`).describe()).runId;
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
});

const listUrl = (query: string) => `${ui.dev.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;

// The first page load of the UI (a cold Svelte app on a loaded machine) can take long.
vi.setConfig({ testTimeout: 120_000 });

describe('Temporal UI', () => {
  it('the FailoverPhase filter lists incidents by phase', async () => {
    await page.goto(listUrl('FailoverPhase = "on_standby"'));
    await expect
      .poll(() => page.getByRole('link', { name: 'incident-www', exact: true }).count(), { timeout: 90_000 })
      .toBe(1);
    expect(await page.locator('body').innerText()).toMatch(/FailoverPhase\s*=\s*"on_standby"/);
    expect(await page.getByRole('link', { name: 'incident-shop', exact: true }).count()).toBe(0);
    await shot('list-on-standby');

    await page.goto(listUrl('FailoverPhase = "resolved"'));
    await expect
      .poll(() => page.getByRole('link', { name: 'incident-shop', exact: true }).count(), { timeout: 45_000 })
      .toBe(1);
    expect(await page.getByRole('link', { name: 'incident-www', exact: true }).count()).toBe(0);
    await shot('list-resolved');
  });

  it("an incident's history shows every step", async () => {
    await page.goto(listUrl('FailoverSite = "shop"'));
    await page.getByRole('link', { name: 'incident-shop', exact: true }).click();
    await page.waitForURL(/incident-shop/);
    const rows = page.locator('[data-testid="event-summary-row"]');
    await expect.poll(() => rows.count(), { timeout: 45_000 }).toBeGreaterThan(20);
    // Only the event history (the result pane holds the status, step names included).
    const history = (await rows.allTextContents()).join('\n');
    const missing = STEPS.filter((step) => !stepShown(history, step));
    expect(missing, `steps not in the UI's history:\n${history.slice(0, 3000)}`).toEqual([]);
    // Both directions of the traffic switch and both verifications are there.
    expect(history.split('routeTraffic').length - 1).toBeGreaterThanOrEqual(2);
    expect(history.split('verifyPublicUrl').length - 1).toBeGreaterThanOrEqual(2);
    await shot('history-shop');
  });

  it('the status query answers in the UI', async () => {
    await page.goto(`${ui.dev.uiUrl}/namespaces/default/workflows/incident-www/${runIds.www}/query`);
    await page.getByTestId('query-select-button').click();
    await page.getByRole('option', { name: 'status', exact: true }).click();
    await page.getByRole('button', { name: 'Run Query' }).click();
    const result = page.getByTestId('query-result');
    await expect.poll(() => result.textContent(), { timeout: 45_000 }).toMatch(/"phase":\s*"on_standby"/);
    expect(await result.textContent()).toContain('route_traffic_to_standby');
    await shot('query-status-www');
  });

  it("approveFailback from the UI's signal dialog fails the site back", async () => {
    await page.goto(`${ui.dev.uiUrl}/namespaces/default/workflows/incident-www/${runIds.www}/history`);
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.getByTestId('signal-button').filter({ visible: true }).click();
    const dialog = page.locator('dialog[open][data-testid="signal-confirmation-modal"]');
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(1);
    await dialog.getByTestId('signal-select-button').click();
    await dialog.getByRole('option', { name: 'approveFailback', exact: true }).click();
    await dialog.locator('[role="textbox"][data-language="json"]').click();
    await page.keyboard.insertText('{"by":"ui-test","reason":"approved in the browser test"}');
    await shot('signal-dialog');
    await dialog.getByTestId('confirm-modal-button').click();

    await ui.waitForPhase('www', 'resolved', 60_000);
    const status = (await ui.client.workflow.getHandle('incident-www').query('status')) as {
      triggers: Array<{ kind: string; source: string; ignored?: string }>;
      steps: Array<{ name: string; outcome: string }>;
    };
    expect(status.triggers).toContainEqual(expect.objectContaining({ kind: 'failback_requested', source: 'ui-test' }));
    expect(status.triggers.find((t) => t.source === 'ui-test')?.ignored).toBeUndefined();
    for (const step of ['route_traffic_to_primary', 'verify_public_url_on_primary', 'close_standby_access']) {
      expect(status.steps).toContainEqual(expect.objectContaining({ name: step, outcome: 'ok' }));
    }
    // And the UI shows it: the signal in the history, the incident completed.
    await page.reload();
    await expect
      .poll(async () => (await page.locator('[data-testid="event-summary-row"]').allTextContents()).join('\n'), {
        timeout: 45_000,
      })
      .toContain('approveFailback');
    await expect.poll(() => page.getByText('Completed').first().isVisible(), { timeout: 45_000 }).toBe(true);
    await shot('after-ui-failback');
  });
});

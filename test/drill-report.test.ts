// A short smoke run of `npm run drill` (one rehearsal, short waits) as a process, then its HTML
// report opened in headless Chromium: the charts rendered (SVG marks present), the tables hold
// the figures of data.json. The real measurements (medians over repeats) are not made here:
// `npm run drill -- --repeat 5 …`, see docs/drill.md. Screenshot: .data/artifacts/drill/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../harness/browser.ts';
import type { DrillResult } from '../drill/result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = join(ROOT, '.data/artifacts/drill');
const out = mkdtempSync(join(tmpdir(), 'failover-drill-'));
let result: DrillResult;
let stdout = '';
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const args = [
    'drill/main.ts',
    '--scenario',
    'open-standby',
    '--repeat',
    '1',
    '--warmup',
    '1500ms',
    '--on-standby',
    '1s',
    '--hold-down',
    '2s',
    '--tail',
    '1s',
    '--rate',
    '30',
    '--out',
    out,
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  child.stdout.on('data', (b: Buffer) => ((stdout += b.toString()), (all += b.toString())));
  child.stderr.on('data', (b: Buffer) => (all += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, all).toBe(0);
  result = JSON.parse(readFileSync(join(out, 'data.json'), 'utf8')) as DrillResult;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

describe('npm run drill (smoke)', () => {
  it('rehearses a failover and a failback and measures what users saw', () => {
    const [scenario] = result.scenarios;
    expect(scenario?.analyses).toHaveLength(1);
    const a = scenario!.analyses[0]!;
    expect(a.ok, a.error).toBe(true);
    // The primary was killed under load: users saw failures, then the standby, then the primary.
    expect(a.failover.failed).toBeGreaterThan(0);
    expect(a.failover.byKind['5xx']).toBeGreaterThan(0);
    expect(a.failover.downtimeMs).toBeGreaterThan(500);
    expect(a.failover.downtimeMs).toBeLessThan(10_000);
    expect(a.detectionMs).toBeGreaterThan(1000); // watcher 1 s × 3: at least 2 intervals
    // The failback drops nothing (the target), and every step is in the timeline.
    expect(a.failback?.failed).toBe(0);
    const labels = a.timeline.map((e) => e.label);
    for (const step of [
      'enable_standby_access',
      'route_traffic_to_standby',
      'verify_public_url_on_standby',
      'route_traffic_to_primary',
      'close_standby_access',
    ]) {
      expect(labels).toContain(`${step} finished`);
    }
    expect(labels).toContain('first good response (from the standby)');
    const served = new Set(scenario!.runs[0]!.samples.filter((s) => s.kind === 'ok').map((s) => s.servedBy));
    expect([...served].sort()).toEqual(['primary', 'standby']);
    // The sandbox's notification endpoint got each phase change once per channel (issue 18).
    const notified = scenario!.notifications ?? [];
    for (const channel of ['webhook', 'slack'] as const) {
      const delivered = notified.filter((n) => n.channel === channel && n.status === 200);
      // Sorted: each event is its own delivery, so two close together may arrive in either order.
      expect(delivered.map((n) => n.state).sort()).toEqual(['failing_back', 'failing_over', 'on_standby', 'resolved']);
      expect(new Set(delivered.map((n) => n.id)).size).toBe(4);
    }
    // The terminal summary.
    expect(stdout).toMatch(/open-standby\s+1\/1\s+\d+\.\d\d s/);
    expect(stdout).toContain('report: ');
  });

  it('writes an HTML report whose charts render in a browser', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`file://${join(out, 'report.html')}`);
    const chart = page.locator('figure.chart[data-repeat="1"] svg');
    expect(await chart.count()).toBe(1);
    // Availability: one rect per outcome per time bin; latency lines; the steps as rules; labels.
    expect(await chart.locator('g.mark-rect path').count()).toBeGreaterThan(50);
    expect(await chart.locator('g.mark-line path').count()).toBeGreaterThanOrEqual(2);
    expect(await chart.locator('g.mark-rule line').count()).toBeGreaterThanOrEqual(10);
    expect(await chart.locator('g.mark-text text').allTextContents()).toContain('failure injected');
    const box = await chart.boundingBox();
    expect(box!.width).toBeGreaterThan(600);
    expect(box!.height).toBeGreaterThan(250);
    // The comparison with the origin: this drill and the origin's 3 and 13 minutes.
    expect(await page.locator('#comparison svg g.mark-rect path').count()).toBe(3);
    const summary = await page.locator('#summary').innerText();
    expect(summary).toContain('origin, first attempt');
    expect(summary).toContain('13 min');
    const downtime = result.scenarios[0]!.summary.downtimeMs!;
    expect(summary).toContain(`${(downtime / 1000).toFixed(2)} s`);
    expect(await page.locator('table.timeline tr').count()).toBeGreaterThan(15);
    expect(await page.locator('table.notifications tbody tr').count()).toBe(result.scenarios[0]!.notifications!.length);
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.close();
  });
});

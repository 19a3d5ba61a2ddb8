// The drill's HTML report: tables (summary, the origin's 13 and 3 min, timeline in the origin's
// style, what users saw) and charts of availability and latency over time with the steps drawn
// on them. Charts are Vega-Lite specs rendered to SVG here, server-side (no browser needed to
// make them, no script needed to view them); the spec of each is kept beside it.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunAnalysis, RunRecord, WindowReport, Percentiles } from './analyze.ts';
import type { DrillResult } from './result.ts';
import { ORIGIN, kinds, medianRun, realTimeDowntime, secs, statuses, times } from './summary.ts';

const esc = (s: unknown) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const OUTCOME_ORDER = [
  'served by primary',
  'served by standby',
  'standby closed (403)',
  '5xx',
  'timeout',
  'reset',
  'refused',
  'other error',
];
const OUTCOME_COLORS = ['#2e7d32', '#1565c0', '#ef6c00', '#c62828', '#6a1b9a', '#ad1457', '#4e342e', '#757575'];

function outcomeOf(s: RunRecord['samples'][number]): string {
  if (s.kind === 'ok') return s.servedBy === 'standby' ? 'served by standby' : 'served by primary';
  if (s.kind === 'standby-closed-403') return 'standby closed (403)';
  if (s.kind === '5xx' || s.kind === 'timeout' || s.kind === 'reset' || s.kind === 'refused') return s.kind;
  return 'other error';
}

/** Availability (outcome shares per bin) and latency (p50, max per bin) over time, steps drawn on both. */
function timelineSpec(run: RunRecord, a: RunAnalysis, title: string): TopLevelSpec {
  const span = Math.max(1, run.loadEnd - run.loadStart);
  const binMs = Math.max(100, Math.ceil(span / 300 / 100) * 100);
  const bins = new Map<number, { outcomes: Map<string, number>; lat: number[] }>();
  for (const s of run.samples) {
    const b = Math.floor((s.t - run.t0) / binMs);
    const e = bins.get(b) ?? { outcomes: new Map<string, number>(), lat: [] as number[] };
    e.outcomes.set(outcomeOf(s), (e.outcomes.get(outcomeOf(s)) ?? 0) + 1);
    e.lat.push(s.ms);
    bins.set(b, e);
  }
  const share: Array<{ t: number; t2: number; outcome: string; y0: number; y1: number }> = [];
  const latency: Array<{ t: number; stat: string; ms: number }> = [];
  for (const [b, e] of [...bins].sort((x, y) => x[0] - y[0])) {
    const t = (b * binMs) / 1000;
    // Stacked here (not by Vega-Lite): each bin's outcomes fill 0..1 in a fixed order.
    const total = [...e.outcomes.values()].reduce((x, y) => x + y, 0);
    let y0 = 0;
    for (const outcome of OUTCOME_ORDER) {
      const n = e.outcomes.get(outcome);
      if (!n) continue;
      share.push({ t, t2: t + binMs / 1000, outcome, y0, y1: y0 + n / total });
      y0 += n / total;
    }
    const sorted = e.lat.sort((x, y) => x - y);
    latency.push({ t, stat: 'p50', ms: Math.max(1, sorted[Math.floor((sorted.length - 1) / 2)]!) });
    latency.push({ t, stat: 'max', ms: Math.max(1, sorted.at(-1)!) });
  }
  const key = a.timeline.filter(
    (e) => e.kind === 'inject' || e.kind === 'detect' || e.kind === 'milestone' || /^(first|last) failed/.test(e.label),
  );
  const marks = key.map((e, i) => ({
    t: e.offset,
    label: e.label.replace(/ \(.*\)$/, '').replace(/: .*$/, ''),
    row: i % 6,
    kind: e.kind,
  }));
  const steps = a.timeline
    .filter((e) => e.kind === 'step')
    .map((e) => ({ t: e.offset, label: e.label, phase: e.phase }));
  const x = {
    field: 't',
    type: 'quantitative' as const,
    title: 'seconds since the failure was injected',
    scale: { zero: false, nice: false },
  };
  const rules = [
    {
      data: { values: steps },
      mark: { type: 'rule' as const, strokeDash: [2, 2], opacity: 0.6 },
      encoding: { x: { field: 't', type: 'quantitative' as const }, color: { value: '#9e9e9e' } },
    },
    {
      data: { values: marks },
      mark: { type: 'rule' as const, strokeWidth: 1.5 },
      encoding: { x: { field: 't', type: 'quantitative' as const }, color: { value: '#212121' } },
    },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    resolve: { scale: { x: 'shared', color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        width: 820,
        height: 170,
        layer: [
          {
            data: { values: share },
            mark: { type: 'rect' },
            encoding: {
              x: { ...x, title: null },
              x2: { field: 't2' },
              y: {
                field: 'y1',
                type: 'quantitative',
                title: 'share of requests',
                axis: { format: '%' },
                scale: { domain: [0, 1] },
              },
              y2: { field: 'y0' },
              color: {
                field: 'outcome',
                type: 'nominal',
                title: 'outcome',
                scale: { domain: OUTCOME_ORDER, range: OUTCOME_COLORS },
                legend: { labelLimit: 220 },
              },
            },
          },
          ...rules,
          {
            data: { values: marks },
            mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, baseline: 'top' },
            encoding: {
              x: { field: 't', type: 'quantitative' },
              y: { field: 'row', type: 'quantitative', scale: null },
              yOffset: { value: 0 },
              text: { field: 'label' },
            },
            transform: [{ calculate: '4 + datum.row * 12', as: 'row' }],
          },
        ],
      },
      {
        width: 820,
        height: 130,
        layer: [
          {
            data: { values: latency },
            mark: { type: 'line', interpolate: 'step-after', point: false },
            encoding: {
              x,
              y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: `latency per ${binMs} ms (ms)` },
              color: {
                field: 'stat',
                type: 'nominal',
                title: 'latency',
                scale: { domain: ['p50', 'max'], range: ['#1565c0', '#ef6c00'] },
              },
            },
          },
          ...rules,
        ],
      },
    ],
  } as TopLevelSpec;
}

/** Median downtime per scenario against the origin's 3 and 13 minutes (log scale). */
function comparisonSpec(result: DrillResult): TopLevelSpec {
  const values = [
    ...result.scenarios.map((s) => ({
      what: `drill: ${s.scenario.name}${realTimeDowntime(s) !== s.summary.downtimeMs ? ' (real-time equivalent)' : ''}`,
      seconds: Math.max(0.01, (realTimeDowntime(s) ?? 0) / 1000),
      kind: 'this drill (median)',
    })),
    { what: 'origin, optimised (~3 min)', seconds: ORIGIN.optimisedMs / 1000, kind: 'origin (by hand)' },
    { what: 'origin, first attempt (13 min)', seconds: ORIGIN.firstMs / 1000, kind: 'origin (by hand)' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'User-visible downtime of a failover: this drill vs the origin', anchor: 'start' },
    width: 700,
    height: { step: 26 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'what', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } },
          x: {
            field: 'seconds',
            type: 'quantitative',
            scale: { type: 'log', domain: [0.1, 1000] },
            title: 'downtime, seconds (log scale)',
          },
          x2: { datum: 0.1 },
          color: {
            field: 'kind',
            type: 'nominal',
            title: null,
            scale: { domain: ['this drill (median)', 'origin (by hand)'], range: ['#1565c0', '#9e9e9e'] },
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4 },
        encoding: {
          y: { field: 'what', type: 'nominal', sort: null },
          x: { field: 'seconds', type: 'quantitative' },
          text: { field: 'seconds', type: 'quantitative', format: '.2f' },
        },
      },
    ],
  } as TopLevelSpec;
}

const loadOf = (runs: RunRecord[], repeat: number) => {
  const l = runs.find((r) => r.repeat === repeat)?.loadAvg;
  return l ? `${l[0]} → ${l[1]}` : '–';
};

const lat = (p: Percentiles) => (p.n ? `${p.p50} / ${p.p90} / ${p.p99} / ${p.max}` : '–');

function windowTable(name: string, w: WindowReport | undefined): string {
  if (!w) return '';
  return `<table class="kv"><caption>${esc(name)}</caption>
<tr><th>requests</th><td>${w.requests}</td></tr>
<tr><th>failed</th><td>${w.failed}</td></tr>
<tr><th>downtime (span of failed requests)</th><td>${secs(w.downtimeMs, 3)}</td></tr>
<tr><th>by status</th><td>${esc(statuses(w))}</td></tr>
<tr><th>error kinds</th><td>${esc(kinds(w))}</td></tr>
<tr><th>latency before, ms (p50 / p90 / p99 / max)</th><td>${lat(w.latency.before)}</td></tr>
<tr><th>latency during</th><td>${lat(w.latency.during)}</td></tr>
<tr><th>latency after</th><td>${lat(w.latency.after)}</td></tr>
</table>`;
}

function timelineTable(run: RunRecord, a: RunAnalysis): string {
  const rows = a.timeline
    .map((e) => {
      const clock = new Date(e.at).toISOString().slice(11, 23);
      return `<tr class="${e.kind}"><td>${clock}</td><td class="num">${e.offset >= 0 ? '+' : ''}${e.offset.toFixed(3)} s</td><td>${esc(e.label)}</td></tr>`;
    })
    .join('\n');
  return `<table class="timeline"><thead><tr><th>UTC</th><th>offset</th><th>event</th></tr></thead><tbody>${rows}</tbody></table>
<p class="small">Offsets from the failure injection (${new Date(run.t0).toISOString()}). Step times come from the incident's <code>status</code> query; request times from the load generator.</p>`;
}

/** What the sandbox's notification endpoint received: one row per request, failed attempts included. */
function notificationsTable(s: DrillResult['scenarios'][number]): string {
  const list = s.notifications;
  if (!list) return '';
  const ids = new Set(list.filter((n) => n.status === 200).map((n) => `${n.channel} ${n.id}`));
  const rows = list
    .map((n) => {
      const clock = new Date(n.at).toISOString().slice(11, 23);
      return `<tr><td>${clock}</td><td>${esc(n.channel)}</td><td>${esc(n.state)}</td><td><code>${esc(n.id)}</code></td><td class="num">${n.status}</td></tr>`;
    })
    .join('\n');
  return `<h3>Notifications</h3>
<table class="notifications"><thead><tr><th>UTC</th><th>channel</th><th>state</th><th>event ID</th><th>answered</th></tr></thead><tbody>${rows}</tbody></table>
<p class="small">${ids.size} event deliveries to the sandbox's endpoint (${list.length} requests; a redelivery carries the same event ID).</p>`;
}

export async function renderReport(result: DrillResult): Promise<string> {
  const sections: string[] = [];
  const summaryRows = result.scenarios
    .map((s) => {
      const m = s.summary;
      const range = m.downtimes.length ? `${secs(Math.min(...m.downtimes))} – ${secs(Math.max(...m.downtimes))}` : '–';
      return `<tr><td><a href="#${esc(s.scenario.name)}">${esc(s.scenario.name)}</a></td><td class="num">${m.succeeded}/${m.runs}</td><td class="num"><b>${secs(m.downtimeMs)}</b></td><td class="num">${range}</td><td class="num">${m.failedRequests ?? '–'}</td><td class="num">${secs(m.detectionMs)}</td><td class="num">${secs(m.failoverMs)}</td><td class="num">${secs(m.failbackMs)}</td><td class="num">${m.failbackFailed ?? '–'}</td><td class="num">${times(realTimeDowntime(s), ORIGIN.optimisedMs)}</td><td class="num">${times(realTimeDowntime(s), ORIGIN.firstMs)}</td></tr>${
        realTimeDowntime(s) !== m.downtimeMs
          ? `<tr class="origin"><td colspan="11">${esc(s.scenario.name)} was time-compressed ×${1 / s.scenario.timeScale}: real-time equivalent downtime ≈ ${secs(realTimeDowntime(s))} (detection scaled back); the comparisons use it.</td></tr>`
          : ''
      }`;
    })
    .join('\n');
  const originRows = `<tr class="origin"><td>origin, first attempt</td><td></td><td class="num">13 min</td><td></td><td></td><td class="num">~2.6 min</td><td></td><td></td><td></td><td></td><td></td></tr>
<tr class="origin"><td>origin, optimised</td><td></td><td class="num">~3 min</td><td></td><td></td><td class="num">~2.6 min</td><td></td><td></td><td></td><td></td><td></td></tr>`;
  const comparison = await renderSvg(comparisonSpec(result));

  for (const s of result.scenarios) {
    const m = medianRun(s.analyses);
    const repeatRows = s.analyses
      .map(
        (a) =>
          `<tr${a === m ? ' class="median"' : ''}><td>${a.repeat}${a === m ? ' (median)' : ''}</td><td>${esc(a.phase ?? '–')}</td><td class="num">${secs(a.failover.downtimeMs, 3)}</td><td class="num">${a.failover.failed}/${a.failover.requests}</td><td class="num">${secs(a.detectionMs, 3)}</td><td class="num">${secs(a.failoverMs, 3)}</td><td class="num">${secs(a.failbackMs, 3)}</td><td class="num">${secs(a.standbyReadyMs, 3)}</td><td class="num">${a.firstStandbyMs ?? '–'} ms</td><td class="num">${a.failback ? `${a.failback.failed}/${a.failback.requests}` : '–'}</td><td class="num">${esc(loadOf(s.runs, a.repeat))}</td><td>${esc(a.error ?? '')}</td></tr>`,
      )
      .join('\n');
    const charts: string[] = [];
    for (const a of [...(m ? [m] : []), ...s.analyses.filter((x) => x !== m)]) {
      const run = s.runs.find((r) => r.repeat === a.repeat)!;
      const spec = timelineSpec(run, a, `${s.scenario.name}, repeat ${a.repeat}: availability and latency`);
      const svg = await renderSvg(spec);
      charts.push(
        a === m
          ? `<figure class="chart" data-repeat="${a.repeat}">${svg}</figure>`
          : `<details><summary>repeat ${a.repeat}: chart</summary><figure class="chart" data-repeat="${a.repeat}">${svg}</figure></details>`,
      );
    }
    const mRun = m && s.runs.find((r) => r.repeat === m.repeat);
    sections.push(`<section id="${esc(s.scenario.name)}">
<h2>${esc(s.scenario.name)}</h2>
<p>${esc(s.description)}</p>
${s.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
<table><thead><tr><th>repeat</th><th>end phase</th><th>downtime</th><th>failed/requests</th><th>detect</th><th>failover</th><th>failback</th><th>standby ready</th><th>first standby page</th><th>failback failed/requests</th><th>machine load</th><th>error</th></tr></thead><tbody>${repeatRows}</tbody></table>
${m && mRun ? `<h3>Timeline of repeat ${m.repeat} (the median)</h3>${timelineTable(mRun, m)}<h3>What users saw</h3><div class="pair">${windowTable('failover (failure → primary back)', m.failover)}${windowTable('failback (primary back → end)', m.failback)}</div>` : ''}
${notificationsTable(s)}
<h3>Availability and latency over time</h3>
${charts.join('\n')}
</section>`);
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Failover drill ${esc(result.startedAt)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1040px; color: #212121; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #e0e0e0; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.origin td { color: #616161; font-style: italic; }
tr.median td { background: #e3f2fd; }
table.timeline tr.step td { color: #616161; }
table.timeline tr.inject td, table.timeline tr.milestone td, table.timeline tr.detect td { font-weight: 600; }
table.kv caption { text-align: left; font-weight: 600; }
.pair { display: flex; gap: 24px; flex-wrap: wrap; }
.note { background: #fff8e1; padding: 6px 10px; }
.small { font-size: 12px; color: #616161; }
figure.chart { margin: 8px 0 24px; }
</style></head><body>
<h1>Failover drill</h1>
<p>${esc(result.mode === 'sandbox' ? 'Sandbox (local simulation of Cloud Run, Cloudflare, Cloud Monitoring; real Temporal, real worker)' : 'Against real infrastructure')} ·
${result.machine ? `${result.machine.cpus} cores, load average ${result.machine.loadAvg} at the start · ` : ''}started ${esc(result.startedAt)} · finished ${esc(result.finishedAt)} · <code>${esc(result.command)}</code> · raw data: <a href="data.json">data.json</a></p>
<h2>Summary (medians over the repeats)</h2>
<table id="summary"><thead><tr><th>scenario</th><th>ok</th><th>downtime</th><th>min – max</th><th>failed requests</th><th>detect</th><th>failover</th><th>failback</th><th>failback failed</th><th>vs 3 min</th><th>vs 13 min</th></tr></thead>
<tbody>${summaryRows}
${originRows}</tbody></table>
<p class="small"><b>downtime</b>: from the first failed request to the first good response after the last failed one, as the load generator saw it.
<b>detect</b>: failure injected → incident triggered. <b>failover</b>: triggered → public URL verified on the standby. <b>failback</b>: primary back → incident resolved (includes the hold-down).
The origin's figures were read by hand from locust charts: 13 min, then about 3 min; about 2.6 min of each was Cloud Monitoring's detection.</p>
<figure class="chart" id="comparison">${comparison}</figure>
${sections.join('\n')}
</body></html>
`;
}

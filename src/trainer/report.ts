/**
 * The static HTML report of a run (`<runDir>/report.html`): the same interactive charts as the
 * VS Code panel, in one self-contained file (the charts bundle and the run's events inlined), so a
 * run can be shared and opened in any browser without VS Code or a network.
 *
 * If the charts bundle cannot be found (e.g. running from sources without a build), the report
 * falls back to static SVG charts rendered by the same pure layouts, so it is never empty.
 * Node-side only; never imports vscode.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { RunSummary, TrainerEvent } from '../shared/trainerProtocol';
import { RUN_FILES } from '../runFolder/runFiles';
import { readRunJson } from '../runFolder/runFolderReader';
import type { RunSnapshotMessage, RunViewStatus } from '../shared/runViewProtocol';
import { RunModel, epochLossSeries, metricNames, metricSeries } from '../shared/series/runModel';
import { computeLineLayout, lineSvg, type LineSpec } from '../shared/series/lineLayout';
import { computeHeatmapLayout, heatmapSvg } from '../shared/series/heatmapLayout';
import { emaSmooth } from '../shared/series/smoothing';
import { paletteColor } from '../shared/series/colors';
import { thinEvents, type ThinLimits } from '../shared/series/thinEvents';
import { metricTitle } from '../shared/metrics/catalogue';
import { escapeHtml } from '../shared/escape';
import { diskError } from '../runFolder/diskWrites';

/** Upper bounds on embedded high-rate events, so a 100,000-step run still gives a small file. */
export const REPORT_LIMITS: ThinLimits = { steps: 4000, deltas: 2000, gates: 2000 };

/** Where the built charts bundle may be, in order: next to the running bundle, then the repo's dist/. */
export function chartsBundleCandidates(): string[] {
  return [
    path.join(__dirname, 'webview', 'charts.js'),
    path.resolve(__dirname, '..', 'webview', 'charts.js'),
    path.resolve(__dirname, '..', '..', 'dist', 'webview', 'charts.js'),
    path.resolve(__dirname, '..', '..', '..', 'dist', 'webview', 'charts.js'),
    path.resolve(process.cwd(), 'dist', 'webview', 'charts.js'),
  ];
}

/**
 * Writes `report.html` into `runDir` and returns its path. `summary.json`, when already written,
 * supplies the final status (the trainer writes the report before sending `run/done`).
 */
export async function writeReport(runDir: string, events: TrainerEvent[], opts: { bundlePath?: string } = {}): Promise<string> {
  const summary = readSummary(runDir);
  const all = events.slice();
  if (summary && !all.some((e) => e.type === 'run/done')) {
    const last = all[all.length - 1];
    all.push({ type: 'run/done', runId: last?.runId ?? path.basename(runDir), t: last?.t ?? 0, summary });
  }
  const bundlePath = opts.bundlePath ?? chartsBundleCandidates().find((p) => fs.existsSync(p));
  const bundle = bundlePath ? await fsp.readFile(bundlePath, 'utf8') : undefined;
  const html = renderReportHtml(path.basename(runDir), runDir, all, bundle);
  const out = path.join(runDir, RUN_FILES.report);
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await fsp.writeFile(tmp, html, 'utf8');
    await fsp.rename(tmp, out);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw diskError('write', out, e);
  }
  return out;
}

/** The report's HTML (pure; exported for tests). Without `bundle`, a static SVG report. */
export function renderReportHtml(name: string, runDir: string, events: TrainerEvent[], bundle?: string): string {
  const thinned = thinEvents(events, REPORT_LIMITS);
  const start = thinned.find((e) => e.type === 'run/start');
  const done = thinned.find((e) => e.type === 'run/done');
  const status: RunViewStatus = done?.type === 'run/done' ? done.summary.status : thinned.some((e) => e.type === 'run/error') ? 'failed' : 'unknown';
  const runId = start?.runId ?? events[0]?.runId ?? name;
  const snapshot: RunSnapshotMessage = {
    type: 'run/snapshot', mode: 'single',
    runs: [{ id: runId, name, colorIndex: 0, config: start?.type === 'run/start' ? start.config : undefined, runDir, status, events: thinned }],
  };
  const title = `${escapeHtml(name)} · Feedback MTL report`;
  const script = bundle?.replace(/<\/script/gi, '<\\/script');
  const head = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">`
    + `<meta http-equiv="Content-Security-Policy" content="${reportCsp(script)}">`
    + `<meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<meta name="generator" content="Feedback MTL"><title>${title}</title></head>`;
  if (script !== undefined) {
    return `${head}<body><main id="charts-root"></main>`
      + `<script type="application/json" id="fmtl-data">${jsonForScript(snapshot)}</script>`
      + `<script>${script}</script></body></html>\n`;
  }
  return `${head}<body style="font-family:system-ui,sans-serif;margin:16px;color:#1f2328">${staticBody(name, RunModel.from(runId, thinned))}</body></html>\n`;
}

/**
 * The report's Content-Security-Policy: nothing from the network or other files, and only the one
 * inline script whose text is `script` (allowed by its SHA-256, so markup that got into the page
 * some other way cannot run script). Inline styles stay allowed (the charts style through d3 and
 * one injected stylesheet; the static fallback uses style attributes); images only from data: and
 * blob: URLs (PNG exports draw the SVG through one). The JSON data element is not a script and
 * needs nothing.
 */
export function reportCsp(script?: string): string {
  return [
    "default-src 'none'",
    `script-src ${script !== undefined ? `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'` : "'none'"}`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function readSummary(runDir: string): RunSummary | undefined {
  const s = readRunJson<RunSummary>(runDir, RUN_FILES.summary);
  return s && typeof s.status === 'string' ? s : undefined;
}

/** Static fallback: loss, convergence, gates and metrics as inline SVG. */
function staticBody(name: string, m: RunModel): string {
  const W = 520, H = 220;
  const parts: string[] = [`<h1 style="font-size:18px">${escapeHtml(name)}</h1>`,
    `<p style="color:#656d76">Static report (the interactive charts bundle was not found when this run finished). `
    + `steps: ${m.steps} · epochs: ${m.epochs.length} · ${escapeHtml(m.status)}</p>`];
  const card = (title: string, svg: string) => `<figure style="display:inline-block;margin:6px;vertical-align:top"><figcaption style="font-weight:600;font-size:13px">${escapeHtml(title)}</figcaption>${svg}</figure>`;
  let n = 0;
  const chart = (title: string, lines: LineSpec[], extra: { yLog?: boolean; xLabel?: string; xIntegerTicks?: boolean } = {}) =>
    card(title, lineSvg(computeLineLayout({ lines, width: W, height: H, ...extra }), undefined, `c${n++}`));
  parts.push('<h2 style="font-size:15px">Convergence</h2>');
  for (const task of m.deltaTasks) {
    const curves = m.deltaCurves(task, 'train');
    const lines: LineSpec[] = curves.map((c, i) => ({
      id: `e${c.epoch}`, label: `epoch ${c.epoch}`, color: paletteColor(0), x: c.deltas.map((_, k) => k), y: c.deltas,
      opacity: i === curves.length - 1 ? 1 : 0.25, width: i === curves.length - 1 ? 2.4 : 1.2, hideInLegend: i !== curves.length - 1,
    }));
    parts.push(chart(`${task}: ‖y^(k+1) − y^k‖ by iteration`, lines, { yLog: true, xLabel: 'iteration k', xIntegerTicks: true }));
  }
  parts.push('<h2 style="font-size:15px">Gumbel gates</h2>');
  let g = 0;
  for (const [arrow, grid] of m.gates) {
    parts.push(card(arrow, heatmapSvg(computeHeatmapLayout({ blocks: grid.blocks, steps: grid.steps, probs: grid.probs, width: W, height: 40 + 34 * grid.blocks.length, minColumnPx: 2 }), undefined, `g${g++}`)));
  }
  parts.push('<h2 style="font-size:15px">Loss</h2>');
  for (const task of m.tasks) {
    const s = m.loss.get(task);
    const lines: LineSpec[] = [];
    if (s?.length) lines.push({ id: 'step', label: 'train (step, smoothed)', color: paletteColor(0), x: s.x, y: emaSmooth(s.y, 0.6) });
    const va = epochLossSeries(m, task, 'valid');
    if (va.x.length) lines.push({ id: 'valid', label: 'valid', color: paletteColor(1), ...va, markers: true, width: 2 });
    if (lines.length) parts.push(chart(`${task} loss`, lines, { xLabel: 'step' }));
  }
  parts.push('<h2 style="font-size:15px">Metrics</h2>');
  for (const [task, names] of metricNames(m)) {
    for (const metric of names) {
      parts.push(chart(metricTitle(task, metric), [
        { id: 'train', label: 'train', color: paletteColor(0), ...metricSeries(m, task, metric, 'train'), markers: true, dash: '4 3' },
        { id: 'valid', label: 'valid', color: paletteColor(1), ...metricSeries(m, task, metric, 'valid'), markers: true, width: 2 },
      ], { xLabel: 'epoch', xIntegerTicks: true }));
    }
  }
  return parts.join('\n');
}

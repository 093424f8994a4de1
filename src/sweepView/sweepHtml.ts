/**
 * The sweep view's page, as HTML text: per-cell progress, the table (mean ± std over seeds) and
 * the paired comparison against the baseline, from `table.json` (shared/sweepTable.ts). Pure (no
 * vscode), so it is tested without a window; the panel only sets it and wires the button.
 */
import { formatMeanStd, formatMetric, metricInfo, NO_VALUE } from '../shared/metrics/catalogue';
import type { SweepTable } from '../shared/sweepTable';
import { escapeHtml as esc } from '../shared/escape';

/** One cell's progress. */
export interface CellProgress {
  cellId: string;
  label: string;
  seeds: number;
  done: number;
  failed: number;
  /** Running runs: `seed 2 epoch 4/30`. */
  running: string[];
}

export interface SweepPage {
  name: string;
  sweepDir: string;
  /** `running`, `done`, `stopped`, `failed`: what the sweep as a whole is doing. */
  state: string;
  cells: CellProgress[];
  table?: SweepTable;
  nonce: string;
  cspSource: string;
}

/** A number of `table.json` (a file on disk, so not trusted to hold a number) as escaped text. */
const num = (v: unknown) => esc(String(v));
const name = (k: string) => k.replace(/^_overall\./, 'overall.');
const leaf = (k: string) => k.slice(k.lastIndexOf('.') + 1);
const signed = (m: string, v: number) => `${v < 0 ? '−' : '+'}${formatMetric(m, Math.abs(v))}`;

/** The whole page. */
export function sweepPageHtml(p: SweepPage): string {
  const t = p.table;
  const progress = p.cells.map((c) => {
    return `<tr><td>${esc(c.label)}</td><td class="num">${num(c.done)}/${num(c.seeds)}${c.failed ? ` <span class="bad">${num(c.failed)} failed</span>` : ''}</td>`
      + `<td><progress value="${num(c.done)}" max="${num(Math.max(1, c.seeds))}"></progress></td><td>${esc(c.running.join(', '))}</td></tr>`;
  }).join('');
  let body = `<h2>Sweep ${esc(p.name)} <span class="state">${esc(p.state)}</span></h2>`
    + `<p class="where">${esc(p.sweepDir)}</p>`
    + `<h3>Progress per cell</h3><div class="scroll"><table id="sweep-progress"><tr><th>cell</th><th>seeds done</th><th></th><th>running</th></tr>${progress}</table></div>`;
  if (t && t.finished) {
    const unit = (k: string) => (metricInfo(leaf(k)).percent ? ' (%)' : '');
    const head = `<tr><th>cell</th><th>n</th>${t.metrics.map((k) => `<th>${esc(name(k))}${unit(k)}</th>`).join('')}</tr>`;
    const rows = t.rows.map((r) => `<tr><td>${esc(r.label)}${r.baselineId ? '' : ' <em>(baseline)</em>'}</td><td class="num">${num(r.finished)}/${num(r.seeds)}</td>${t.metrics.map((k) => {
      const m = r.metrics[k];
      return `<td class="num">${m ? formatMeanStd(leaf(k), m) : NO_VALUE}</td>`;
    }).join('')}</tr>`).join('');
    body += `<h3>Mean ± std over seeds</h3><p class="what">${esc(t.split)} split at the best-valid checkpoint; sample std; n = seeds finished.</p><div class="scroll"><table id="sweep-table">${head}${rows}</table></div>`;
    const compared = t.rows.filter((r) => r.vsBaseline && Object.keys(r.vsBaseline).length);
    if (compared.length) {
      const labelOf = new Map(t.rows.map((r) => [r.cellId, r.label]));
      const h2 = `<tr><th>cell</th><th>vs</th><th>pairs</th>${t.metrics.map((k) => `<th>${esc(name(k))}</th>`).join('')}</tr>`;
      const r2 = compared.map((r) => `<tr><td>${esc(r.label)}</td><td>${esc(labelOf.get(r.baselineId!) ?? '')}</td><td class="num">${num(Math.max(...Object.values(r.vsBaseline!).map((d) => d.pairs)))}</td>${t.metrics.map((k) => {
        const d = r.vsBaseline![k];
        if (!d) return '<td class="num">–</td>';
        const m = leaf(k);
        const sure = d.lo > 0 || d.hi < 0;
        return `<td class="num${sure ? ' sure' : ''}" title="95% bootstrap CI over ${d.over === 'examples' ? `${esc(t.split)} examples` : 'the per-seed differences'}">${signed(m, d.diff)} [${signed(m, d.lo)}, ${signed(m, d.hi)}]${d.over === 'seeds' ? '<sup>s</sup>' : ''}</td>`;
      }).join('')}</tr>`).join('');
      body += `<h3>Against the baseline (paired by seed)</h3><p class="what">Δ = mean over paired seeds of (cell − baseline) [95% bootstrap CI, ${num(t.bootstrap.resamples)} resamples of ${esc(t.split)} examples; <sup>s</sup>: of the per-seed differences, coarse with few seeds]. Bold: the CI excludes 0.</p><div class="scroll"><table id="sweep-compare">${h2}${r2}</table></div>`;
    }
    body += `<p><button id="curves">Overlay the curves per cell (Compare view: mean ± spread over seeds)</button></p>`;
  } else body += `<p class="what">No run has finished yet; the table appears with the first.</p>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${p.cspSource} 'nonce-${p.nonce}'; script-src 'nonce-${p.nonce}';">
<style nonce="${p.nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px 16px; }
table { border-collapse: collapse; margin: 4px 0 12px; }
.scroll { overflow-x: auto; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--vscode-panel-border, #8884); text-align: left; white-space: nowrap; }
td.num, th:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
td.sure { font-weight: bold; }
progress { width: 120px; height: 8px; accent-color: var(--vscode-charts-blue, #3794ff); }
.state, .where, .what { color: var(--vscode-descriptionForeground); font-size: 0.9em; font-weight: normal; }
.bad { color: var(--vscode-errorForeground); }
button { width: auto; display: inline-block; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 4px 10px; cursor: pointer; }
</style></head><body>${body}
<script nonce="${p.nonce}">
const vscode = acquireVsCodeApi();
document.getElementById('curves')?.addEventListener('click', () => vscode.postMessage({ type: 'sweep/curves' }));
</script></body></html>`;
}

/**
 * The CLI's text tables: the final summary (best valid, test, last valid per task metric), gate
 * choices, the short per-epoch metric line, and the column padding they share. Pure; numbers come
 * from the metric catalogue.
 */
import type { RunSummary, TaskMetrics } from '../shared/trainerProtocol';
import { formatMetric, headlineMetric, NO_VALUE } from '../shared/metrics/catalogue';

/** `species acc 93.1 · sex acc 85.0 · mass rmse 312` (main metrics only). */
export function shortMetrics(m: TaskMetrics): string {
  const parts: string[] = [];
  for (const [task, metrics] of Object.entries(m)) {
    const h = headlineMetric(undefined, metrics);
    if (h) parts.push(`${task === '_overall' ? 'overall' : task} ${h.short} ${formatMetric(h.name, metrics[h.name])}`);
  }
  return parts.join(' · ');
}

/** Rows of `cells` padded to column widths: the first `textColumns` left-aligned, the rest (numbers) right-aligned. */
export function table(rows: string[][], textColumns = 1): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r) => r.map((c, j) => (j < textColumns ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd()).join('\n');
}

/** The final table: one row per task metric; best valid, test at the best epoch, last valid. */
export function summaryTable(summary: RunSummary): string {
  const rows: string[][] = [['task', 'metric', `valid@${summary.bestEpoch || NO_VALUE}`, 'test', 'last valid']];
  const tasks = new Set([...Object.keys(summary.best.valid), ...Object.keys(summary.last.valid), ...Object.keys(summary.best.test ?? {})]);
  for (const task of tasks) {
    const names = new Set([...Object.keys(summary.best.valid[task] ?? {}), ...Object.keys(summary.last.valid[task] ?? {})]);
    for (const name of names) {
      rows.push([
        task === '_overall' ? 'overall' : task, name,
        formatMetric(name, summary.best.valid[task]?.[name]),
        formatMetric(name, summary.best.test?.[task]?.[name]),
        formatMetric(name, summary.last.valid[task]?.[name]),
      ]);
    }
  }
  return table(rows, 2);
}

/** Gate choices: `species-to-sex  block 2 (p 0.97)`. */
export function gatesTable(summary: RunSummary): string {
  const entries = Object.entries(summary.gates);
  if (!entries.length) return '';
  return table([['gate', 'block', 'p'], ...entries.map(([id, g]) => [id, String(g.block), g.prob.toFixed(2)])]);
}


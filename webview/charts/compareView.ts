/**
 * Run comparison: a table of runs (each run's headline numbers — validation metrics at its
 * best-validation checkpoint and the test scores of that checkpoint, `shared/metrics/headline.ts`,
 * as in every other view — best per column in bold), the config
 * differences between them, and — when several seeds of one config are open — mean ± std per
 * config, as a table and as banded curves. The overlaid loss and metric curves live in the
 * loss/metrics sections (one colour per run everywhere).
 */
import { select } from 'd3-selection';
import type { Experiment } from '../../src/shared/experimentTypes';
import { diffConfigs } from '../../src/shared/series/configDiff';
import { groupBySeedlessConfig, meanSpread, meanStd } from '../../src/shared/series/aggregate';
import { formatMeanStd, formatMetric, lowerIsBetter, metricTitle, NO_VALUE } from '../../src/shared/metrics/catalogue';
import { metricNames, metricSeries, type RunModel } from '../../src/shared/series/runModel';
import { runHeadline, type RunHeadline } from '../../src/shared/metrics/headline';
import { LineChart, type ChartLine } from './lineChart';
import { el, fmtValue, type ExportHandler } from './chartBase';

export interface CompareRun {
  id: string;
  name: string;
  color: string;
  model: RunModel;
  config?: Experiment;
}

export interface CompareData {
  runs: CompareRun[];
}

export interface CompareViewOptions {
  onExport?: ExportHandler;
}

interface Column { task: string; metric: string }

export class CompareView {
  readonly element: HTMLElement;
  private readonly runsTable: HTMLTableElement;
  private readonly diffBox: HTMLDivElement;
  private readonly seedsBox: HTMLDivElement;
  private readonly seedGrid: HTMLDivElement;
  private readonly charts = new Map<string, LineChart>();

  constructor(container: HTMLElement, private readonly options: CompareViewOptions) {
    this.element = el('div', { class: 'fmtl-compare' });
    container.append(this.element);
    this.element.append(el('h3', { class: 'fmtl-subhead' }, 'Runs (validation at each run\'s best-validation checkpoint; test of the same checkpoint)'));
    this.runsTable = el('table', { class: 'fmtl-table runs' });
    this.element.append(this.runsTable);
    this.element.append(el('h3', { class: 'fmtl-subhead' }, 'Config differences'));
    this.diffBox = el('div');
    this.element.append(this.diffBox);
    this.element.append(el('h3', { class: 'fmtl-subhead' }, 'Across seeds (mean ± std)'));
    this.seedsBox = el('div');
    this.seedGrid = el('div', { class: 'fmtl-grid' });
    this.element.append(this.seedsBox, this.seedGrid);
  }

  update(data: CompareData): void {
    const cols = this.columns(data.runs);
    this.renderRuns(data.runs, cols);
    this.renderDiff(data.runs);
    this.renderSeeds(data.runs, cols);
  }

  resize(): void {
    for (const c of this.charts.values()) c.resize();
  }

  dispose(): void {
    for (const c of this.charts.values()) c.dispose();
    this.element.remove();
  }

  private columns(runs: CompareRun[]): Column[] {
    const cols: Column[] = [];
    for (const r of runs) {
      for (const [task, names] of metricNames(r.model)) {
        for (const metric of names) if (!cols.some((c) => c.task === task && c.metric === metric)) cols.push({ task, metric });
      }
    }
    // Headline metrics first: overall, then f1 / accuracy / rmse, then the rest.
    const rank = (c: Column) => (c.task === '_overall' ? 0 : ['f1', 'accuracy', 'rmse'].includes(c.metric) ? 1 : 2);
    return cols.sort((a, b) => rank(a) - rank(b));
  }

  private renderRuns(runs: CompareRun[], cols: Column[]): void {
    const heads = new Map(runs.map((r) => [r.id, headlineOf(r)]));
    const at = (r: CompareRun, c: Column) => heads.get(r.id)?.valid[c.task]?.[c.metric];
    // Test columns: each task's headline metric, when some run scored the test split.
    const testCols = cols.filter((c) => runs.some((r) => heads.get(r.id)?.tasks[c.task]?.metric.name === c.metric && heads.get(r.id)?.tasks[c.task]?.test !== undefined));
    const testAt = (r: CompareRun, c: Column) => { const h = heads.get(r.id)?.tasks[c.task]; return h?.metric.name === c.metric ? h.test : undefined; };
    const bestOf = (get: (r: CompareRun, c: Column) => number | undefined) => (c: Column) => {
      const vals = runs.map((r) => get(r, c)).filter((v): v is number => v !== undefined && Number.isFinite(v));
      return vals.length < 2 ? undefined : lowerIsBetter(c.metric) ? Math.min(...vals) : Math.max(...vals);
    };
    const best = cols.map(bestOf(at));
    const bestTest = testCols.map(bestOf(testAt));
    const t = select(this.runsTable);
    t.selectAll('thead').data([0]).join('thead').selectAll('tr').data([0]).join('tr')
      .selectAll('th').data(['run', 'seed', 'status', 'epochs', 'checkpoint', ...cols.map((c) => `${colName(c)} (valid)`), ...testCols.map((c) => `${colName(c)} (test)`)]).join('th').text((d) => d);
    const rows = t.selectAll('tbody').data([0]).join('tbody').selectAll<HTMLTableRowElement, CompareRun>('tr').data(runs, (r) => r.id).join('tr')
      .attr('data-run-id', (r) => r.id);
    rows.selectAll<HTMLTableCellElement, { html?: HTMLElement; text?: string; cls: string }>('td')
      .data((r) => [
        { html: runLabel(r), cls: '' },
        { text: r.model.start ? String(r.model.start.seed) : '–', cls: 'num' },
        { text: r.model.status, cls: '' },
        { text: String(r.model.epochs.length), cls: 'num' },
        { text: heads.get(r.id) ? `${heads.get(r.id)!.checkpoint === 'best' ? 'best' : 'last'} epoch ${heads.get(r.id)!.epoch}${heads.get(r.id)!.live ? ' (so far)' : ''}` : NO_VALUE, cls: '' },
        ...cols.map((c, i) => {
          const v = at(r, c);
          return { text: v === undefined ? NO_VALUE : formatMetric(c.metric, v), cls: `num${v !== undefined && v === best[i] ? ' best' : ''}` };
        }),
        ...testCols.map((c, i) => {
          const v = testAt(r, c);
          return { text: v === undefined ? NO_VALUE : formatMetric(c.metric, v), cls: `num${v !== undefined && v === bestTest[i] ? ' best' : ''}` };
        }),
      ])
      .join('td').attr('class', (d) => d.cls)
      .each(function (d) { this.replaceChildren(d.html ?? document.createTextNode(d.text ?? '')); });
  }

  private renderDiff(runs: CompareRun[]): void {
    const rows = diffConfigs(runs.map((r) => r.config));
    this.diffBox.replaceChildren();
    if (runs.every((r) => !r.config)) { this.diffBox.append(el('div', { class: 'fmtl-note' }, 'The configs of these runs are not known yet.')); return; }
    if (!rows.length) { this.diffBox.append(el('div', { class: 'fmtl-note' }, 'The configs are identical.')); return; }
    const table = el('table', { class: 'fmtl-table diff' });
    const head = el('tr');
    head.append(el('th', {}, 'setting'));
    for (const r of runs) { const th = el('th'); th.append(runLabel(r)); head.append(th); }
    table.append(el('thead'));
    table.tHead!.append(head);
    const body = el('tbody');
    for (const row of rows) {
      const tr = el('tr');
      tr.append(el('td', { class: 'path' }, row.path));
      for (const v of row.values) tr.append(el('td', { class: 'val' }, v ?? '–'));
      body.append(tr);
    }
    table.append(body);
    this.diffBox.append(table);
  }

  private renderSeeds(runs: CompareRun[], cols: Column[]): void {
    const groups = groupBySeedlessConfig(runs.map((r) => ({ id: r.id, config: r.config }))).filter((g) => g.runIds.length > 1);
    this.seedsBox.replaceChildren();
    const wanted = new Set<string>();
    if (!groups.length) {
      this.seedsBox.append(el('div', { class: 'fmtl-note' }, 'No two of these runs share a config apart from the seed. Train the same experiment with other seeds to see mean ± std here.'));
    } else {
      const byId = new Map(runs.map((r) => [r.id, r]));
      const table = el('table', { class: 'fmtl-table seeds' });
      const head = el('tr');
      for (const h of ['config (runs)', 'n', ...cols.map(colName)]) head.append(el('th', {}, h));
      table.append(head);
      for (const g of groups) {
        const members = g.runIds.map((id) => byId.get(id)!);
        const tr = el('tr');
        const first = el('td');
        first.append(runLabel(members[0]), document.createTextNode(members.length > 1 ? ` + ${members.length - 1} more` : ''));
        tr.append(first, el('td', { class: 'num' }, String(members.length)));
        for (const c of cols) {
          const s = meanStd(members.map((r) => headlineOf(r)?.valid[c.task]?.[c.metric] ?? NaN));
          tr.append(el('td', { class: 'num' }, formatMeanStd(c.metric, s)));
        }
        table.append(tr);
      }
      this.seedsBox.append(table);
      // Banded curves for the headline metrics (at most four charts).
      for (const c of cols.slice(0, 4)) {
        const key = `${c.task}.${c.metric}`;
        wanted.add(key);
        let chart = this.charts.get(key);
        if (!chart) {
          chart = new LineChart(this.seedGrid, {
            title: `${colName(c)} (valid)`, subtitle: 'mean ± std over seeds', fileStem: `seeds-${c.task}-${c.metric}`,
            onExport: this.options.onExport, xLabel: 'epoch', xIntegerTicks: true, logToggle: false, height: 190, xName: 'epoch',
          });
          this.charts.set(key, chart);
        }
        const lines: ChartLine[] = groups.map((g) => {
          const members = g.runIds.map((id) => byId.get(id)!);
          const ms = meanSpread(members.map((r) => metricSeries(r.model, c.task, c.metric, 'valid')));
          return {
            id: g.key, runId: members[0].id, label: `${members[0].name} (n=${members.length})`, color: members[0].color,
            x: ms.x, y: ms.mean, band: { lo: ms.mean.map((m, i) => m - ms.std[i]), hi: ms.mean.map((m, i) => m + ms.std[i]) }, markers: true,
          };
        });
        chart.update({ lines });
      }
    }
    for (const [k, c] of this.charts) if (!wanted.has(k)) { c.dispose(); this.charts.delete(k); }
  }
}

function colName(c: Column): string {
  return metricTitle(c.task, c.metric);
}

function runLabel(r: { name: string; color: string; id: string }): HTMLElement {
  const span = el('span', { 'data-run-id': r.id, title: r.id });
  const sw = el('i', { class: 'swatch' });
  sw.style.background = r.color;
  span.append(sw, document.createTextNode(r.name));
  return span;
}

/** A run's headline numbers (the same checkpoint and split as every other view). */
export function headlineOf(r: Pick<CompareRun, 'model' | 'config'>): RunHeadline | undefined {
  const tasks = (r.config ?? r.model.start?.config)?.tasks ?? [];
  const kinds = tasks.length ? Object.fromEntries(tasks.map((t) => [t.id, t.kind]))
    : Object.fromEntries([...metricNames(r.model).keys()].filter((t) => t !== '_overall').map((task) => [task, undefined]));
  return runHeadline({ summary: r.model.done?.summary, epochs: r.model.epochs }, kinds);
}

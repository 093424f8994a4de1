/**
 * The Examples section of the run view: what the feedback passes did to each example of a split
 * (from the run's `predictions/<split>.jsonl`, best checkpoint). Per task the counts of examples
 * y^K corrected / broke / left right / left wrong relative to y^0 (each a filter); a filterable
 * list; an example opened as its tokens with gold and predicted tags of every pass; a confusion
 * matrix (classification) or per-type span P/R/F1 (tagging); with two runs, the examples one gets
 * right and the other wrong, both ways; and Try the model (single run). Shaping is in
 * `shared/predictions/outcomes.ts`; this file only draws.
 *
 * DOM hooks for the end-to-end tests: `#examples-counts [data-outcome]`, `#examples-filter-*`,
 * `#examples-list tbody tr[data-i]`, `#example-detail`, `#examples-compare`, `#try-input`,
 * `#try-run`, `#try-result`.
 */
import type { Answer, ExamplePrediction, PredictionsFile } from '../../src/shared/predictions/format';
import { isClassAnswer, isTagsAnswer, isValueAnswer } from '../../src/shared/predictions/format';
import {
  compareRuns, confusionMatrix, filterExamples, filterLabels, outcomeCounts, outcomeOf, OUTCOME_TEXT, typeScores,
  type ExampleFilter, type Outcome,
} from '../../src/shared/predictions/outcomes';
import { answerText, sameAnswer, wordSpans } from '../../src/shared/predictions/answerText';
import { fnv1a, paletteColor } from '../../src/shared/series/colors';
import { el } from './chartBase';
import type { ChartsHost } from './host';

export interface ExamplesRun { id: string; name: string; done: boolean; tabular: boolean }

/** Rows drawn in the list at most (the count says how many match). */
const MAX_ROWS = 100;

const OUTCOMES: (Outcome | 'changed')[] = ['broken', 'corrected', 'changed', 'wrong', 'right'];
const FILTER_TEXT: Record<Outcome | 'changed', string> = { ...OUTCOME_TEXT, changed: 'changed across passes' };

export class ExamplesView {
  readonly element: HTMLElement;
  private runs: ExamplesRun[] = [];
  private split: 'valid' | 'test' = 'test';
  private readonly files = new Map<string, PredictionsFile | string>();
  private filter: ExampleFilter = { task: '' };
  private selected: number | undefined;
  private key = '';
  /** ms of the last render and the last filter (read by the e2e test to check the budgets). */
  readonly timing = { loadMs: 0, renderMs: 0, filterMs: 0, listMs: 0 };

  constructor(container: HTMLElement, private readonly host: ChartsHost) {
    this.element = el('div', { class: 'fmtl-examples' });
    container.append(this.element);
  }

  /** The runs of the panel; loads their predictions once a run is done. */
  update(runs: ExamplesRun[]): void {
    const key = runs.map((r) => `${r.id}:${r.done}`).join('|');
    if (key === this.key) return;
    this.key = key;
    this.runs = runs;
    void this.load();
  }

  private async load(): Promise<void> {
    const t0 = performance.now();
    await Promise.all(this.runs.filter((r) => r.done && !this.files.has(`${r.id}/${this.split}`)).map(async (r) => {
      try {
        const res = await this.host.loadExamples(r.id, this.split);
        this.files.set(`${r.id}/${this.split}`, res.file ?? res.error ?? 'no predictions');
      } catch (e) {
        this.files.set(`${r.id}/${this.split}`, e instanceof Error ? e.message : String(e));
      }
    }));
    this.timing.loadMs = performance.now() - t0;
    this.render();
  }

  private fileOf(r: ExamplesRun): PredictionsFile | string | undefined {
    return this.files.get(`${r.id}/${this.split}`);
  }

  private render(): void {
    const t0 = performance.now();
    const main = this.runs[0];
    const parts: HTMLElement[] = [];
    if (!main) { this.element.replaceChildren(); return; }
    const f = this.fileOf(main);
    if (!main.done) parts.push(el('p', { class: 'fmtl-hint' }, 'Per-example predictions are written when the run finishes (best checkpoint, valid and test).'));
    else if (typeof f === 'string') parts.push(el('p', { class: 'fmtl-hint', id: 'examples-missing' }, f));
    else if (!f) parts.push(el('p', { class: 'fmtl-hint' }, 'Loading predictions…'));
    else {
      if (!f.header.tasks.some((t) => t.id === this.filter.task)) this.filter = { task: f.header.tasks[0].id };
      parts.push(this.controls(f), this.counts(f));
      if (this.runs.length > 1) parts.push(this.compare(f));
      parts.push(this.list(f), this.detail(f), this.analysis(f));
    }
    if (this.runs.length === 1 && main.done) parts.push(this.tryBox(main));
    this.element.replaceChildren(...parts);
    this.timing.renderMs = performance.now() - t0;
  }

  private controls(f: PredictionsFile): HTMLElement {
    const bar = el('div', { class: 'ex-controls' });
    const select = (id: string, label: string, options: [string, string][], value: string, on: (v: string) => void) => {
      const s = el('select', { id, 'aria-label': label });
      for (const [v, t] of options) { const o = el('option', { value: v }, t); if (v === value) o.selected = true; s.append(o); }
      s.addEventListener('change', () => on(s.value));
      bar.append(el('label', {}, label), s);
    };
    select('examples-split', 'Split', [['test', 'test'], ['valid', 'valid']], this.split, (v) => { this.split = v as 'valid' | 'test'; this.selected = undefined; void this.load(); });
    select('examples-filter-task', 'Task', f.header.tasks.map((t) => [t.id, `${t.id} (${t.kind})`]), this.filter.task, (v) => this.setFilter({ task: v }));
    select('examples-filter-outcome', 'Show', [['', 'all examples'], ...OUTCOMES.map((o): [string, string] => [o, FILTER_TEXT[o]])], this.filter.outcome ?? '', (v) => this.setFilter({ ...this.filter, outcome: (v || undefined) as ExampleFilter['outcome'] }));
    const labels = filterLabels(f, this.filter.task);
    if (labels.length) {
      const opts: [string, string][] = [['', 'any'], ...labels.map((l): [string, string] => [l, l])];
      select('examples-filter-gold', 'Gold', opts, this.filter.gold ?? '', (v) => this.setFilter({ ...this.filter, gold: v || undefined }));
      select('examples-filter-pred', 'Predicted', opts, this.filter.predicted ?? '', (v) => this.setFilter({ ...this.filter, predicted: v || undefined }));
    }
    if (f.header.input === 'text') {
      const q = el('input', { id: 'examples-filter-text', type: 'search', placeholder: 'words…', 'aria-label': 'Words the sentence contains' });
      q.value = this.filter.text ?? '';
      q.addEventListener('input', () => { this.filter = { ...this.filter, text: q.value }; this.refreshList(f); });
      bar.append(q);
    }
    return bar;
  }

  /** A new filter redraws only the controls (their options follow the task), the list and the detail: counts and analysis stay. */
  private setFilter(f: ExampleFilter): void {
    this.filter = f;
    this.selected = undefined;
    const file = this.fileOf(this.runs[0]);
    const controls = this.element.querySelector('.ex-controls');
    if (typeof file !== 'object' || !controls || !this.listBody) { this.render(); return; }
    const t0 = performance.now();
    controls.replaceWith(this.controls(file));
    this.refreshList(file);
    this.element.querySelector('#example-detail')?.replaceWith(this.detail(file));
    this.timing.filterMs = performance.now() - t0;
  }

  /** Opens example `i` below the list (only the detail is redrawn). */
  private open(file: PredictionsFile, i: number): void {
    this.selected = i;
    this.listBody?.querySelectorAll('tr.selected').forEach((r) => r.classList.remove('selected'));
    this.listBody?.querySelector(`tr[data-i="${i}"]`)?.classList.add('selected');
    const d = this.element.querySelector('#example-detail');
    const next = this.detail(file);
    d?.replaceWith(next);
    next.scrollIntoView?.({ block: 'nearest' });
  }

  private counts(f: PredictionsFile): HTMLElement {
    const box = el('div', { id: 'examples-counts', class: 'ex-counts' });
    const h = f.header;
    const K = h.iterations;
    box.append(el('div', { class: 'fmtl-hint' }, `${h.split}, best checkpoint (epoch ${h.checkpoint.epoch}), ${h.examples} examples: the final pass y${sup(K)} against the first y⁰${K === 0 ? ' (a static model: one pass, nothing to compare)' : ''}`));
    const counts = outcomeCounts(f);
    for (const t of h.tasks) {
      const c = counts[t.id];
      const row = el('div', { class: 'ex-count-row', 'data-task': t.id });
      row.append(el('strong', {}, t.id));
      for (const o of ['corrected', 'broken', 'right', 'wrong'] as Outcome[]) {
        const b = el('button', { type: 'button', class: `fmtl-btn ex-count ex-${o}`, 'data-outcome': o, 'data-task': t.id, title: `Show the ${t.id} examples ${FILTER_TEXT[o]}` }, `${t.kind === 'regression' ? { corrected: 'closer', broken: 'further', right: 'same', wrong: '' }[o] || o : FILTER_TEXT[o]}: ${c[o]}`);
        if (t.kind === 'regression' && o === 'wrong') continue;
        b.addEventListener('click', () => this.setFilter({ task: t.id, outcome: o }));
        row.append(b);
      }
      box.append(row);
    }
    return box;
  }

  private listBody?: HTMLElement;
  private listCount?: HTMLElement;

  private list(f: PredictionsFile): HTMLElement {
    const wrap = el('div', { class: 'ex-list-wrap' });
    this.listCount = el('div', { class: 'fmtl-hint', id: 'examples-list-count' });
    const table = el('table', { id: 'examples-list', class: 'ex-table' });
    const head = el('tr');
    for (const c of ['#', f.header.input === 'text' ? 'sentence' : 'CSV row', 'gold', 'y⁰', `y${sup(f.header.iterations)}`, '']) head.append(el('th', {}, c));
    table.append(el('thead'), el('tbody'));
    table.tHead!.append(head);
    this.listBody = table.tBodies[0];
    wrap.append(this.listCount, table);
    this.refreshList(f);
    return wrap;
  }

  private refreshList(f: PredictionsFile): void {
    const t0 = performance.now();
    const idx = filterExamples(f, this.filter);
    const task = this.filter.task;
    const rows = idx.slice(0, MAX_ROWS).map((i) => {
      const e = f.examples[i];
      const passes = e.pred[task] ?? [];
      const o = outcomeOf(e, task);
      const tr = el('tr', { 'data-i': String(i), tabindex: '0', class: i === this.selected ? 'selected' : '' });
      tr.append(
        el('td', {}, String(e.i)),
        el('td', { class: 'ex-input' }, e.tokens ? e.tokens.join(' ') : `row ${e.row} (line ${e.line})`),
        el('td', {}, goldText(e.gold[task], e.tokens)),
        el('td', {}, passes[0] ? answerText(passes[0], e.tokens) : ''),
        el('td', {}, passes.length ? answerText(passes[passes.length - 1], e.tokens) : ''),
        el('td', { class: o ? `ex-badge ex-${o}` : '' }, o ? FILTER_TEXT[o] : ''),
      );
      const open = () => this.open(f, i);
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') open(); });
      return tr;
    });
    this.listBody?.replaceChildren(...rows);
    if (this.listCount) this.listCount.textContent = `${idx.length} of ${f.examples.length} examples${idx.length > MAX_ROWS ? ` (first ${MAX_ROWS} shown)` : ''} · click one to see every pass`;
    this.timing.listMs = performance.now() - t0;
  }

  private detail(f: PredictionsFile): HTMLElement {
    const box = el('div', { id: 'example-detail', class: 'ex-detail' });
    if (this.selected === undefined) return box;
    const e = f.examples[this.selected];
    box.append(el('h3', {}, `Example ${e.i}${e.row !== undefined ? ` · CSV row ${e.row} (line ${e.line})` : ''}`));
    for (const t of f.header.tasks) box.append(passTable(t.id, e));
    return box;
  }

  private analysis(f: PredictionsFile): HTMLElement {
    const box = el('div', { class: 'ex-analysis', id: 'examples-analysis' });
    const K = f.header.iterations;
    for (const t of f.header.tasks) {
      if (t.kind === 'classification') {
        const m = confusionMatrix(f, t.id);
        const max = Math.max(1, ...m.counts.flat());
        const table = el('table', { class: 'ex-table ex-confusion', 'data-task': t.id });
        const head = el('tr');
        head.append(el('th', {}, 'gold \\ predicted'));
        for (const l of m.labels) head.append(el('th', { class: 'rot', title: l }, l));
        table.append(head);
        m.labels.forEach((g, r) => {
          const tr = el('tr');
          tr.append(el('th', {}, g));
          m.counts[r].forEach((n, c) => {
            const td = el('td', { class: r === c ? 'diag' : n ? 'off' : '', title: `gold ${g}, predicted ${m.labels[c]}: ${n}` }, n ? String(n) : '');
            if (n) td.style.setProperty('--share', String(Math.max(0.12, n / max)));
            if (n && r !== c) td.addEventListener('click', () => this.setFilter({ task: t.id, gold: g, predicted: m.labels[c] }));
            tr.append(td);
          });
          table.append(tr);
        });
        box.append(el('h3', {}, `${t.id}: confusion matrix (${f.header.split}, y${sup(K)}, best checkpoint) — click a cell to list its examples`), table);
      } else if (t.kind === 'tagging') {
        const s = typeScores(f, t.id);
        const table = el('table', { class: 'ex-table ex-types', 'data-task': t.id });
        const head = el('tr');
        for (const c of ['slot type', 'precision', 'recall', 'F1', 'gold spans', 'predicted']) head.append(el('th', {}, c));
        table.append(head);
        for (const [type, v] of Object.entries(s).sort((a, b) => b[1].gold - a[1].gold)) {
          const tr = el('tr');
          tr.append(el('td', {}, type), ...[v.precision, v.recall, v.f1].map((x) => el('td', { class: 'num' }, (100 * x).toFixed(1))), el('td', { class: 'num' }, String(v.gold)), el('td', { class: 'num' }, String(v.predicted)));
          tr.addEventListener('click', () => this.setFilter({ task: t.id, gold: type }));
          table.append(tr);
        }
        box.append(el('h3', {}, `${t.id}: span precision / recall / F1 per slot type (conlleval, ${f.header.split}, y${sup(K)}, best checkpoint; %)`), table);
      }
    }
    return box;
  }

  private compare(a: PredictionsFile): HTMLElement {
    const box = el('div', { id: 'examples-compare', class: 'ex-compare' });
    const [ra, rb] = this.runs;
    const b = this.fileOf(rb);
    box.append(el('h3', {}, `${ra.name} vs ${rb.name}: where one run is right and the other wrong (${this.split}, y^K, best checkpoints)`));
    if (typeof b !== 'object') { box.append(el('p', { class: 'fmtl-hint' }, typeof b === 'string' ? `${rb.name}: ${b}` : `${rb.name}: no predictions yet`)); return box; }
    for (const t of a.header.tasks) {
      if (t.kind === 'regression') continue;
      let d;
      try { d = compareRuns(a, b, t.id); } catch (e) { box.append(el('p', { class: 'fmtl-error' }, (e as Error).message)); return box; }
      const row = el('div', { class: 'ex-count-row', 'data-task': t.id });
      const btn = (label: string, which: number[], dir: string) => {
        const x = el('button', { type: 'button', class: 'fmtl-btn ex-count', 'data-compare': dir }, `${label}: ${which.length}`);
        x.addEventListener('click', () => { this.filterIndices = { task: t.id, indices: which }; this.showIndices(a); });
        return x;
      };
      row.append(el('strong', {}, t.id), btn(`right only in ${ra.name}`, d.onlyA, 'a'), btn(`right only in ${rb.name}`, d.onlyB, 'b'),
        el('span', { class: 'fmtl-hint' }, `both right ${d.bothRight} · both wrong ${d.bothWrong}`));
      box.append(row);
    }
    return box;
  }

  private filterIndices?: { task: string; indices: number[] };

  private showIndices(f: PredictionsFile): void {
    const sel = this.filterIndices;
    if (!sel || !this.listBody) return;
    this.filter = { task: sel.task };
    const task = sel.task;
    this.listBody.replaceChildren(...sel.indices.slice(0, MAX_ROWS).map((i) => {
      const e = f.examples[i];
      const passes = e.pred[task] ?? [];
      const tr = el('tr', { 'data-i': String(i), tabindex: '0' });
      tr.append(el('td', {}, String(e.i)), el('td', { class: 'ex-input' }, e.tokens ? e.tokens.join(' ') : `row ${e.row}`), el('td', {}, goldText(e.gold[task], e.tokens)),
        el('td', {}, passes[0] ? answerText(passes[0], e.tokens) : ''), el('td', {}, passes.length ? answerText(passes[passes.length - 1], e.tokens) : ''), el('td', {}, ''));
      tr.addEventListener('click', () => this.open(f, i));
      return tr;
    }));
    if (this.listCount) this.listCount.textContent = `${sel.indices.length} examples (${this.runs[0].name}'s answers shown)`;
  }

  private tryBox(run: ExamplesRun): HTMLElement {
    const box = el('div', { class: 'ex-try', id: 'try-model' });
    box.append(el('h3', {}, 'Try the model'), el('p', { class: 'fmtl-hint' }, `Runs this run's trained model (best checkpoint) in a trainer process on what you type: each task's answer at every pass.${run.tabular ? ' Type a row as column=value, column=value, …' : ''}`));
    const input = el('input', { id: 'try-input', type: 'text', placeholder: run.tabular ? 'bill_length_mm=39.1, bill_depth_mm=18.7, flipper_length_mm=181, island=Torgersen' : 'play the new song by adele', 'aria-label': 'Input for the model' });
    const go = el('button', { id: 'try-run', type: 'button', class: 'fmtl-btn' }, 'Run');
    const out = el('div', { id: 'try-result', role: 'status', 'aria-live': 'polite' });
    const run1 = async () => {
      const text = input.value.trim();
      if (!text) return;
      go.disabled = true;
      out.replaceChildren(el('p', { class: 'fmtl-hint' }, 'running…'));
      try {
        const r = await this.host.tryModel(run.id, text);
        if (!r.reply) { out.replaceChildren(el('p', { class: 'fmtl-error' }, r.error ?? 'no answer')); return; }
        const p = r.reply.predictions[0];
        const e: ExamplePrediction = { i: 0, ...(p.tokens ? { tokens: p.tokens } : {}), gold: {}, pred: p.pred };
        out.replaceChildren(
          el('p', { class: 'fmtl-hint' }, `checkpoint ${r.reply.checkpoint.kind} (epoch ${r.reply.checkpoint.epoch}) · answered in ${r.reply.ms} ms${r.reply.loadMs !== undefined ? ` (model loaded in ${r.reply.loadMs} ms)` : ''}`),
          ...r.reply.tasks.map((t) => passTable(t.id, e)),
        );
      } catch (err) {
        out.replaceChildren(el('p', { class: 'fmtl-error' }, err instanceof Error ? err.message : String(err)));
      } finally {
        go.disabled = false;
      }
    };
    go.addEventListener('click', () => void run1());
    input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') void run1(); });
    const bar = el('div', { class: 'ex-controls' });
    bar.append(input, go);
    box.append(bar, out);
    return box;
  }

  resize(): void {
    // Tables reflow by themselves.
  }

  dispose(): void {
    this.element.remove();
  }
}

function sup(k: number): string {
  return String(k).split('').map((d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]).join('');
}

function goldText(g: ExamplePrediction['gold'][string], tokens?: string[]): string {
  if (g === null || g === undefined) return '(missing)';
  if (typeof g === 'string') return g;
  if (typeof g === 'number') return String(Math.round(g * 100) / 100);
  const spans = wordSpans(tokens ?? g.map(() => '?'), g);
  return spans.length ? spans.map((s) => `[${s.type}: ${s.text}]`).join(' ') : 'no spans';
}

/**
 * One task of one example, every pass: for tagging a grid of tokens (columns) by gold and y^0..y^K
 * (rows), each tag coloured by its slot type and marked ✗ where it differs from gold; for a class,
 * one row per pass with its probability; for a value, the value per pass.
 */
function passTable(task: string, e: ExamplePrediction): HTMLElement {
  const passes = e.pred[task] ?? [];
  const gold = e.gold[task];
  const table = el('table', { class: 'ex-table ex-passes', 'data-task': task });
  table.append(el('caption', {}, task));
  if (passes[0] && isTagsAnswer(passes[0]) && e.tokens) {
    const head = el('tr');
    head.append(el('th', {}, ''));
    for (const w of e.tokens) head.append(el('th', { class: 'tok' }, w));
    table.append(head);
    const rows: [string, string[] | undefined, number[] | undefined, Answer | undefined][] = [];
    if (Array.isArray(gold)) rows.push(['gold', gold, undefined, undefined]);
    passes.forEach((a, k) => { if (isTagsAnswer(a)) rows.push([`y${sup(k)}`, a.tags, a.p, a]); });
    rows.forEach(([label, tags, probs], r) => {
      const tr = el('tr', { class: r === 0 && Array.isArray(gold) ? 'gold' : '' });
      const prev = r > 1 ? rows[r - 1][1] : undefined;
      tr.append(el('th', {}, label + (prev && tags && tags.some((t, i) => t !== prev[i]) ? ' ✎' : '')));
      (tags ?? []).forEach((tag, i) => {
        const wrong = Array.isArray(gold) && r > 0 && tag !== gold[i];
        const td = el('td', { class: `tag${tag === 'O' ? ' o' : ''}${wrong ? ' wrong' : ''}`, title: `${tag}${probs ? ` (p ${probs[i]?.toFixed(2)})` : ''}${wrong ? ` — gold ${gold[i]}` : ''}` }, tag === 'O' ? '·' : tag + (wrong ? ' ✗' : ''));
        if (tag !== 'O') td.style.setProperty('--tag', paletteColor(fnv1a(tag.slice(tag.indexOf('-') + 1)) % 8));
        tr.append(td);
      });
      table.append(tr);
    });
    return table;
  }
  const head = el('tr');
  for (const c of ['pass', 'answer', ...(typeof gold === 'string' || typeof gold === 'number' ? ['gold'] : [])]) head.append(el('th', {}, c));
  table.append(head);
  passes.forEach((a, k) => {
    const changed = k > 0 && !sameAnswer(a, passes[k - 1]);
    const right = isClassAnswer(a) && typeof gold === 'string' ? a.label === gold : undefined;
    const tr = el('tr');
    tr.append(el('th', {}, `y${sup(k)}${changed ? ' ✎' : ''}`),
      el('td', { class: right === false ? 'wrong' : '' }, `${isValueAnswer(a) ? answerText(a) : isClassAnswer(a) ? `${a.label} (p ${a.p.toFixed(2)})` : ''}${right === false ? ' ✗' : right ? ' ✓' : ''}`));
    if (k === 0 && (typeof gold === 'string' || typeof gold === 'number')) tr.append(el('td', { rowspan: String(passes.length) }, String(typeof gold === 'number' ? Math.round(gold * 100) / 100 : gold)));
    table.append(tr);
  });
  return table;
}

/**
 * The charts page: keeps one `RunModel` per run, folds incoming event batches into them as they
 * arrive, and redraws at most once per animation frame (only when something changed, and only the
 * charts near the viewport). Sections: convergence, gates, loss, metrics, compare (DOM hooks for the
 * end-to-end tests: `#charts-root`, `#convergence`, `#gates`, `#loss`, `#metrics`, `#examples`, `#compare`,
 * `#charts-status`, `data-run-id` on every series).
 */
import type { HostToChartsMessage, RunSnapshot, RunViewMode, RunViewStatus } from '../../src/shared/runViewProtocol';
import { assertNever } from '../../src/shared/assertNever';
import { backendLabel } from '../../src/shared/trainerProtocol';
import { dataInput, type Experiment } from '../../src/shared/experimentTypes';
import { RunModel, epochLossSeries, metricNames, metricSeries } from '../../src/shared/series/runModel';
import { paletteColor } from '../../src/shared/series/colors';
import { formatMetric, isBetter, metricTitle } from '../../src/shared/metrics/catalogue';
import { metricsCsv, metricsJson } from '../../src/shared/series/exportData';
import { LineChart, type ChartLine } from './lineChart';
import { ConvergenceChart } from './convergenceChart';
import { GateHeatmap } from './gateHeatmap';
import { CompareView, headlineOf } from './compareView';
import { ExamplesView } from './examplesView';
import { el, fmtValue, svgToPngBase64, type ExportHandler } from './chartBase';
import type { ChartsHost, ViewState } from './host';

interface RunEntry {
  id: string;
  name: string;
  colorIndex: number;
  status: RunViewStatus;
  snapshot: Omit<RunSnapshot, 'events'>;
  model: RunModel;
}

interface Drawable {
  resize(): void;
  dispose(): void;
  readonly element: HTMLElement;
}

type SectionId = 'convergence' | 'gates' | 'loss' | 'metrics' | 'examples' | 'compare';

const SECTIONS: { id: SectionId; title: string; hint: string }[] = [
  { id: 'convergence', title: 'Convergence', hint: 'How far each feedback iteration moves the outputs: ‖y^(k+1) − y^k‖. Lines that drop steeply mean the loop settles after the first passes.' },
  { id: 'gates', title: 'Gumbel gates', hint: 'Probability of each candidate block receiving the feedback, over training. The white line marks the block the gate picks (argmax).' },
  { id: 'loss', title: 'Loss', hint: 'Task loss on the final iterate y^K per step (smoothed; raw in the background) and the epoch means on train and validation; with a dynamic loss weighting, the weight each task loss got per step.' },
  { id: 'metrics', title: 'Metrics', hint: 'Per-epoch metrics on train (dashed) and validation (solid).' },
  { id: 'examples', title: 'Examples', hint: 'What the feedback passes did to each example: y^K against y^0, per task, on the best checkpoint.' },
  { id: 'compare', title: 'Compare', hint: '' },
];

/** Time per frame for chart updates (ms); the browser needs the rest of the 16.7 ms for style, layout and paint. */
const FRAME_BUDGET_MS = 6;

/** Draw statistics for the benchmark (`bench/frames.mjs`). */
export interface DrawStats {
  draws: number;
  /** Duration of recent draws (ms), newest last, at most 5000. */
  drawMs: number[];
  eventsReceived: number;
  /** Chart updates by kind (`loss`, `gate`, ...): count, total and max ms. */
  byKind: Record<string, { n: number; ms: number; max: number }>;
}

/** Spacing of full redraws while data streams in (ms): at most 5 a second. */
const MIN_FULL_DRAW_MS = 200;

export class ChartsApp {
  readonly stats: DrawStats = { draws: 0, drawMs: [], eventsReceived: 0, byKind: {} };
  private readonly runs = new Map<string, RunEntry>();
  private order: string[] = [];
  private mode: RunViewMode = 'single';
  private readonly header: HTMLElement;
  private readonly status: HTMLElement;
  private readonly sections = new Map<SectionId, { section: HTMLElement; body: HTMLElement; hint: HTMLElement }>();
  private readonly charts = new Map<string, { chart: Drawable; seen: boolean; drawn?: boolean }>();
  private readonly visible = new WeakSet<Element>();
  private readonly observer?: IntersectionObserver;
  private readonly logBox: HTMLDetailsElement;
  private state: ViewState;
  private raf = 0;
  /** Pending timer that defers the next frame to keep at most MAX_FULL_DRAWS_PER_S full redraws a second. */
  private deferTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFullDrawAt = -Infinity;
  private readonly queue = new Map<string, () => void>();
  private headerKey = '';
  private logKey = '';
  private dirty = false;
  private forceAll = false;
  private lastVersion = -1;
  private readonly smoothingInput: HTMLInputElement;

  constructor(private readonly root: HTMLElement, private readonly host: ChartsHost) {
    this.state = host.getState() ?? { smoothing: 0.6, logScales: {} };
    root.replaceChildren();
    this.header = el('div', { class: 'fmtl-header' });
    this.status = el('div', { id: 'charts-status', role: 'status', 'aria-live': 'polite' }, 'waiting for the run…');
    const toolbar = el('div', { class: 'fmtl-toolbar' });
    const nav = el('nav');
    for (const s of SECTIONS) nav.append(el('a', { href: `#${s.id}` }, s.title));
    const smooth = el('label', {}, 'Smoothing');
    this.smoothingInput = el('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(this.state.smoothing), 'aria-label': 'Smoothing' });
    const smoothVal = el('span', { class: 'val' }, this.state.smoothing.toFixed(2));
    smooth.append(this.smoothingInput, smoothVal);
    this.smoothingInput.addEventListener('input', () => {
      this.state.smoothing = Number(this.smoothingInput.value);
      smoothVal.textContent = this.state.smoothing.toFixed(2);
      this.saveState();
      this.invalidate(true);
    });
    const csv = el('button', { class: 'fmtl-btn', type: 'button', title: 'Per-epoch metrics and losses of every run, one value per row' }, 'Export CSV');
    csv.addEventListener('click', () => this.exportMetrics('csv'));
    const json = el('button', { class: 'fmtl-btn', type: 'button', title: 'Metrics, step losses, loss weights and iteration deltas as JSON' }, 'Export JSON');
    json.addEventListener('click', () => this.exportMetrics('json'));
    toolbar.append(nav, smooth, el('span', { class: 'spacer' }), csv, json);
    root.append(this.header, this.status, toolbar);
    for (const s of SECTIONS) {
      const section = el('section', { id: s.id, class: 'fmtl-section', 'aria-label': s.title });
      const hint = el('p', { class: 'fmtl-hint' }, s.hint);
      const body = el('div', { class: 'fmtl-section-body' });
      section.append(el('h2', {}, s.title), hint, body);
      root.append(section);
      this.sections.set(s.id, { section, body, hint });
    }
    this.logBox = el('details', { class: 'fmtl-logbox' });
    this.logBox.hidden = true;
    root.append(this.logBox);
    if (typeof IntersectionObserver === 'function') {
      this.observer = new IntersectionObserver((entries) => {
        let newlyVisible = false;
        for (const e of entries) {
          if (e.isIntersecting) { if (!this.visible.has(e.target)) newlyVisible = true; this.visible.add(e.target); } else this.visible.delete(e.target);
        }
        if (newlyVisible) this.invalidate(true);
      }, { rootMargin: '300px 0px' });
    }
  }

  /** Entry point for host messages. */
  receive(m: HostToChartsMessage): void {
    switch (m.type) {
      case 'run/snapshot': {
        this.mode = m.mode;
        this.runs.clear();
        this.order = [];
        for (const s of m.runs) {
          const { events, ...meta } = s;
          const model = new RunModel(s.id);
          for (const e of events) model.ingest(e);
          this.stats.eventsReceived += events.length;
          this.runs.set(s.id, { id: s.id, name: s.name, colorIndex: s.colorIndex, status: s.status, snapshot: meta, model });
          this.order.push(s.id);
        }
        for (const [, c] of this.charts) c.chart.dispose();
        this.charts.clear();
        this.queue.clear();
        this.invalidate(true);
        break;
      }
      case 'run/events': {
        const r = this.runs.get(m.runId);
        if (!r) break;
        for (const e of m.events) r.model.ingest(e);
        this.stats.eventsReceived += m.events.length;
        this.invalidate(false);
        break;
      }
      case 'run/status': {
        const r = this.runs.get(m.runId);
        if (r) { r.status = m.status; this.invalidate(false); }
        break;
      }
      default:
        assertNever(m);
    }
  }

  /** Asks for a redraw on the next animation frame (coalesces any number of calls). */
  invalidate(force: boolean): void {
    this.dirty = true;
    this.forceAll ||= force;
    if (this.raf || this.deferTimer) return;
    // A fast trainer streams events many times a second; redrawing every chart on each frame can
    // keep the webview's only thread busy and starve painting and input. Full redraws from new data
    // are spaced by MIN_FULL_DRAW_MS (the rAF still aligns each one with a frame).
    const wait = force ? 0 : this.lastFullDrawAt + MIN_FULL_DRAW_MS - performance.now();
    const frame = () => {
      this.raf = requestAnimationFrame(() => {
        this.raf = 0;
        if (this.dirty) this.draw();
      });
    };
    if (wait > 0) this.deferTimer = setTimeout(() => { this.deferTimer = undefined; frame(); }, wait);
    else frame();
  }

  private draw(): void {
    const t0 = performance.now();
    this.dirty = false;
    const version = [...this.runs.values()].reduce((a, r) => a + r.model.version, 0);
    const force = this.forceAll || version !== this.lastVersion;
    this.forceAll = false;
    this.lastVersion = version;
    if (force) {
      this.lastFullDrawAt = t0;
      this.drawHeader();
      this.drawStatus();
      this.drawCharts();
      this.drawLogs();
      const k = this.stats.byKind.frame ?? (this.stats.byKind.frame = { n: 0, ms: 0, max: 0 });
      const dt = performance.now() - t0;
      k.n++; k.ms += dt; k.max = Math.max(k.max, dt);
    }
    this.pump(t0);
    // Chart updates left in the queue continue on the next frame, without waiting for new data.
    if (this.queue.size && !this.raf) this.raf = requestAnimationFrame(() => { this.raf = 0; this.draw(); });
    const dt = performance.now() - t0;
    this.stats.draws++;
    this.stats.drawMs.push(dt);
    if (this.stats.drawMs.length > 5000) this.stats.drawMs.splice(0, 1000);
  }

  /** Queues a chart update; a newer update of the same chart replaces the pending one (keeping its turn). */
  private later(key: string, update: () => void): void {
    this.queue.set(key, update);
  }

  /**
   * Runs queued chart updates until the frame budget is used (at least one per frame), longest
   * waiting first; the rest continue next frame. Keeps every frame short however many charts
   * the page has, while each chart still refreshes several times a second.
   */
  private pump(t0: number): void {
    let ran = 0;
    for (const [key, update] of this.queue) {
      if (ran++ > 0 && performance.now() - t0 > FRAME_BUDGET_MS) break;
      this.queue.delete(key);
      const t = performance.now();
      try {
        update();
        const kind = key.split('/')[0];
        const dt = performance.now() - t;
        const k = this.stats.byKind[kind] ?? (this.stats.byKind[kind] = { n: 0, ms: 0, max: 0 });
        k.n++; k.ms += dt; k.max = Math.max(k.max, dt);
      } catch (e) {
        this.host.log('error', `Chart ${key} failed to draw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private get entries(): RunEntry[] {
    return this.order.map((id) => this.runs.get(id)!).filter(Boolean);
  }

  private color(r: RunEntry): string {
    return paletteColor(r.colorIndex);
  }

  private drawHeader(): void {
    const runs = this.entries;
    // Rebuilt only when it would change: DOM churn here would restyle the page every frame.
    const key = runs.map((r) => `${r.id}|${r.name}|${r.colorIndex}|${r.model.start ? 1 : 0}`).join('\n');
    if (key === this.headerKey) return;
    this.headerKey = key;
    const title = runs.length === 1 ? runs[0].name : `Comparing ${runs.length} runs`;
    const h1 = el('h1', {}, title);
    const chips = runs.map((r) => {
      const chip = el('span', { class: 'run-chip', 'data-run-id': r.id, title: r.snapshot.runDir ?? r.id });
      const dot = el('i');
      dot.style.background = this.color(r);
      const s = r.model.start;
      chip.append(dot, document.createTextNode(runs.length > 1 ? `${r.name}${s ? ` · seed ${s.seed}` : ''}` : s ? `${backendLabel(s.backend)} · seed ${s.seed} · ${s.sizes.parameters.toLocaleString('en-US')} params · K = ${s.config.iterations}` : r.id));
      return chip;
    });
    this.header.replaceChildren(h1, ...chips);
  }

  private drawStatus(): void {
    const runs = this.entries;
    const steps = runs.reduce((a, r) => a + r.model.steps, 0);
    const events = runs.reduce((a, r) => a + r.model.events, 0);
    const parts = [`steps: ${steps}`, `events: ${events}`];
    if (runs.length === 1) {
      const m = runs[0].model;
      const planned = m.plannedEpochs;
      parts.push(`epoch ${m.lastEpoch}${planned ? `/${planned}` : ''}`);
      const ms = m.stepMs.lastY;
      if (ms !== undefined) parts.push(`${fmtValue(ms)} ms/step`);
      const status = m.done || m.error ? m.status : runs[0].status === 'running' || runs[0].status === 'unknown' ? m.status : runs[0].status;
      parts.push(status);
      if (m.done) parts.push(`took ${(m.done.summary.durationMs / 1000).toFixed(1)} s`);
    } else {
      parts.unshift(`runs: ${runs.length}`);
      const live = runs.filter((r) => r.model.status === 'running' && r.status === 'running').length;
      if (live) parts.push(`${live} running`);
    }
    const text = parts.join(' · ');
    if (this.status.firstChild?.nodeType === Node.TEXT_NODE && this.status.childNodes.length === 1 && this.status.textContent === text) return;
    this.status.textContent = text;
    const bad = runs.find((r) => r.model.error);
    if (bad?.model.error) {
      const err = el('div', { class: 'fmtl-error' }, `${bad.name}: ${bad.model.error.where ? `${bad.model.error.where}: ` : ''}${bad.model.error.message}`);
      this.status.append(err);
    }
  }

  private drawLogs(): void {
    const lines = this.entries.flatMap((r) => r.model.logs.filter((l) => l.level !== 'info').map((l) => ({ ...l, run: r.name })));
    const key = `${lines.length}|${lines[lines.length - 1]?.message ?? ''}`;
    if (key === this.logKey) return;
    this.logKey = key;
    this.logBox.hidden = lines.length === 0;
    if (!lines.length) return;
    const pre = el('div', { class: 'fmtl-logs' });
    for (const l of lines.slice(-50)) pre.append(el('div', { class: l.level }, `${this.entries.length > 1 ? `[${l.run}] ` : ''}${l.level}: ${l.message}`));
    this.logBox.replaceChildren(el('summary', {}, `Warnings and errors (${lines.length})`), pre);
  }

  /** Creates or reuses the chart `key` in `parent`; returns it and whether it should draw now. */
  private chart<T extends Drawable>(key: string, parent: HTMLElement, make: (container: HTMLElement) => T): { chart: T; draw: boolean } {
    let entry = this.charts.get(key);
    if (!entry) {
      entry = { chart: make(parent), seen: false, drawn: false };
      this.charts.set(key, entry);
      this.observer?.observe(entry.chart.element);
    }
    entry.seen = true;
    // Charts far off screen skip streaming updates; the observer redraws them when they scroll in.
    // A chart that never drew draws once, so printing, screenshots and the report are complete.
    const draw = !this.observer || !entry.drawn || this.visible.has(entry.chart.element);
    entry.drawn = true;
    return { chart: entry.chart as T, draw };
  }

  private grid(section: SectionId, name: string, wide = false): HTMLElement {
    const body = this.sections.get(section)!.body;
    let g = body.querySelector<HTMLElement>(`:scope > [data-grid="${name}"]`);
    if (!g) {
      g = el('div', { class: `fmtl-grid${wide ? ' wide' : ''}`, 'data-grid': name });
      body.append(g);
    }
    return g;
  }

  private lineChart(key: string, section: SectionId, gridName: string, opts: ConstructorParameters<typeof LineChart>[1], wide = section !== 'metrics'): { chart: LineChart; draw: boolean } {
    const logKey = opts.chartId ?? key;
    return this.chart(key, this.grid(section, gridName, wide), (c) => new LineChart(c, {
      ...opts, chartId: logKey, yLog: this.state.logScales[logKey] ?? opts.yLog,
      onLogChange: (on) => { this.state.logScales[logKey] = on; this.saveState(); },
      onExport: this.onExport,
    }));
  }

  private drawCharts(): void {
    for (const c of this.charts.values()) c.seen = false;
    const runs = this.entries;
    const single = runs.length === 1;
    const smoothing = this.state.smoothing;
    const compare = this.sections.get('compare')!;
    // In compare mode the comparison comes first: it is why the panel was opened.
    if (this.mode === 'compare' && this.root.querySelector('section') !== compare.section) this.sections.get('convergence')!.section.before(compare.section);
    const tasks: string[] = [];
    for (const r of runs) for (const t of r.model.tasks) if (!tasks.includes(t)) tasks.push(t);

    // ---- convergence
    // A task no arrow feeds into has all-zero deltas: say so once instead of drawing empty log charts.
    const moving = (t: string) => runs.some((r) => r.model.deltaCurves(t).some((c) => c.deltas.some((d) => d > 0)));
    const withDeltas = tasks.filter((t) => runs.some((r) => r.model.deltaTasks.includes(t)));
    const deltaTasks = withDeltas.filter(moving);
    const still = withDeltas.filter((t) => !moving(t));
    this.sections.get('convergence')!.hint.textContent = SECTIONS[0].hint
      + (still.length ? ` ${still.join(', ')} ${still.length > 1 ? 'receive' : 'receives'} no feedback: ${still.length > 1 ? 'their outputs do' : 'its output does'} not change across iterations.` : '');
    for (const task of deltaTasks) {
      const c = this.chart(`conv/${task}`, this.grid('convergence', 'conv', true), (p) => new ConvergenceChart(p, { task, onExport: this.onExport }));
      if (c.draw) this.later(`conv/${task}`, () => c.chart.update({ runs: runs.map((r) => ({ id: r.id, name: r.name, color: this.color(r), model: r.model })), smoothing }));
    }
    const conv = this.lineChart('convloss', 'convergence', 'conv', {
      title: 'Convergence loss', subtitle: 'Σ β^(K−k) ‖y^(k+1) − y^k‖ per task, before λ', fileStem: 'convergence-loss', chartId: 'convergence-loss',
      xLabel: 'step', xName: 'step', height: 200,
    });
    if (conv.draw) this.later('convloss', () => {
    const convLines: ChartLine[] = [];
    runs.forEach((r) => {
      let ti = 0;
      for (const [task, s] of r.model.convergence) {
        if (!s.length) continue;
        convLines.push({
          id: `${r.id}/${task}`, runId: r.id, x: s.x, y: s.y, smooth: true, label: single ? task : r.name, hideInLegend: !single && ti > 0,
          color: single ? paletteColor(tasks.indexOf(task) + 2) : this.color(r), dash: single ? undefined : ['', '5 3', '1.5 2.5'][ti % 3] || undefined,
        });
        ti++;
      }
    });
    const convTasks = tasks.filter((t) => runs.some((r) => r.model.convergence.get(t)?.length));
    const convCaption = !convLines.length ? noFeedbackText(runs) : single ? '' : `line style = task: ${convTasks.map((t, i) => `${t} ${['solid', 'dashed', 'dotted'][i % 3]}`).join(', ')}`;
    conv.chart.setSmoothing(smoothing);
    conv.chart.update({ lines: convLines, caption: convCaption });
    });

    // ---- gates
    let gateCount = 0;
    for (const r of runs) {
      for (const [arrow, grid] of r.model.gates) {
        gateCount++;
        const spec = r.model.start?.config.feedback.find((f) => f.id === arrow);
        const title = spec ? `${arrow}: ${spec.from} → ${spec.to}` : arrow;
        const c = this.chart(`gate/${r.id}/${arrow}`, this.grid('gates', 'gates', true), (p) => new GateHeatmap(p, {
          title, subtitle: single ? `which block of ${spec?.to ?? 'the target'} receives it` : r.name,
          fileStem: `gates-${arrow}`, chartId: `gate-${arrow}`, onExport: this.onExport,
        }));
        if (c.draw) this.later(`gate/${r.id}/${arrow}`, () => c.chart.update({ grid, runId: r.id }));
      }
    }
    this.sections.get('gates')!.hint.textContent = gateCount ? SECTIONS[1].hint : gateHint(runs);

    // ---- loss
    for (const task of tasks) {
      const c = this.lineChart(`loss/${task}`, 'loss', 'loss', {
        title: `${task} loss`, fileStem: `loss-${task}`, chartId: `loss-${task}`, xLabel: 'step', xName: 'step', yLog: false,
      });
      if (!c.draw) continue;
      this.later(`loss/${task}`, () => {
      const lines: ChartLine[] = [];
      for (const r of runs) {
        const s = r.model.loss.get(task);
        const tr = epochLossSeries(r.model, task, 'train');
        const va = epochLossSeries(r.model, task, 'valid');
        const name = single ? '' : `${r.name} · `;
        if (s?.length) lines.push({ id: `${r.id}/step`, runId: r.id, x: s.x, y: s.y, smooth: true, label: single ? 'train (step)' : r.name, color: single ? paletteColor(0) : this.color(r) });
        if (single && tr.x.length) lines.push({ id: `${r.id}/train-epoch`, runId: r.id, ...tr, markers: true, width: 1, label: 'train (epoch mean)', color: paletteColor(0), dash: '2 3' });
        if (va.x.length) lines.push({ id: `${r.id}/valid`, runId: r.id, ...va, markers: true, width: 2, label: single ? 'valid' : `${r.name} valid`, color: single ? paletteColor(1) : this.color(r), dash: single ? undefined : '5 3', hideInLegend: !single && !!s?.length });
      }
      c.chart.setSmoothing(smoothing);
      c.chart.update({ lines, caption: single ? resumeCaption(runs[0].model) : 'solid: train loss per step (smoothed) · dashed with dots: validation loss per epoch' });
      });
    }

    // ---- loss weights (beside the losses): only when some run's weighting adapts the weights
    const weighting = (r: RunEntry) => (r.snapshot.config ?? r.model.start?.config)?.lossWeighting?.type ?? 'fixed';
    const weighted = runs.filter((r) => weighting(r) !== 'fixed' && r.model.weights.size > 0);
    if (weighted.length) {
      const c = this.lineChart('lossweights', 'loss', 'loss', {
        title: 'Loss weights', subtitle: single ? `lossWeighting '${weighting(weighted[0])}'` : 'per run and task',
        fileStem: 'loss-weights', chartId: 'loss-weights', xLabel: 'step', xName: 'step', yLog: false,
      });
      if (c.draw) this.later('lossweights', () => {
        const lines: ChartLine[] = [];
        for (const r of weighted) {
          let ti = 0;
          for (const task of tasks) {
            const s = r.model.weights.get(task);
            if (!s?.length) continue;
            lines.push({
              id: `${r.id}/w/${task}`, runId: r.id, x: s.x, y: s.y, smooth: false,
              label: single ? task : `${r.name} · ${task}`, hideInLegend: !single && ti > 0,
              color: single ? paletteColor(tasks.indexOf(task) + 2) : this.color(r), dash: single ? undefined : ['', '5 3', '1.5 2.5'][ti % 3] || undefined,
            });
            ti++;
          }
        }
        const kinds = [...new Set(weighted.map(weighting))].join(', ');
        c.chart.update({
          lines,
          caption: `the factor that multiplied each task's training loss at each step (${kinds}; unsmoothed); the convergence loss keeps its weight λ`
            + (single ? '' : ` · line style = task: ${tasks.map((t, i) => `${t} ${['solid', 'dashed', 'dotted'][i % 3]}`).join(', ')}`),
        });
      });
    }

    // ---- soft sharing's tie penalty (beside the losses): only when some run ties encoder copies
    const tied = runs.filter((r) => r.model.tie.length > 0);
    if (tied.length) {
      const l2 = (r: RunEntry) => (r.snapshot.config ?? r.model.start?.config)?.sharing?.l2;
      const c = this.lineChart('tie', 'loss', 'loss', {
        title: 'Soft-sharing tie', subtitle: single ? `l2 ${l2(tied[0]) ?? 0.001} · sum over task pairs of ||θi − θj||²` : 'per run',
        fileStem: 'tie-penalty', chartId: 'tie-penalty', xLabel: 'step', xName: 'step', yLog: false,
      });
      if (c.draw) this.later('tie', () => {
        const lines: ChartLine[] = tied.map((r) => ({
          id: `${r.id}/tie`, runId: r.id, x: r.model.tie.x, y: r.model.tie.y, smooth: false,
          label: single ? 'tie' : r.name, color: single ? paletteColor(0) : this.color(r),
        }));
        c.chart.update({ lines, caption: 'the penalty soft sharing adds to the training loss at each step: l2 × the summed squared differences between the tasks\' encoder copies (unsmoothed)' });
      });
    }

    // ---- metrics
    const metricCols: { task: string; metric: string }[] = [];
    for (const r of runs) for (const [task, names] of metricNames(r.model)) for (const m of names) if (!metricCols.some((c) => c.task === task && c.metric === m)) metricCols.push({ task, metric: m });
    for (const { task, metric } of metricCols) {
      const label = metricTitle(task, metric);
      const c = this.lineChart(`metric/${task}/${metric}`, 'metrics', 'metrics', {
        title: label, fileStem: `metric-${task}-${metric}`, chartId: `metric-${task}-${metric}`, xLabel: 'epoch', xName: 'epoch',
        xIntegerTicks: true, height: 190,
      });
      if (!c.draw) continue;
      this.later(`metric/${task}/${metric}`, () => {
      const lines: ChartLine[] = [];
      let best = '';
      for (const r of runs) {
        const va = metricSeries(r.model, task, metric, 'valid');
        const tr = metricSeries(r.model, task, metric, 'train');
        if (tr.x.length) lines.push({ id: `${r.id}/train`, runId: r.id, ...tr, markers: true, width: 1.2, dash: '4 3', label: single ? 'train' : `${r.name} train`, color: single ? paletteColor(0) : this.color(r), opacity: single ? 1 : 0.55, hideInLegend: !single });
        if (va.x.length) lines.push({ id: `${r.id}/valid`, runId: r.id, ...va, markers: true, width: 2, label: single ? 'valid' : r.name, color: single ? paletteColor(1) : this.color(r) });
        if (single && va.y.length) {
          // The run's headline checkpoint first (the number every other view quotes), then this
          // metric's own best epoch and the last one, each with its epoch.
          const h = headlineOf(r);
          const atCkpt = h?.valid[task]?.[metric];
          const testAt = h?.test?.[task]?.[metric];
          const bi = va.y.reduce((b, v, i) => (isBetter(metric, v, va.y[b]) ? i : b), 0);
          best = [
            atCkpt !== undefined && h ? `${h.where}: ${formatMetric(metric, atCkpt)}${testAt !== undefined ? ` (test ${formatMetric(metric, testAt)})` : ''}` : '',
            `this metric's best valid ${formatMetric(metric, va.y[bi])} at epoch ${va.x[bi]}`,
            `last ${formatMetric(metric, va.y[va.y.length - 1])}`,
          ].filter(Boolean).join(' · ');
        }
      }
      c.chart.update({ lines, caption: best });
      });
    }
    if (!metricCols.length) this.sections.get('metrics')!.hint.textContent = 'Metrics appear after the first epoch.';
    else this.sections.get('metrics')!.hint.textContent = SECTIONS[3].hint;

    // ---- examples (per-example predictions of the best checkpoint; two runs: where they disagree)
    const ex = this.chart('examples', this.sections.get('examples')!.body, (p) => new ExamplesView(p, this.host));
    ex.chart.update(runs.slice(0, 2).map((r) => ({
      id: r.id, name: r.name, done: !!r.model.done || (r.status !== 'running' && r.status !== 'unknown'),
      tabular: isTabular(r.snapshot.config ?? r.model.start?.config),
    })));

    // ---- compare
    if (this.mode === 'compare' || runs.length > 1) {
      compare.hint.textContent = 'One colour per run in every chart on this page. Mean ± std appears when several seeds of one config are open.';
      const c = this.chart('compare', compare.body, (p) => new CompareView(p, { onExport: this.onExport }));
      if (c.draw) this.later('compare', () => c.chart.update({ runs: runs.map((r) => ({ id: r.id, name: r.name, color: this.color(r), model: r.model, config: r.snapshot.config ?? r.model.start?.config })) }));
    } else {
      compare.hint.textContent = 'Open several runs (Runs view → Compare Runs, or an ablation) to overlay them here with a config diff and mean ± std across seeds.';
    }

    // Charts whose series disappeared (e.g. a new snapshot with other runs) go away.
    for (const [k, c] of this.charts) if (!c.seen) { c.chart.dispose(); this.charts.delete(k); this.queue.delete(k); }
  }

  private readonly onExport: ExportHandler = (format, stem, svg, width, height) => {
    void (async () => {
      try {
        const base = this.entries.length === 1 ? this.entries[0].name : 'compare';
        const fileName = `${base}-${stem}.${format}`;
        if (format === 'svg') await this.host.save({ format, fileName, content: svg, encoding: 'utf8' });
        else await this.host.save({ format, fileName, content: await svgToPngBase64(svg, width, height), encoding: 'base64' });
      } catch (e) {
        this.host.log('error', `Export failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
  };

  private exportMetrics(format: 'csv' | 'json'): void {
    const models = this.entries.map((r) => ({ name: r.name, model: r.model }));
    const base = this.entries.length === 1 ? this.entries[0].name : 'compare';
    const content = format === 'csv' ? metricsCsv(models) : metricsJson(models);
    this.host.save({ format, fileName: `${base}-metrics.${format}`, content, encoding: 'utf8' })
      .catch((e) => this.host.log('error', `Export failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  private saveState(): void {
    this.host.setState(this.state);
  }
}

function noFeedbackText(runs: RunEntry[]): string {
  if (runs.length && runs.every((r) => r.model.start && r.model.start.config.feedback.filter((f) => f.enabled !== false).length === 0)) {
    return 'Static MTL: no feedback arrows, so there is no convergence loss.';
  }
  return '';
}

function gateHint(runs: RunEntry[]): string {
  const known = runs.filter((r) => r.model.start);
  if (known.length && known.every((r) => !r.model.start!.config.feedback.some((f) => f.injection === 'gumbel' && f.enabled !== false))) {
    return 'No Gumbel arrows in this experiment: every feedback arrow injects into a fixed block. Set "injection": "gumbel" on an arrow to let training choose.';
  }
  return 'Gate probabilities arrive every logEvery steps.';
}

/**
 * Where a run was resumed, and which epoch means of the training loss cover only the steps since a
 * mid-epoch resume (their weights and valid figures are those of an uninterrupted run).
 */
export function resumeCaption(model: RunModel): string {
  if (!model.resumes.length) return '';
  const at = model.resumes.map((r) => (r.checkpoint === 'none' ? 'step 0 (no checkpoint yet: trained again from the start)' : `step ${r.step} (${r.checkpoint} checkpoint, epoch ${r.epoch} done)`)).join(', ');
  const partial = model.epochs.filter((e) => e.resumedAtStep !== undefined)
    .map((e) => `epoch ${e.epoch}'s train mean covers ${e.stepsCounted} steps (${(e.resumedAtStep ?? 0) + 1}–${e.step})`);
  return [`resumed at ${at}`, ...partial].join(' · ');
}

/** Whether a run's data is feature rows (CSV, tabular JSONL) rather than text. */
function isTabular(config: Experiment | undefined): boolean {
  return config !== undefined && dataInput(config.data) === 'tabular';
}

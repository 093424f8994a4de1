/**
 * Line chart for loss / metric / delta curves: smoothing (debiased EMA, raw line kept faint behind),
 * linear or log y, zoom and pan on x (wheel, drag; double-click fits again), hover read-out of every
 * line, legend toggles. While the user is zoomed in, new points never move the view; when not
 * zoomed the view follows the data.
 *
 * Geometry comes from the pure `computeLineLayout`; this class only joins it into the DOM, so the
 * exported SVG (`lineSvg` of the same layout) matches the screen.
 */
import { select, type Selection } from 'd3-selection';
import { zoom as d3zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior } from 'd3-zoom';
import { scaleLinear } from 'd3-scale';
import { computeLineLayout, layoutScales, lineSvg, type LaidOutLine, type LineLayout, type LineSpec, type Tick } from '../../src/shared/series/lineLayout';
import { emaSmooth } from '../../src/shared/series/smoothing';
import { xExtent, type Domain } from '../../src/shared/series/extent';
import { escapeHtml as esc } from '../../src/shared/escape';
import { ChartFrame, fmtValue, type ChartFrameOptions } from './chartBase';
import { currentSvgTheme } from './theme';

/** A line plus whether the app-wide smoothing applies to it (noisy step series: yes; epoch points: no). */
export interface ChartLine extends LineSpec {
  smooth?: boolean;
}

export interface LineChartData {
  lines: ChartLine[];
  /** Text under the chart (e.g. what the lines mean). */
  caption?: string;
}

export interface LineChartOptions extends ChartFrameOptions {
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Start with a log y axis. */
  yLog?: boolean;
  /** Show the log/linear toggle (default true). */
  logToggle?: boolean;
  xIntegerTicks?: boolean;
  /** See `LineLayoutInput.xPad` / `xTickLabel`. */
  xPad?: number;
  xTickLabel?: (value: number) => string;
  /** Called when the user flips log scale (to persist view state). */
  onLogChange?: (yLog: boolean) => void;
  /** Format of x in the read-out, e.g. `step 1,200`. */
  xName?: string;
}

type SVGSel<E extends Element = SVGGElement> = Selection<E, unknown, null, undefined>;

let clipSeq = 0;

export class LineChart {
  private readonly frame: ChartFrame;
  private readonly svg: SVGSel<SVGSVGElement>;
  private readonly gGrid: SVGSel;
  private readonly gX: SVGSel;
  private readonly gY: SVGSel;
  private readonly gBands: SVGSel;
  private readonly gLines: SVGSel;
  private readonly gMarks: SVGSel;
  private readonly gLegend: SVGSel;
  private readonly gHover: SVGSel;
  private readonly overlay: SVGSel<SVGRectElement>;
  private readonly clipRect: SVGSel<SVGRectElement>;
  private readonly zoomBehavior: ZoomBehavior<SVGRectElement, unknown>;
  private readonly resetBtn: HTMLButtonElement;
  private readonly logBtn?: HTMLButtonElement;
  private readonly clipId = `fmtl-clip-${++clipSeq}`;
  private data: LineChartData = { lines: [] };
  private prepared: LineSpec[] = [];
  private layout?: LineLayout;
  private smoothing = 0;
  private yLog: boolean;
  /** Zoomed x range in data units; undefined = follow the data. */
  private view?: Domain;
  private full?: Domain;
  private syncing = false;
  /** d3-zoom holds a non-identity transform. */
  private zoomApplied = false;
  private readonly hidden = new Set<string>();
  private hoverPx?: number;
  private lastSig = '';

  constructor(container: HTMLElement, private readonly options: LineChartOptions) {
    this.frame = new ChartFrame(container, options, () => this.exportSvg());
    this.frame.onResize(() => this.render());
    this.yLog = !!options.yLog;
    this.resetBtn = this.frame.addTool('Fit', 'Show all data (or double-click the chart)', () => this.resetZoom(), true);
    this.resetBtn.hidden = true;
    if (options.logToggle !== false) {
      this.logBtn = this.frame.addTool('log', 'Logarithmic y axis', () => {
        this.yLog = !this.yLog;
        this.options.onLogChange?.(this.yLog);
        this.render();
      }, true);
    }
    const svgEl = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.frame.body.append(svgEl);
    this.svg = select(svgEl);
    this.svg.attr('role', 'img').attr('aria-label', options.title);
    this.clipRect = this.svg.append('defs').append('clipPath').attr('id', this.clipId).append('rect');
    this.gGrid = this.svg.append('g').attr('class', 'grid');
    this.gY = this.svg.append('g').attr('class', 'axis y');
    this.gX = this.svg.append('g').attr('class', 'axis x');
    const plotG = this.svg.append('g').attr('clip-path', `url(#${this.clipId})`);
    this.gBands = plotG.append('g').attr('class', 'bands');
    this.gLines = plotG.append('g').attr('class', 'lines').attr('fill', 'none');
    this.gMarks = plotG.append('g').attr('class', 'marks');
    this.gHover = this.svg.append('g').attr('class', 'hover').style('pointer-events', 'none');
    this.overlay = this.svg.append('rect').attr('class', 'overlay');
    this.gLegend = this.svg.append('g').attr('class', 'legend');

    this.zoomBehavior = d3zoom<SVGRectElement, unknown>()
      .scaleExtent([1, 1e5])
      .on('zoom', (ev: D3ZoomEvent<SVGRectElement, unknown>) => this.onZoom(ev));
    this.overlay.call(this.zoomBehavior).on('dblclick.zoom', null).on('dblclick', () => this.resetZoom());
    this.overlay
      .on('pointermove', (ev: PointerEvent) => { this.hoverPx = ev.offsetX; this.drawHover(ev.offsetX, ev.offsetY); })
      .on('pointerleave', () => { this.hoverPx = undefined; this.drawHover(); });
  }

  /** The chart's card (for layout by the app). */
  get element(): HTMLElement { return this.frame.figure; }

  /** App-wide smoothing weight in [0, 1). */
  setSmoothing(weight: number): void {
    this.smoothing = weight;
  }

  update(data: LineChartData): void {
    // Unchanged input (e.g. an epoch metric while only steps stream in): skip the DOM work.
    const sig = signature(data, this.smoothing);
    if (sig === this.lastSig) return;
    this.lastSig = sig;
    this.data = data;
    this.render();
  }

  resize(): void {
    this.render();
  }

  dispose(): void {
    this.overlay.on('.zoom', null);
    this.frame.dispose();
  }

  /** Standalone SVG of what is on screen, with concrete theme colours. */
  exportSvg(): { svg: string; width: number; height: number } {
    const l = this.computeLayout();
    return { svg: lineSvg(l, currentSvgTheme(), 'c'), width: l.width, height: l.height };
  }

  private computeLayout(): LineLayout {
    this.prepared = [];
    for (const line of this.data.lines) {
      if (this.hidden.has(line.id)) { this.prepared.push({ ...line, x: [], y: [] }); continue; }
      if (line.smooth && this.smoothing > 0) {
        this.prepared.push({ ...line, id: `${line.id}~raw`, width: 1, opacity: (line.opacity ?? 1) * 0.22, hideInLegend: true, markers: false, band: undefined });
        this.prepared.push({ ...line, y: emaSmooth(line.y, this.smoothing) });
      } else {
        this.prepared.push(line);
      }
    }
    this.full = xExtent(this.prepared);
    return computeLineLayout({
      lines: this.prepared, width: this.frame.width, height: this.options.height ?? 210,
      xLabel: this.options.xLabel, yLabel: this.options.yLabel, yLog: this.yLog, xDomain: this.view,
      xIntegerTicks: this.options.xIntegerTicks, xPad: this.options.xPad, xTickLabel: this.options.xTickLabel,
    });
  }

  private render(): void {
    const l = this.computeLayout();
    this.layout = l;
    const { plot } = l;
    this.svg.attr('width', l.width).attr('height', l.height).attr('viewBox', `0 0 ${l.width} ${l.height}`);
    this.clipRect.attr('x', plot.x).attr('y', plot.y).attr('width', plot.w).attr('height', plot.h);
    this.overlay.attr('x', plot.x).attr('y', plot.y).attr('width', plot.w).attr('height', plot.h);
    this.logBtn?.setAttribute('aria-pressed', String(this.yLog));
    this.resetBtn.hidden = !this.view;
    this.frame.caption.textContent = this.data.caption ?? '';

    this.gGrid.selectAll<SVGLineElement, Tick>('line').data(l.yTicks, (t) => String(t.value)).join('line')
      .attr('x1', plot.x).attr('x2', plot.x + plot.w).attr('y1', (t) => t.pos).attr('y2', (t) => t.pos);
    this.gY.selectAll<SVGTextElement, Tick>('text').data(l.yTicks, (t) => String(t.value)).join('text')
      .attr('x', plot.x - 6).attr('y', (t) => t.pos).attr('dy', '0.32em').attr('text-anchor', 'end').text((t) => t.label);
    const bottom = plot.y + plot.h;
    this.gX.selectAll<SVGLineElement, number>('line.domain').data([bottom]).join('line').attr('class', 'domain')
      .attr('x1', plot.x).attr('x2', plot.x + plot.w).attr('y1', (b) => b).attr('y2', (b) => b);
    this.gX.selectAll<SVGTextElement, Tick>('text.tick').data(l.xTicks, (t) => String(t.value)).join('text').attr('class', 'tick')
      .attr('x', (t) => t.pos).attr('y', bottom + 14).attr('text-anchor', 'middle').text((t) => t.label);
    this.gX.selectAll<SVGTextElement, string>('text.xlabel').data(l.xLabel ? [l.xLabel] : []).join('text').attr('class', 'xlabel')
      .attr('x', plot.x + plot.w).attr('y', l.height - 2).attr('text-anchor', 'end').text((d) => d);
    this.gY.selectAll<SVGTextElement, string>('text.ylabel').data(l.yLabel ? [l.yLabel] : []).join('text').attr('class', 'ylabel')
      .attr('transform', `translate(10,${plot.y + plot.h / 2}) rotate(-90)`).attr('text-anchor', 'middle').text((d) => d);

    this.gBands.selectAll<SVGPathElement, LaidOutLine>('path').data(l.lines.filter((d) => d.band), (d) => d.id).join('path')
      .attr('d', (d) => d.band!).style('fill', (d) => d.color).attr('fill-opacity', (d) => 0.18 * d.opacity)
      .attr('data-run-id', (d) => d.runId ?? null);
    this.gLines.selectAll<SVGPathElement, LaidOutLine>('path').data(l.lines, (d) => d.id).join('path')
      .attr('d', (d) => d.d).style('stroke', (d) => d.color).attr('stroke-width', (d) => d.width)
      .attr('stroke-opacity', (d) => d.opacity).attr('stroke-dasharray', (d) => d.dash ?? null)
      .attr('stroke-linejoin', 'round').attr('stroke-linecap', 'round')
      .attr('data-run-id', (d) => d.runId ?? null).attr('data-series', (d) => d.id);
    this.gMarks.selectAll<SVGGElement, LaidOutLine>('g').data(l.lines.filter((d) => d.markers.length), (d) => d.id).join('g')
      .style('fill', (d) => d.color).attr('fill-opacity', (d) => d.opacity).attr('data-run-id', (d) => d.runId ?? null)
      .selectAll<SVGCircleElement, { x: number; y: number }>('circle').data((d) => d.markers).join('circle')
      .attr('cx', (m) => m.x).attr('cy', (m) => m.y).attr('r', 2.5);

    const legend = this.gLegend.selectAll<SVGGElement, LineLayout['legend'][number]>('g').data(l.legend, (d) => d.id).join((enter) => {
      const g = enter.append('g');
      g.append('line');
      g.append('text');
      g.append('rect').attr('fill', 'transparent').style('cursor', 'pointer');
      return g;
    });
    legend.classed('off', (d) => this.hidden.has(d.id)).attr('data-run-id', (d) => d.runId ?? null)
      .on('click', (_ev, d) => { if (this.hidden.has(d.id)) this.hidden.delete(d.id); else this.hidden.add(d.id); this.render(); });
    legend.select('line').attr('x1', (d) => d.x).attr('x2', (d) => d.x + 14).attr('y1', (d) => d.y).attr('y2', (d) => d.y)
      .style('stroke', (d) => d.color).attr('stroke-width', 2).attr('stroke-dasharray', (d) => d.dash ?? null);
    legend.select('text').attr('x', (d) => d.x + 18).attr('y', (d) => d.y).attr('dy', '0.32em').text((d) => d.label);
    legend.select('rect').attr('x', (d) => d.x - 2).attr('y', (d) => d.y - 7).attr('width', (d) => 22 + d.label.length * 6.2).attr('height', 14)
      .append('title').text('Click to show or hide');

    this.svg.selectAll<SVGTextElement, string>('text.empty').data(l.empty ? ['waiting for data…'] : []).join('text').attr('class', 'empty')
      .attr('x', plot.x + plot.w / 2).attr('y', plot.y + plot.h / 2).attr('text-anchor', 'middle').text((d) => d);

    this.syncZoom(l);
    if (this.hoverPx !== undefined) this.drawHover(this.hoverPx);
  }

  private onZoom(ev: D3ZoomEvent<SVGRectElement, unknown>): void {
    if (this.syncing || !this.layout || !this.full) return;
    const { plot } = this.layout;
    const base = scaleLinear().domain(this.full).range([plot.x, plot.x + plot.w]);
    const t = ev.transform;
    this.view = t.k <= 1.0001 ? undefined : (t.rescaleX(base).domain() as Domain);
    this.render();
  }

  /** Keeps d3-zoom's transform consistent with `view` when the full extent grows under it. */
  private syncZoom(l: LineLayout): void {
    const { plot } = l;
    this.zoomBehavior.extent([[plot.x, plot.y], [plot.x + plot.w, plot.y + plot.h]])
      .translateExtent([[plot.x, plot.y], [plot.x + plot.w, plot.y + plot.h]]);
    // Not zoomed and d3-zoom already at identity: nothing to keep in step (the common, streaming case).
    if (!this.view && !this.zoomApplied) return;
    let t = zoomIdentity;
    if (this.view && this.full && this.full[1] > this.full[0]) {
      const base = scaleLinear().domain(this.full).range([plot.x, plot.x + plot.w]);
      const k = plot.w / Math.max(1e-9, base(this.view[1]) - base(this.view[0]));
      t = zoomIdentity.translate(plot.x - k * base(this.view[0]), 0).scale(k);
    }
    this.syncing = true;
    this.overlay.call(this.zoomBehavior.transform, t);
    this.syncing = false;
    this.zoomApplied = !!this.view;
  }

  private resetZoom(): void {
    this.view = undefined;
    this.render();
  }

  private drawHover(px?: number, py?: number): void {
    const l = this.layout;
    if (px === undefined || !l || l.empty) {
      this.gHover.selectAll('*').remove();
      this.frame.hideTip();
      return;
    }
    const { x, y } = layoutScales(l);
    const xv = x.invert(px);
    const rows: { label: string; color: string; xv: number; yv: number; cy: number; cx: number }[] = [];
    for (const s of this.prepared) {
      if (s.hideInLegend && s.id.endsWith('~raw')) continue;
      const n = s.x.length;
      if (!n) continue;
      let lo = 0, hi = n - 1;
      while (hi - lo > 1) { const m = (lo + hi) >> 1; if (s.x[m] <= xv) lo = m; else hi = m; }
      const i = Math.abs(s.x[hi] - xv) < Math.abs(s.x[lo] - xv) ? hi : lo;
      const yv = s.y[i];
      if (!Number.isFinite(yv) || (l.yLog && yv <= 0)) continue;
      if (s.x[i] < l.xDomain[0] || s.x[i] > l.xDomain[1]) continue;
      rows.push({ label: s.label, color: s.color, xv: s.x[i], yv, cx: x(s.x[i]), cy: y(yv) });
    }
    this.gHover.selectAll<SVGLineElement, number>('line').data([px]).join('line').attr('class', 'hover-rule')
      .attr('x1', (d) => d).attr('x2', (d) => d).attr('y1', l.plot.y).attr('y2', l.plot.y + l.plot.h);
    this.gHover.selectAll<SVGCircleElement, (typeof rows)[number]>('circle').data(rows).join('circle')
      .attr('cx', (d) => d.cx).attr('cy', (d) => d.cy).attr('r', 3.5).style('fill', (d) => d.color)
      .style('stroke', 'var(--bg)').attr('stroke-width', 1.5);
    if (!rows.length) { this.frame.hideTip(); return; }
    rows.sort((a, b) => b.yv - a.yv);
    const xName = this.options.xName ?? this.options.xLabel ?? 'x';
    const head = `<b>${esc(xName)} ${esc(fmtValue(rows[0].xv))}</b>`;
    const body = rows.map((r) => `<div><i style="background:${esc(r.color)}"></i>${esc(r.label)}: ${esc(fmtValue(r.yv))}</div>`).join('');
    const svgBox = (this.svg.node() as SVGSVGElement).getBoundingClientRect();
    const figBox = this.frame.figure.getBoundingClientRect();
    this.frame.showTip(head + body, px + svgBox.left - figBox.left, (py ?? l.plot.y + 10) + svgBox.top - figBox.top);
  }
}

/** Cheap fingerprint of chart input: ids, lengths, end points (series only ever append or compact). */
function signature(d: LineChartData, smoothing: number): string {
  let s = `${smoothing}|${d.caption ?? ''}`;
  for (const l of d.lines) {
    const n = l.x.length;
    s += `|${l.id}:${l.label}:${l.color}:${n}:${n ? `${l.x[0]},${l.x[n - 1]},${l.y[n - 1]},${l.y[n >> 1]}` : ''}`;
  }
  return s;
}

/**
 * Gumbel gate heatmap of one feedback arrow: probability of each candidate block (rows) over
 * training steps (columns), painted on a canvas (dense grid) with SVG axes, legend and the argmax
 * path on top. A step slider pins a step (it follows the newest step while at its right end);
 * hovering shows the exact probability of a cell.
 */
import { select, type Selection } from 'd3-selection';
import type { GateGrid } from '../../src/shared/series/runModel';
import { argmax, columnAt, computeHeatmapLayout, heatmapSvg, probColor, type HeatmapLayout } from '../../src/shared/series/heatmapLayout';
import { escapeHtml as esc } from '../../src/shared/escape';
import { ChartFrame, el, fmtValue, type ChartFrameOptions } from './chartBase';
import { currentSvgTheme } from './theme';

export interface GateHeatmapData {
  grid: GateGrid;
  runId: string;
}

export interface GateHeatmapOptions extends ChartFrameOptions {
  height?: number;
}

/** 256-step colour lookup as RGB triples (index 256 = missing value: left transparent). */
const RGB_LUT: ([number, number, number] | undefined)[] = Array.from({ length: 256 }, (_, i) => {
  const hex = probColor(i / 255);
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)] as [number, number, number];
});
RGB_LUT.push(undefined);
const lutIndex = (p: number) => (Number.isFinite(p) ? Math.round(Math.min(1, Math.max(0, p)) * 255) : 256);

let gradSeq = 0;

export class GateHeatmap {
  private readonly frame: ChartFrame;
  private readonly stack: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly slider: HTMLInputElement;
  private readonly readout: HTMLSpanElement;
  private readonly gradId = `fmtl-grad-${++gradSeq}`;
  private data?: GateHeatmapData;
  private layout?: HeatmapLayout;
  /** Pinned step, or undefined to follow the newest. */
  private pinned?: number;
  private image?: ImageData;
  private scratch?: HTMLCanvasElement;

  constructor(container: HTMLElement, private readonly options: GateHeatmapOptions) {
    this.frame = new ChartFrame(container, options, () => this.exportSvg());
    this.frame.figure.classList.add('fmtl-heat');
    this.frame.onResize(() => this.render());
    this.stack = el('div', { class: 'stack' });
    this.canvas = el('canvas');
    const svgEl = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svgEl.style.position = 'relative';
    this.stack.append(this.canvas, svgEl);
    this.frame.body.append(this.stack);
    this.svg = select(svgEl);
    this.svg.attr('role', 'img').attr('aria-label', options.title);
    const stops = Array.from({ length: 11 }, (_, i) => ({ o: i * 10, c: probColor(1 - i / 10) }));
    this.svg.append('defs').append('linearGradient').attr('id', this.gradId).attr('x1', 0).attr('x2', 0).attr('y1', 0).attr('y2', 1)
      .selectAll('stop').data(stops).join('stop').attr('offset', (d) => `${d.o}%`).attr('stop-color', (d) => d.c);
    const controls = el('div', { class: 'controls' });
    this.slider = el('input', { type: 'range', min: '0', max: '0', value: '0', 'aria-label': 'Step' });
    this.readout = el('span', { class: 'readout' });
    controls.append(el('span', {}, 'step'), this.slider, this.readout);
    this.frame.body.append(controls);
    this.slider.addEventListener('input', () => {
      const g = this.data?.grid;
      if (!g) return;
      const i = Number(this.slider.value);
      this.pinned = i >= g.length - 1 ? undefined : g.steps[i];
      this.render();
    });
    svgEl.addEventListener('pointermove', (ev) => this.hover(ev.offsetX, ev.offsetY));
    svgEl.addEventListener('pointerleave', () => { this.svg.select('rect.hover-cell').remove(); this.frame.hideTip(); });
  }

  get element(): HTMLElement { return this.frame.figure; }

  update(data: GateHeatmapData): void {
    this.data = data;
    this.frame.figure.dataset.runId = data.runId;
    this.render();
  }

  resize(): void {
    this.render();
  }

  dispose(): void {
    this.frame.dispose();
  }

  exportSvg(): { svg: string; width: number; height: number } {
    const g = this.data?.grid;
    const l = computeHeatmapLayout({
      blocks: g?.blocks ?? [], steps: g?.steps ?? [], probs: g?.probs ?? [], width: this.frame.width,
      height: this.options.height ?? 150, selectedStep: this.pinned, minColumnPx: 2,
    });
    return { svg: heatmapSvg(l, currentSvgTheme(), 'g'), width: l.width, height: l.height };
  }

  private render(): void {
    const g = this.data?.grid;
    const width = this.frame.width;
    const height = this.options.height ?? (g ? Math.max(110, 40 + 34 * g.blocks.length) : 150);
    const l = computeHeatmapLayout({
      blocks: g?.blocks ?? [], steps: g?.steps ?? [], probs: g?.probs ?? [], width, height,
      selectedStep: this.pinned,
    });
    this.layout = l;
    this.stack.style.height = `${height}px`;
    this.paintCanvas(l);
    this.drawSvg(l);
    if (g && g.length) {
      this.slider.max = String(g.length - 1);
      let i = g.length - 1;
      if (this.pinned !== undefined) {
        i = 0;
        while (i + 1 < g.length && g.steps[i + 1] <= this.pinned) i++;
      }
      this.slider.value = String(i);
      const at = g.at(g.steps[i])!;
      const best = argmax(at.probs);
      this.readout.innerHTML = `${esc(fmtValue(at.step))} · τ ${esc(fmtValue(at.tau))} · `
        + at.probs.map((p, j) => `<span class="${j === best ? 'win' : ''}">block ${esc(String(g.blocks[j]))} ${esc(p.toFixed(3))}</span>`).join(' · ')
        + (this.pinned === undefined ? ' <span>(newest)</span>' : '');
    } else {
      this.readout.textContent = 'no gate probabilities yet';
    }
  }

  /**
   * Paints the grid as an image one pixel per plot column and one row per block, then scales it
   * onto the plot in a single drawImage (thousands of fillRects cost more than the rest of a frame).
   */
  private paintCanvas(l: HeatmapLayout): void {
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(l.width * dpr) || c.height !== Math.round(l.height * dpr)) {
      c.width = Math.round(l.width * dpr);
      c.height = Math.round(l.height * dpr);
      c.style.width = `${l.width}px`;
      c.style.height = `${l.height}px`;
    }
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, c.width, c.height);
    const nb = l.rows.length;
    const w = Math.max(1, Math.round(l.plot.w));
    if (!nb || !l.columns.length) return;
    if (!this.image || this.image.width !== w || this.image.height !== nb) this.image = new ImageData(w, nb);
    const px = this.image.data;
    px.fill(0);
    for (const col of l.columns) {
      const x0 = Math.max(0, Math.floor(col.x - l.plot.x));
      const x1 = Math.min(w, Math.max(x0 + 1, Math.round(col.x + col.w - l.plot.x)));
      for (let j = 0; j < nb; j++) {
        const rgb = RGB_LUT[lutIndex(col.p[j])];
        if (!rgb) continue;
        for (let x = x0; x < x1; x++) {
          const o = (j * w + x) * 4;
          px[o] = rgb[0]; px[o + 1] = rgb[1]; px[o + 2] = rgb[2]; px[o + 3] = 255;
        }
      }
    }
    this.scratch ??= document.createElement('canvas');
    if (this.scratch.width !== w || this.scratch.height !== nb) { this.scratch.width = w; this.scratch.height = nb; }
    this.scratch.getContext('2d')!.putImageData(this.image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.scratch, 0, 0, w, nb, l.plot.x * dpr, l.plot.y * dpr, l.plot.w * dpr, l.plot.h * dpr);
  }

  private drawSvg(l: HeatmapLayout): void {
    const { plot } = l;
    const svg = this.svg;
    svg.attr('width', l.width).attr('height', l.height).attr('viewBox', `0 0 ${l.width} ${l.height}`);
    svg.selectAll<SVGTextElement, HeatmapLayout['rows'][number]>('text.row').data(l.rows, (r) => String(r.block)).join('text')
      .attr('class', 'row axis-text').attr('x', plot.x - 6).attr('y', (r) => r.y + r.h / 2).attr('dy', '0.32em').attr('text-anchor', 'end')
      .style('fill', 'var(--muted)').style('font-size', '11px').text((r) => r.label);
    const bottom = plot.y + plot.h;
    svg.selectAll<SVGTextElement, HeatmapLayout['xTicks'][number]>('text.xt').data(l.xTicks, (t) => String(t.value)).join('text')
      .attr('class', 'xt').attr('x', (t) => t.pos).attr('y', bottom + 14).attr('text-anchor', 'middle')
      .style('fill', 'var(--muted)').style('font-size', '11px').text((t) => t.label);
    svg.selectAll<SVGTextElement, string>('text.xlabel').data(['step']).join('text').attr('class', 'xlabel')
      .attr('x', plot.x + plot.w).attr('y', l.height - 2).attr('text-anchor', 'end').style('fill', 'var(--muted)').style('font-size', '11px').text((d) => d);
    const path = l.argmaxPath ? [l.argmaxPath] : [];
    svg.selectAll<SVGPathElement, string>('path.argmax-halo').data(path).join('path').attr('class', 'argmax-halo')
      .attr('d', (d) => d).attr('fill', 'none').attr('stroke', '#000').attr('stroke-opacity', 0.55).attr('stroke-width', 3.5);
    svg.selectAll<SVGPathElement, string>('path.argmax').data(path).join('path').attr('class', 'argmax')
      .attr('d', (d) => d).attr('fill', 'none').attr('stroke', '#fff').attr('stroke-width', 1.5)
      .append('title').text('argmax block (the block the gate picks)');
    svg.selectAll<SVGLineElement, number>('line.selected').data(l.selectedX !== undefined ? [l.selectedX] : []).join('line')
      .attr('class', 'selected').attr('x1', (d) => d).attr('x2', (d) => d).attr('y1', plot.y - 2).attr('y2', plot.y + plot.h + 2)
      .style('stroke', 'var(--fg)').attr('stroke-width', 1.5).attr('stroke-dasharray', '3 2');
    const lg = l.legend;
    svg.selectAll<SVGRectElement, number>('rect.legend').data([0]).join('rect').attr('class', 'legend')
      .attr('x', lg.x).attr('y', lg.y).attr('width', lg.w).attr('height', lg.h).attr('fill', `url(#${this.gradId})`).attr('rx', 2);
    svg.selectAll<SVGTextElement, HeatmapLayout['legend']['ticks'][number]>('text.lt').data(lg.ticks).join('text').attr('class', 'lt')
      .attr('x', lg.x + lg.w + 4).attr('y', (t) => t.y).attr('dy', '0.32em').style('fill', 'var(--muted)').style('font-size', '10.5px').text((t) => t.label);
    svg.selectAll<SVGTextElement, string>('text.ltitle').data(['p']).join('text').attr('class', 'ltitle')
      .attr('x', lg.x + lg.w / 2).attr('y', lg.y + lg.h + 14).attr('text-anchor', 'middle').style('fill', 'var(--muted)').style('font-size', '10.5px').text((d) => d);
    svg.selectAll<SVGTextElement, string>('text.empty').data(l.empty ? ['waiting for gate probabilities…'] : []).join('text').attr('class', 'empty')
      .attr('x', plot.x + plot.w / 2).attr('y', plot.y + plot.h / 2).attr('text-anchor', 'middle').style('fill', 'var(--muted)').text((d) => d);
  }

  private hover(px: number, py: number): void {
    const l = this.layout;
    const g = this.data?.grid;
    if (!l || !g || l.empty) return;
    const col = columnAt(l, px);
    const j = Math.floor((py - l.plot.y) / (l.plot.h / l.rows.length));
    if (!col || j < 0 || j >= l.rows.length) { this.svg.select('rect.hover-cell').remove(); this.frame.hideTip(); return; }
    const r = l.rows[j];
    this.svg.selectAll<SVGRectElement, number>('rect.hover-cell').data([0]).join('rect').attr('class', 'hover-cell')
      .attr('x', col.x).attr('y', r.y).attr('width', Math.max(2, col.w)).attr('height', r.h)
      .attr('fill', 'none').style('stroke', 'var(--fg)').attr('stroke-width', 1).style('pointer-events', 'none');
    const at = g.at(col.step);
    const rows = col.p.map((p, k) => `<div>${k === argmax(col.p) ? '▶ ' : '  '}block ${esc(String(l.rows[k].block))}: ${esc(p.toFixed(3))}</div>`).join('');
    const svgBox = (this.svg.node() as SVGSVGElement).getBoundingClientRect();
    const figBox = this.frame.figure.getBoundingClientRect();
    this.frame.showTip(`<b>step ${esc(fmtValue(col.step))}</b>${at ? ` · τ ${esc(fmtValue(at.tau))}` : ''}${rows}`,
      px + svgBox.left - figBox.left, py + svgBox.top - figBox.top);
  }
}

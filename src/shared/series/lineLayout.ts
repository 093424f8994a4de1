/**
 * Geometry of a line chart, computed without a DOM: scales, ticks and SVG path strings. The live
 * chart (`webview/charts/lineChart.ts`) renders this layout with d3 joins; `lineSvg` renders the very
 * same layout to a standalone SVG string (export, static report, exact tests). One layout, two
 * renderers, so what is exported is what is on screen.
 */
import { scaleLinear, scaleLog, type ScaleContinuousNumeric } from 'd3-scale';
import { line as d3line, area as d3area } from 'd3-shape';
import { format as d3format } from 'd3-format';
import { minMaxDownsample, visibleRange, type XY } from './downsample';
import { xExtent, yExtent, type Domain } from './extent';
import { escapeHtml } from '../escape';

/** One line. Colours are CSS colour expressions (e.g. `var(--vscode-charts-blue, #3794ff)`). */
export interface LineSpec extends XY {
  /** Unique within the chart (d3 join key). */
  id: string;
  label: string;
  color: string;
  /** Stroke width (default 1.5). */
  width?: number;
  opacity?: number;
  /** SVG dash array, e.g. `4 3`. */
  dash?: string;
  /** Run the line belongs to (rendered as `data-run-id`). */
  runId?: string;
  /** Draw a marker at every point (sparse series such as per-epoch values). */
  markers?: boolean;
  /** Shaded band (e.g. mean ± std) with the same x as the line. */
  band?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  /** Leave out of the legend (e.g. the faint raw line behind a smoothed one). */
  hideInLegend?: boolean;
}

export interface LineLayoutInput {
  lines: LineSpec[];
  width: number;
  height: number;
  xLabel?: string;
  yLabel?: string;
  yLog?: boolean;
  /** Visible x range (zoom); default: extent of the data. */
  xDomain?: Domain;
  /** Fixed y range; default: extent of the visible data. */
  yDomain?: Domain;
  /** Only integer x ticks (epochs, iteration k). */
  xIntegerTicks?: boolean;
  /**
   * Room (in x units) on each side of the data when not zoomed: a chart of a few discrete x values
   * (iteration steps of a K = 2 loop) does not pin its points to the plot's edges.
   */
  xPad?: number;
  /** Words for an x tick (default: the number, short): `y⁰→y¹` for iteration step 0. */
  xTickLabel?: (value: number) => string;
  /** Draw the legend (default true when more than one legend entry). */
  legend?: boolean;
}

export interface Tick {
  value: number;
  /** Pixel position along the axis. */
  pos: number;
  label: string;
}

export interface LaidOutLine {
  id: string;
  label: string;
  color: string;
  width: number;
  opacity: number;
  dash?: string;
  runId?: string;
  /** SVG path `d` ('' when nothing is visible). */
  d: string;
  band?: string;
  markers: { x: number; y: number }[];
}

export interface LineLayout {
  width: number;
  height: number;
  /** Plot area in pixels. */
  plot: { x: number; y: number; w: number; h: number };
  xDomain: Domain;
  yDomain: Domain;
  yLog: boolean;
  xTicks: Tick[];
  yTicks: Tick[];
  lines: LaidOutLine[];
  /** Legend entries laid out in rows above the plot (x, y = start of the swatch, middle of the text). */
  legend: { id: string; label: string; color: string; dash?: string; runId?: string; x: number; y: number }[];
  xLabel?: string;
  yLabel?: string;
  /** True when there is nothing to draw (the renderers show a hint instead). */
  empty: boolean;
}

const MARGIN = { top: 8, right: 12, bottom: 30, left: 48 };

/** Scales of a layout (for hover read-outs and zoom). */
export function layoutScales(l: LineLayout): { x: ScaleContinuousNumeric<number, number>; y: ScaleContinuousNumeric<number, number> } {
  const x = scaleLinear().domain(l.xDomain).range([l.plot.x, l.plot.x + l.plot.w]);
  const y = (l.yLog ? scaleLog() : scaleLinear()).domain(l.yDomain).range([l.plot.y + l.plot.h, l.plot.y]);
  return { x, y };
}

const fmtG = d3format('.6~g');
const fmtSi = d3format('~s');
const fmtExp = d3format('.0e');

/** Tick label: short and locale-free (`0.25`, `1e-5`, `20k`). */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 && Number.isInteger(v)) return fmtSi(v);
  if (a < 1e-3) return fmtExp(v).replace(/e([+-])0*(\d)/, (_m, sign: string, d: string) => `e${sign === '-' ? '-' : ''}${d}`);
  return fmtG(v);
}

/** Computes the layout. Pure; never throws on empty or non-finite data. */
export function computeLineLayout(input: LineLayoutInput): LineLayout {
  const { width, height } = input;
  const yLog = !!input.yLog;
  const legendSpecs = input.lines.filter((l) => !l.hideInLegend);
  const showLegend = input.legend ?? legendSpecs.length > 1;
  // Legend rows above the plot; text width estimated (~6.2 px per char at 11 px) so both renderers agree.
  const legend: LineLayout['legend'] = [];
  if (showLegend) {
    let lx = MARGIN.left, row = 0;
    for (const e of legendSpecs) {
      const w = 18 + Math.ceil(e.label.length * 6.2) + 14;
      if (lx + w > width - MARGIN.right && lx > MARGIN.left) { row++; lx = MARGIN.left; }
      legend.push({ id: e.id, label: e.label, color: e.color, dash: e.dash, runId: e.runId, x: lx, y: 8 + row * 15 });
      lx += w;
    }
  }
  const top = MARGIN.top + (legend.length ? legend[legend.length - 1].y + 8 : 0);
  const plot = {
    x: MARGIN.left, y: top,
    w: Math.max(10, width - MARGIN.left - MARGIN.right),
    h: Math.max(10, height - top - MARGIN.bottom),
  };
  const bandSeries: XY[] = input.lines.filter((l) => l.band).flatMap((l) => [{ x: l.x, y: l.band!.lo }, { x: l.x, y: l.band!.hi }]);
  const dataX = xExtent(input.lines);
  const padded: Domain | undefined = dataX && input.xPad ? [dataX[0] - input.xPad, dataX[1] + input.xPad] : dataX;
  let xDomain: Domain = input.xDomain ?? padded ?? [0, 1];
  if (xDomain[0] === xDomain[1]) xDomain = [xDomain[0] - 1, xDomain[1] + 1];
  const yDomainRaw = input.yDomain ?? yExtent([...input.lines, ...bandSeries], { log: yLog, xDomain });
  const empty = !dataX || !yDomainRaw;
  const yDomain: Domain = yDomainRaw ?? (yLog ? [0.1, 1] : [0, 1]);
  const layout: LineLayout = {
    width, height, plot, xDomain, yDomain, yLog, xTicks: [], yTicks: [], lines: [], legend,
    xLabel: input.xLabel, yLabel: input.yLabel, empty,
  };
  const { x, y } = layoutScales(layout);

  const xTickCount = Math.max(2, Math.floor(plot.w / 70));
  let xt = x.ticks(xTickCount);
  if (input.xIntegerTicks) xt = xt.filter(Number.isInteger);
  if (input.xIntegerTicks && input.xPad) xt = xt.filter((v) => !dataX || (v >= dataX[0] && v <= dataX[1]));
  layout.xTicks = xt.map((v) => ({ value: v, pos: round(x(v)), label: input.xTickLabel ? input.xTickLabel(v) : formatTick(v) }));

  const yTickCount = Math.max(2, Math.floor(plot.h / 28));
  let yt = y.ticks(yTickCount);
  if (yLog) {
    // Log axes: label powers of ten only (plus 2 and 5 when the range is narrow), never a wall of minors.
    const decades = Math.log10(yDomain[1] / yDomain[0]);
    yt = yt.filter((v) => {
      const m = Math.round(v / Math.pow(10, Math.floor(Math.log10(v)) ) * 1000) / 1000;
      return m === 1 || (decades < 2 && (m === 2 || m === 5));
    });
    if (yt.length < 2) yt = y.ticks(3);
  }
  layout.yTicks = yt.map((v) => ({ value: v, pos: round(y(v)), label: formatTick(v) }));

  // One bucket per two pixels: each keeps its min and max, so about one point per pixel.
  const buckets = Math.max(8, Math.ceil(plot.w / 2));
  const defined = (v: number) => Number.isFinite(v) && (!yLog || v > 0);
  const pathOf = d3line<[number, number]>().defined((p) => defined(p[1])).x((p) => x(p[0])).y((p) => y(p[1])).digits(1);
  for (const spec of input.lines) {
    const [from, to] = visibleRange(spec.x, xDomain[0], xDomain[1]);
    const pts = minMaxDownsample(spec, buckets, from, to);
    const pairs: [number, number][] = pts.x.map((xv, i) => [xv, pts.y[i]]);
    const out: LaidOutLine = {
      id: spec.id, label: spec.label, color: spec.color, width: spec.width ?? 1.5, opacity: spec.opacity ?? 1,
      dash: spec.dash, runId: spec.runId, d: pathOf(pairs) ?? '', markers: [],
    };
    if (spec.band) {
      const idx: number[] = [];
      for (let i = from; i < to; i++) idx.push(i);
      const area = d3area<number>()
        .defined((i) => defined(spec.band!.lo[i]) && defined(spec.band!.hi[i]))
        .x((i) => x(spec.x[i])).y0((i) => y(spec.band!.lo[i])).y1((i) => y(spec.band!.hi[i])).digits(1);
      out.band = area(idx) ?? '';
    }
    if (spec.markers) {
      for (const [xv, yv] of pairs) if (defined(yv) && xv >= xDomain[0] && xv <= xDomain[1]) out.markers.push({ x: round(x(xv)), y: round(y(yv)) });
    }
    layout.lines.push(out);
  }
  return layout;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Concrete colours for a standalone SVG (no CSS variables there). */
export interface SvgTheme {
  foreground: string;
  muted: string;
  grid: string;
  background?: string;
  fontFamily: string;
  fontSize: number;
  /** Maps a line's CSS colour expression to a concrete colour (default: the `var()` fallback). */
  resolve?: (cssColor: string) => string;
}

export const DEFAULT_SVG_THEME: SvgTheme = {
  foreground: '#333333', muted: '#6f6f6f', grid: '#e5e5e5', background: '#ffffff',
  fontFamily: 'system-ui, -apple-system, Segoe UI, sans-serif', fontSize: 11,
};

/** `var(--x, #abc)` -> `#abc`; anything else unchanged. */
export function cssFallback(color: string): string {
  const m = /^var\(\s*--[\w-]+\s*,\s*(.+)\)$/.exec(color.trim());
  return m ? cssFallback(m[1].trim()) : color;
}

/**
 * Standalone SVG of a line layout. Deterministic (same layout -> same string), so tests compare it
 * exactly. `clipId` must be unique within the document that embeds it.
 */
export function lineSvg(l: LineLayout, theme: SvgTheme = DEFAULT_SVG_THEME, clipId = 'clip'): string {
  const col = theme.resolve ?? cssFallback;
  const { plot } = l;
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="${escapeHtml(theme.fontFamily)}" font-size="${theme.fontSize}">`);
  if (theme.background) p.push(`<rect width="${l.width}" height="${l.height}" fill="${theme.background}"/>`);
  p.push(`<defs><clipPath id="${clipId}"><rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}"/></clipPath></defs>`);
  p.push(`<g stroke="${theme.grid}" stroke-width="1">`);
  for (const t of l.yTicks) p.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${t.pos}" y2="${t.pos}"/>`);
  p.push('</g>');
  p.push(`<g fill="${theme.muted}" text-anchor="end">`);
  for (const t of l.yTicks) p.push(`<text x="${plot.x - 6}" y="${t.pos}" dy="0.32em">${escapeHtml(t.label)}</text>`);
  p.push('</g>');
  const bottom = plot.y + plot.h;
  p.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${bottom}" y2="${bottom}" stroke="${theme.muted}"/>`);
  p.push(`<g fill="${theme.muted}" text-anchor="middle">`);
  for (const t of l.xTicks) p.push(`<text x="${t.pos}" y="${bottom + 14}">${escapeHtml(t.label)}</text>`);
  p.push('</g>');
  if (l.xLabel) p.push(`<text x="${plot.x + plot.w}" y="${l.height - 2}" text-anchor="end" fill="${theme.muted}">${escapeHtml(l.xLabel)}</text>`);
  if (l.yLabel) p.push(`<text transform="translate(10,${plot.y + plot.h / 2}) rotate(-90)" text-anchor="middle" fill="${theme.muted}">${escapeHtml(l.yLabel)}</text>`);
  p.push(`<g clip-path="url(#${clipId})" fill="none">`);
  for (const ln of l.lines) {
    const c = col(ln.color);
    if (ln.band) p.push(`<path d="${ln.band}" fill="${c}" fill-opacity="${round2(0.18 * ln.opacity)}" stroke="none"/>`);
    if (ln.d) p.push(`<path d="${ln.d}" stroke="${c}" stroke-width="${ln.width}"${ln.opacity !== 1 ? ` stroke-opacity="${ln.opacity}"` : ''}${ln.dash ? ` stroke-dasharray="${ln.dash}"` : ''} stroke-linejoin="round" stroke-linecap="round"/>`);
    for (const m of ln.markers) p.push(`<circle cx="${m.x}" cy="${m.y}" r="2.5" fill="${c}"${ln.opacity !== 1 ? ` fill-opacity="${ln.opacity}"` : ''}/>`);
  }
  p.push('</g>');
  if (l.legend.length) {
    p.push(`<g fill="${theme.foreground}">`);
    for (const e of l.legend) {
      p.push(`<line x1="${e.x}" x2="${e.x + 14}" y1="${e.y}" y2="${e.y}" stroke="${col(e.color)}" stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>`);
      p.push(`<text x="${e.x + 18}" y="${e.y}" dy="0.32em">${escapeHtml(e.label)}</text>`);
    }
    p.push('</g>');
  }
  if (l.empty) p.push(`<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h / 2}" text-anchor="middle" fill="${theme.muted}">waiting for data…</text>`);
  p.push('</svg>');
  return p.join('');
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

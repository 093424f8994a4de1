/**
 * Geometry of a gate heatmap (candidate block x training step -> probability), computed without a
 * DOM. The live chart paints the cells on a canvas and the axes in SVG; `heatmapSvg` renders the
 * same layout as a standalone SVG (export, report, tests).
 *
 * Colours: cividis (d3-scale-chromatic), perceptually uniform and readable with the common colour
 * vision deficiencies; probability 0 is dark, 1 is bright yellow.
 */
import { scaleLinear } from 'd3-scale';
import { interpolateCividis } from 'd3-scale-chromatic';
import { rgb } from 'd3-color';
import { escapeHtml } from '../escape';
import { formatTick, DEFAULT_SVG_THEME, type SvgTheme, type Tick } from './lineLayout';

export interface HeatmapInput {
  /** 1-based candidate block numbers (rows, top to bottom). */
  blocks: number[];
  /** Step of each column, ascending. */
  steps: ArrayLike<number>;
  /** Column-major probabilities: `probs[i * blocks.length + j]`. */
  probs: ArrayLike<number>;
  width: number;
  height: number;
  /** Step marked by the slider (a vertical line). */
  selectedStep?: number;
  /** Merge columns so that none is narrower than this many pixels (default 1; SVG export uses 2). */
  minColumnPx?: number;
}

/** One painted column. */
export interface HeatColumn {
  /** Left edge and width in pixels. */
  x: number;
  w: number;
  /** Step this column stands for (its last step when merged). */
  step: number;
  /** Probability per row. */
  p: number[];
}

export interface HeatmapLayout {
  width: number;
  height: number;
  plot: { x: number; y: number; w: number; h: number };
  rows: { block: number; y: number; h: number; label: string }[];
  columns: HeatColumn[];
  xTicks: Tick[];
  /** Step-shaped path through the argmax block of every column (empty without data). */
  argmaxPath: string;
  /** x of the selected step, if any. */
  selectedX?: number;
  /** Colour bar right of the plot. */
  legend: { x: number; y: number; w: number; h: number; ticks: { p: number; y: number; label: string }[] };
  stepDomain: [number, number];
  empty: boolean;
}

const M = { top: 6, right: 56, bottom: 28, left: 58 };

/** Cividis colour of a probability (clamped; NaN -> transparent). */
export function probColor(p: number): string {
  if (!Number.isFinite(p)) return 'transparent';
  return rgb(interpolateCividis(Math.min(1, Math.max(0, p)))).formatHex();
}

/** Index of the largest finite value (-1 if none). */
export function argmax(v: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i]) && (best < 0 || v[i] > v[best])) best = i;
  return best;
}

export function computeHeatmapLayout(input: HeatmapInput): HeatmapLayout {
  const nb = input.blocks.length;
  const n = input.steps.length;
  const plot = {
    x: M.left, y: M.top,
    w: Math.max(10, input.width - M.left - M.right),
    h: Math.max(10, input.height - M.top - M.bottom),
  };
  const rowH = nb ? plot.h / nb : plot.h;
  const rows = input.blocks.map((b, j) => ({ block: b, y: round(plot.y + j * rowH), h: round(rowH), label: `block ${b}` }));
  const s0 = n ? input.steps[0] : 0;
  const s1 = n ? input.steps[n - 1] : 1;
  // Each column reaches from its predecessor's step to its own, so the first column needs a width too.
  const firstSpan = n > 1 ? input.steps[1] - input.steps[0] : 1;
  const domain: [number, number] = [s0 - firstSpan, s1 === s0 - firstSpan ? s1 + 1 : s1];
  const x = scaleLinear().domain(domain).range([plot.x, plot.x + plot.w]);
  const minPx = input.minColumnPx ?? 1;

  const columns: HeatColumn[] = [];
  let i = 0;
  while (i < n) {
    const left = x(i === 0 ? domain[0] : input.steps[i - 1]);
    let j = i;
    // Merge following columns until this one is wide enough (mean probability of the merged ones).
    while (j + 1 < n && x(input.steps[j]) - left < minPx) j++;
    const p = new Array<number>(nb).fill(0);
    for (let r = 0; r < nb; r++) {
      let sum = 0, cnt = 0;
      for (let c = i; c <= j; c++) { const v = input.probs[c * nb + r]; if (Number.isFinite(v)) { sum += v; cnt++; } }
      p[r] = cnt ? sum / cnt : NaN;
    }
    const right = x(input.steps[j]);
    columns.push({ x: round(left), w: round(Math.max(right - left, 0.5)), step: input.steps[j], p });
    i = j + 1;
  }

  let argmaxPath = '';
  let prevRow = -1;
  for (const c of columns) {
    const r = argmax(c.p);
    if (r < 0) continue;
    const yy = round(plot.y + (r + 0.5) * rowH);
    if (!argmaxPath) argmaxPath = `M${c.x},${yy}`;
    else if (r !== prevRow) argmaxPath += `L${c.x},${yy}`;
    argmaxPath += `L${round(c.x + c.w)},${yy}`;
    prevRow = r;
  }

  const ticks = x.ticks(Math.max(2, Math.floor(plot.w / 80))).filter((v) => v >= s0 && Number.isInteger(v));
  const legendX = plot.x + plot.w + 14;
  const ly = scaleLinear().domain([0, 1]).range([plot.y + plot.h, plot.y]);
  return {
    width: input.width, height: input.height, plot, rows, columns,
    xTicks: ticks.map((v) => ({ value: v, pos: round(x(v)), label: formatTick(v) })),
    argmaxPath,
    selectedX: input.selectedStep !== undefined && n ? round(x(Math.min(Math.max(input.selectedStep, domain[0]), domain[1]))) : undefined,
    legend: {
      x: legendX, y: plot.y, w: 10, h: plot.h,
      ticks: [0, 0.5, 1].map((p) => ({ p, y: round(ly(p)), label: String(p) })),
    },
    stepDomain: domain,
    empty: n === 0 || nb === 0,
  };
}

/** Column under a pixel x (for hover), or undefined. */
export function columnAt(l: HeatmapLayout, px: number): HeatColumn | undefined {
  let lo = 0, hi = l.columns.length - 1;
  if (hi < 0 || px < l.columns[0].x || px > l.columns[hi].x + l.columns[hi].w) return undefined;
  while (lo < hi) { const m = (lo + hi + 1) >> 1; if (l.columns[m].x <= px) lo = m; else hi = m - 1; }
  return l.columns[lo];
}

/** Standalone SVG of a heatmap layout (cells as rects; build the layout with `minColumnPx: 2`). */
export function heatmapSvg(l: HeatmapLayout, theme: SvgTheme = DEFAULT_SVG_THEME, gradientId = 'cividis'): string {
  const { plot } = l;
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="${escapeHtml(theme.fontFamily)}" font-size="${theme.fontSize}">`);
  if (theme.background) p.push(`<rect width="${l.width}" height="${l.height}" fill="${theme.background}"/>`);
  const stops = Array.from({ length: 11 }, (_, i) => `<stop offset="${i * 10}%" stop-color="${probColor(1 - i / 10)}"/>`).join('');
  p.push(`<defs><linearGradient id="${gradientId}" x1="0" x2="0" y1="0" y2="1">${stops}</linearGradient></defs>`);
  p.push('<g shape-rendering="crispEdges">');
  for (const c of l.columns) {
    l.rows.forEach((r, j) => {
      p.push(`<rect x="${c.x}" y="${r.y}" width="${c.w}" height="${r.h}" fill="${probColor(c.p[j])}"/>`);
    });
  }
  p.push('</g>');
  if (l.argmaxPath) {
    p.push(`<path d="${l.argmaxPath}" fill="none" stroke="#000000" stroke-opacity="0.55" stroke-width="3.5"/>`);
    p.push(`<path d="${l.argmaxPath}" fill="none" stroke="#ffffff" stroke-width="1.5"/>`);
  }
  if (l.selectedX !== undefined) p.push(`<line x1="${l.selectedX}" x2="${l.selectedX}" y1="${plot.y}" y2="${plot.y + plot.h}" stroke="${theme.foreground}" stroke-width="1.5" stroke-dasharray="3 2"/>`);
  p.push(`<g fill="${theme.muted}" text-anchor="end">`);
  for (const r of l.rows) p.push(`<text x="${plot.x - 6}" y="${round(r.y + r.h / 2)}" dy="0.32em">${escapeHtml(r.label)}</text>`);
  p.push('</g>');
  const bottom = plot.y + plot.h;
  p.push(`<g fill="${theme.muted}" text-anchor="middle">`);
  for (const t of l.xTicks) p.push(`<text x="${t.pos}" y="${bottom + 14}">${escapeHtml(t.label)}</text>`);
  p.push('</g>');
  p.push(`<text x="${plot.x + plot.w}" y="${l.height - 2}" text-anchor="end" fill="${theme.muted}">step</text>`);
  const g = l.legend;
  p.push(`<rect x="${g.x}" y="${g.y}" width="${g.w}" height="${g.h}" fill="url(#${gradientId})"/>`);
  p.push(`<g fill="${theme.muted}">`);
  for (const t of g.ticks) p.push(`<text x="${g.x + g.w + 4}" y="${t.y}" dy="0.32em">${t.label}</text>`);
  p.push('</g>');
  if (l.empty) p.push(`<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h / 2}" text-anchor="middle" fill="${theme.muted}">waiting for gate probabilities…</text>`);
  p.push('</svg>');
  return p.join('');
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * Mean ± spread across seeds: several runs of one config averaged on a common x grid.
 */
import type { XY } from './downsample';
import { configKey } from './configDiff';

/** A group of run ids sharing one config (seed aside). */
export interface RunGroup {
  key: string;
  runIds: string[];
}

/** Groups runs by `configKey` (runs without a config stay alone), in first-seen order. */
export function groupBySeedlessConfig(runs: { id: string; config?: unknown }[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const r of runs) {
    const key = r.config === undefined ? `run:${r.id}` : configKey(r.config);
    let g = groups.get(key);
    if (!g) { g = { key, runIds: [] }; groups.set(key, g); }
    g.runIds.push(r.id);
  }
  return [...groups.values()];
}

/** Mean and spread at each x of a grid. */
export interface MeanSpread {
  x: number[];
  mean: number[];
  /** Sample standard deviation (0 with one run). */
  std: number[];
  min: number[];
  max: number[];
  /** Runs contributing. */
  n: number;
}

/** Linear interpolation of an ascending series at `x` (NaN outside its range). */
export function interpolateAt(s: XY, x: number): number {
  const n = s.x.length;
  if (n === 0 || x < s.x[0] || x > s.x[n - 1]) return NaN;
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const m = (lo + hi) >> 1; if (s.x[m] <= x) lo = m; else hi = m; }
  if (s.x[lo] === x || lo === hi) return s.y[lo];
  if (s.x[hi] === x) return s.y[hi];
  const f = (x - s.x[lo]) / (s.x[hi] - s.x[lo]);
  return s.y[lo] + f * (s.y[hi] - s.y[lo]);
}

/**
 * Mean ± spread of several series over the x range they all cover. The grid is the union of their
 * x values in that range (thinned evenly to `maxPoints`); each series is linearly interpolated, so
 * runs whose logged steps differ still line up. Non-finite values are left out of a point's stats.
 */
export function meanSpread(series: XY[], maxPoints = 1000): MeanSpread {
  const out: MeanSpread = { x: [], mean: [], std: [], min: [], max: [], n: series.length };
  const nonEmpty = series.filter((s) => s.x.length > 0);
  if (nonEmpty.length === 0) return out;
  const lo = Math.max(...nonEmpty.map((s) => s.x[0]));
  const hi = Math.min(...nonEmpty.map((s) => s.x[s.x.length - 1]));
  if (lo > hi) return out;
  const xs = new Set<number>();
  for (const s of nonEmpty) for (let i = 0; i < s.x.length; i++) if (s.x[i] >= lo && s.x[i] <= hi) xs.add(s.x[i]);
  let grid = [...xs].sort((a, b) => a - b);
  if (grid.length > maxPoints) {
    const step = (grid.length - 1) / (maxPoints - 1);
    grid = Array.from({ length: maxPoints }, (_, i) => grid[Math.round(i * step)]);
  }
  for (const x of grid) {
    const vals = nonEmpty.map((s) => interpolateAt(s, x)).filter(Number.isFinite);
    if (vals.length === 0) continue;
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const variance = vals.length > 1 ? vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (vals.length - 1) : 0;
    out.x.push(x);
    out.mean.push(mean);
    out.std.push(Math.sqrt(variance));
    out.min.push(Math.min(...vals));
    out.max.push(Math.max(...vals));
  }
  return out;
}

/** Mean and sample std of plain numbers (for final-metric tables). */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, n: v.length };
}


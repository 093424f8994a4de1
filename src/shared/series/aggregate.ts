/**
 * Mean ± spread across seeds: several runs of one config averaged on a common x grid. Statistics by
 * d3-array (`mean`, `deviation` = sample standard deviation, `bisectRight`).
 */
import { bisectRight, deviation, max, mean, min } from 'd3-array';
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

/** Linear interpolation of an ascending series at `x` (NaN outside its range; at a repeated x, its last value). */
export function interpolateAt(s: XY, x: number): number {
  const n = s.x.length;
  if (n === 0 || x < s.x[0] || x > s.x[n - 1]) return NaN;
  const hi = bisectRight(s.x, x);
  const lo = hi - 1;
  if (s.x[lo] === x || hi >= n) return s.y[lo];
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
  const lo = max(nonEmpty, (s) => s.x[0])!;
  const hi = min(nonEmpty, (s) => s.x[s.x.length - 1])!;
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
    out.x.push(x);
    out.mean.push(mean(vals)!);
    out.std.push(deviation(vals) ?? 0);
    out.min.push(min(vals)!);
    out.max.push(max(vals)!);
  }
  return out;
}

/** Mean and sample std of plain numbers (for final-metric tables). */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { mean: NaN, std: NaN, n: 0 };
  return { mean: mean(v)!, std: deviation(v) ?? 0, n: v.length };
}


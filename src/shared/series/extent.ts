/**
 * Axis extents of several series: finite values only, positive values only on a log axis, and a
 * little padding so lines do not touch the frame. A flat series gets a non-empty domain.
 */
import type { XY } from './downsample';

export type Domain = [number, number];

/** Min and max of the finite values (and > 0 when `positive`), or undefined if there are none. */
export function finiteExtent(values: ArrayLike<number>, positive = false, from = 0, to = values.length): Domain | undefined {
  let lo = Infinity, hi = -Infinity;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || (positive && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** Union of domains (undefined entries ignored). */
export function unionExtent(domains: (Domain | undefined)[]): Domain | undefined {
  let out: Domain | undefined;
  for (const d of domains) {
    if (!d) continue;
    out = out ? [Math.min(out[0], d[0]), Math.max(out[1], d[1])] : [d[0], d[1]];
  }
  return out;
}

/** x extent over all series. */
export function xExtent(series: XY[]): Domain | undefined {
  return unionExtent(series.map((s) => finiteExtent(s.x)));
}

/**
 * y extent of the points whose x lies in `xDomain` (all points if absent), padded by `pad` of the
 * span (multiplicatively on a log axis). A flat series becomes `[v - 1, v + 1]` (or `[v/2, 2v]` on
 * log), so it still draws in the middle.
 */
export function yExtent(series: XY[], opts: { log?: boolean; xDomain?: Domain; pad?: number } = {}): Domain | undefined {
  const log = !!opts.log;
  const pad = opts.pad ?? 0.05;
  const parts: (Domain | undefined)[] = [];
  for (const s of series) {
    if (!opts.xDomain) { parts.push(finiteExtent(s.y, log)); continue; }
    const [x0, x1] = opts.xDomain;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i], v = s.y[i];
      if (x < x0 || x > x1 || !Number.isFinite(v) || (log && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    parts.push(lo <= hi ? [lo, hi] : undefined);
  }
  const d = unionExtent(parts);
  if (!d) return undefined;
  if (log) {
    if (d[0] === d[1]) return [d[0] / 2, d[1] * 2];
    const f = Math.pow(d[1] / d[0], pad);
    return [d[0] / f, d[1] * f];
  }
  if (d[0] === d[1]) return [d[0] - 1, d[1] + 1];
  const p = (d[1] - d[0]) * pad;
  return [d[0] - p, d[1] + p];
}

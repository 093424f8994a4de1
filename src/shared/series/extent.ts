/**
 * Axis extents of several series: finite values only, positive values only on a log axis, and a
 * little padding so lines do not touch the frame. A flat series gets a non-empty domain.
 */
import { extent, range } from 'd3-array';
import type { XY } from './downsample';

export type Domain = [number, number];

/** `v` if it can be drawn (finite, and > 0 on a log axis), else undefined (which d3's `extent` skips). */
const drawable = (v: number, positive: boolean): number | undefined => (Number.isFinite(v) && (!positive || v > 0) ? v : undefined);

/** `[lo, hi]` from d3's `extent`, or undefined when it found nothing. */
function domain(d: [number, number] | [undefined, undefined]): Domain | undefined {
  return d[0] === undefined ? undefined : [d[0], d[1]!];
}

/** Min and max of the finite values (and > 0 when `positive`), or undefined if there are none. */
export function finiteExtent(values: ArrayLike<number>, positive = false, from = 0, to = values.length): Domain | undefined {
  return domain(extent(range(from, to), (i) => drawable(values[i], positive)));
}

/** Union of domains (undefined entries ignored). */
export function unionExtent(domains: (Domain | undefined)[]): Domain | undefined {
  return domain(extent(domains.flatMap((d) => d ?? [])));
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
    parts.push(domain(extent(range(s.x.length), (i) => (s.x[i] < x0 || s.x[i] > x1 ? undefined : drawable(s.y[i], log)))));
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

/**
 * Downsampling that keeps what a reader looks for in a training curve: spikes and dips. Each bucket
 * of consecutive points contributes its minimum and its maximum (in x order), so an outlier loss is
 * never smoothed away by thinning; the first and last points are always kept.
 */

/** A series as two parallel arrays, x ascending. */
export interface XY {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Plain-array series (what downsampling returns). */
export interface Points {
  x: number[];
  y: number[];
}

/**
 * Bucket min/max downsampling of `[from, to)` (default the whole series) into at most
 * `2 * buckets + 2` points. Non-finite y values are kept (at most one per bucket) so gaps stay
 * visible. Returns the input unchanged (as copies) when it is already small enough.
 */
export function minMaxDownsample(s: XY, buckets: number, from = 0, to = s.x.length): Points {
  const n = Math.max(0, to - from);
  const x: number[] = [];
  const y: number[] = [];
  if (n <= 2 * buckets + 2 || buckets < 1) {
    for (let i = from; i < to; i++) { x.push(s.x[i]); y.push(s.y[i]); }
    return { x, y };
  }
  x.push(s.x[from]); y.push(s.y[from]);
  const inner = n - 2;
  const size = inner / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = from + 1 + Math.floor(b * size);
    const hi = from + 1 + Math.floor((b + 1) * size);
    let iMin = -1, iMax = -1, iBad = -1;
    for (let i = lo; i < hi; i++) {
      const v = s.y[i];
      if (!Number.isFinite(v)) { if (iBad < 0) iBad = i; continue; }
      if (iMin < 0 || v < s.y[iMin]) iMin = i;
      if (iMax < 0 || v > s.y[iMax]) iMax = i;
    }
    const keep = [iMin, iMax, iBad].filter((i) => i >= 0).sort((a, b2) => a - b2);
    let prev = -1;
    for (const i of keep) { if (i !== prev) { x.push(s.x[i]); y.push(s.y[i]); prev = i; } }
  }
  x.push(s.x[from + n - 1]); y.push(s.y[from + n - 1]);
  return { x, y };
}

/**
 * Index range `[from, to)` of the points inside `[x0, x1]` plus one neighbour on each side, so a
 * line drawn from them reaches the edges of a zoomed view. `xs` must be ascending.
 */
export function visibleRange(xs: ArrayLike<number>, x0: number, x1: number): [number, number] {
  const n = xs.length;
  let lo = 0, hi = n;
  while (lo < hi) { const m = (lo + hi) >> 1; if (xs[m] < x0) lo = m + 1; else hi = m; }
  const from = Math.max(0, lo - 1);
  lo = from; hi = n;
  while (lo < hi) { const m = (lo + hi) >> 1; if (xs[m] <= x1) lo = m + 1; else hi = m; }
  const to = Math.min(n, lo + 1);
  return [from, Math.max(from, to)];
}

/**
 * A bounded, append-only series for live streams: when it reaches `capacity` points it compacts
 * itself to half by bucket min/max (buckets of 4 -> 2 points), so memory stays flat on a run of any
 * length while extremes survive every compaction. Appends are O(1) amortised.
 */
export class StreamingSeries implements XY {
  private xs: Float64Array;
  private ys: Float64Array;
  private n = 0;
  /** Points ever appended (before compaction). */
  total = 0;

  constructor(readonly capacity = 4096) {
    if (capacity < 8 || capacity % 4 !== 0) throw new Error('capacity must be a multiple of 4, >= 8');
    this.xs = new Float64Array(capacity);
    this.ys = new Float64Array(capacity);
  }

  get length(): number { return this.n; }
  /** x values (a view; valid until the next push). */
  get x(): Float64Array { return this.xs.subarray(0, this.n); }
  /** y values (a view; valid until the next push). */
  get y(): Float64Array { return this.ys.subarray(0, this.n); }
  get lastX(): number | undefined { return this.n ? this.xs[this.n - 1] : undefined; }
  get lastY(): number | undefined { return this.n ? this.ys[this.n - 1] : undefined; }

  push(x: number, y: number): void {
    if (this.n === this.capacity) this.compact();
    this.xs[this.n] = x;
    this.ys[this.n] = y;
    this.n++;
    this.total++;
  }

  /** Copy of the stored points. */
  toPoints(): Points {
    return { x: Array.from(this.x), y: Array.from(this.y) };
  }

  private compact(): void {
    let w = 0;
    for (let b = 0; b < this.n; b += 4) {
      let iMin = b, iMax = b;
      for (let i = b + 1; i < b + 4; i++) {
        const v = this.ys[i];
        // NaN never wins a comparison, so a bucket that is all NaN keeps its first point.
        if (v < this.ys[iMin] || !Number.isFinite(this.ys[iMin])) iMin = i;
        if (v > this.ys[iMax] || !Number.isFinite(this.ys[iMax])) iMax = i;
      }
      const [a, c] = iMin <= iMax ? [iMin, iMax] : [iMax, iMin];
      this.xs[w] = this.xs[a]; this.ys[w] = this.ys[a]; w++;
      if (c !== a) { this.xs[w] = this.xs[c]; this.ys[w] = this.ys[c]; w++; }
    }
    this.n = w;
  }
}

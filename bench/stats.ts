/** Median of a sample (the benchmark's headline figure: robust to the odd GC pause). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Spread as the interquartile range and min/max, so a reader sees how noisy the box was. */
export function spread(xs: number[]): { p25: number; p75: number; min: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return { p25: q(0.25), p75: q(0.75), min: s[0], max: s[s.length - 1], n: s.length };
}

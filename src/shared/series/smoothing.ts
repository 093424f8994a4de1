/**
 * Exponential moving average with debiasing, as TensorBoard's scalar dashboard does it: the
 * running average starts at 0 and is divided by `1 - w^n`, so the first points are not dragged
 * towards zero. Non-finite values pass through unchanged and do not enter the average (a NaN loss
 * stays visible as a gap instead of poisoning every later point).
 *
 * @param ys values in x order
 * @param weight smoothing weight in [0, 1): 0 = no smoothing, 0.99 = very smooth
 */
export function emaSmooth(ys: ArrayLike<number>, weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  const out = new Array<number>(ys.length);
  if (w === 0) {
    for (let i = 0; i < ys.length; i++) out[i] = ys[i];
    return out;
  }
  let last = 0;
  let n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) { out[i] = y; continue; }
    last = last * w + (1 - w) * y;
    n++;
    out[i] = last / (1 - Math.pow(w, n));
  }
  return out;
}

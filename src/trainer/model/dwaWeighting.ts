/**
 * `dwa` loss weighting (Liu, Johns & Davison 2019, "End-to-end multi-task learning with attention",
 * Dynamic Weight Averaging): the weights of epoch e are
 *
 *   w_t(e) = T * exp(r_t(e-1) / temperature) / sum_i exp(r_i(e-1) / temperature),
 *   r_t(e-1) = Lbar_t(e-1) / Lbar_t(e-2)
 *
 * with Lbar_t the mean unweighted training loss of task t over an epoch's steps (train mode, each
 * step counted once) and T the number of tasks; w_t = 1 in epochs 1 and 2. A task whose loss falls
 * more slowly (ratio nearer 1) gets the larger weight; losses that fall alike give equal weights.
 * State (checkpointed): the running sums of the current epoch and the last two epoch means.
 */
import type { DwaWeightingSpec } from '../../shared/experimentTypes';
import { lossWeightings, restoredNumbers, weightedSum, type LossWeighting } from './lossWeighting';

/** The DWA weights from the last two epoch means (equal when fewer than two epochs are done). */
export function dwaWeights(prev: readonly number[] | null, prev2: readonly number[] | null, temperature: number): number[] {
  if (!prev || !prev2) return [];
  const T = prev.length;
  const r = prev.map((l, t) => (prev2[t] > 0 ? l / prev2[t] : 1));
  const m = Math.max(...r.map((x) => x / temperature));
  const e = r.map((x) => Math.exp(x / temperature - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => (T * x) / z);
}

lossWeightings.register('dwa', (spec, { tasks }): LossWeighting => {
  const temperature = (spec as DwaWeightingSpec).temperature ?? 2;
  const T = tasks.length;
  let sums = new Array<number>(T).fill(0);
  let steps = 0;
  let prev: number[] | null = null; // Lbar(e-1)
  let prev2: number[] | null = null; // Lbar(e-2)
  let w = new Array<number>(T).fill(1);
  return {
    type: 'dwa',
    needs: { accuracy: false, gradNorms: false },
    combine: (losses) => weightedSum(losses, w),
    observe(o) {
      o.losses.forEach((l, t) => { sums[t] += l; });
      steps++;
    },
    endEpoch() {
      if (steps === 0) return;
      prev2 = prev;
      prev = sums.map((s) => s / steps);
      sums = new Array<number>(T).fill(0);
      steps = 0;
      const next = dwaWeights(prev, prev2, temperature);
      w = next.length ? next : new Array<number>(T).fill(1);
    },
    state: () => ({ sums: [...sums], steps, ...(prev ? { prev: [...prev] } : {}), ...(prev2 ? { prev2: [...prev2] } : {}), weights: [...w] }),
    restore(s) {
      sums = restoredNumbers(s, 'sums', T, 'dwa');
      steps = typeof s.steps === 'number' && Number.isInteger(s.steps) && s.steps >= 0 ? s.steps : 0;
      prev = s.prev !== undefined ? restoredNumbers(s, 'prev', T, 'dwa') : null;
      prev2 = s.prev2 !== undefined ? restoredNumbers(s, 'prev2', T, 'dwa') : null;
      w = restoredNumbers(s, 'weights', T, 'dwa');
    },
    describe: () => `loss weighting dwa (Liu et al. 2019): w_t = ${T} softmax(r_t / ${temperature}), r_t = ratio of the last two epoch-mean training losses; equal weights in epochs 1-2`,
  };
});

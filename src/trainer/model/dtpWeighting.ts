/**
 * `dtp` loss weighting (Guo, Haque, Huang, Yeung & Fei-Fei 2018, "Dynamic task prioritization for
 * multitask learning"): each task's loss is scaled by the focal weight of its key performance
 * indicator kappa_t in [0, 1],
 *
 *   w_t = -(1 - kappa_t)^gamma * log(kappa_t),
 *
 * so the task that is doing worse gets the larger weight. kappa_t is an exponential moving average of
 * the task's accuracy on the training batches, kappa_t <- alpha * acc_t + (1 - alpha) * kappa_t
 * (started at the first batch's accuracy). acc_t is the batch accuracy of the decoded predictions
 * (the head's `decode`: argmax, or a CRF's Viterbi path): the fraction of labelled sentences right
 * for classification, of labelled (non-padding) tokens right for tagging. Regression tasks have no
 * such KPI and are refused by validate(). The log is taken of max(kappa, 1e-3), so a task at 0 %
 * gets a finite weight (6.9); the weights are not renormalised (as in the paper). All tasks get
 * weight 1 before the first step's accuracy is known. State (checkpointed): kappa per task.
 */
import type { DtpWeightingSpec } from '../../shared/experimentTypes';
import { lossWeightings, restoredNumbers, weightedSum, type LossWeighting } from './lossWeighting';

/** Floor of kappa inside the log. */
export const DTP_KAPPA_FLOOR = 1e-3;

/** The DTP focal weight of a KPI. */
export function dtpWeight(kappa: number, gamma: number): number {
  const k = Math.min(1, Math.max(DTP_KAPPA_FLOOR, kappa));
  return k >= 1 ? 0 : -Math.pow(1 - k, gamma) * Math.log(k);
}

lossWeightings.register('dtp', (spec, { tasks }): LossWeighting => {
  const s = spec as DtpWeightingSpec;
  const gamma = s.gamma ?? 1;
  const alpha = s.alpha ?? 0.1;
  const T = tasks.length;
  let kappa: number[] | null = null;
  const weights = () => (kappa ? kappa.map((k) => dtpWeight(k, gamma)) : new Array<number>(T).fill(1));
  return {
    type: 'dtp',
    needs: { accuracy: true, gradNorms: false },
    combine: (losses) => weightedSum(losses, weights()),
    observe(o) {
      const acc = o.accuracy;
      if (!acc) throw new Error("loss weighting 'dtp' needs the training batch's accuracy");
      // A batch without labels for a task (NaN) leaves that task's KPI as it was.
      kappa = acc.map((a, t) => (!Number.isFinite(a) ? (kappa?.[t] ?? 0.5) : kappa ? alpha * a + (1 - alpha) * kappa[t] : a));
    },
    endEpoch: () => undefined,
    state: () => (kappa ? { kappa: [...kappa] } : {}),
    restore(st) { kappa = st.kappa !== undefined ? restoredNumbers(st, 'kappa', T, 'dtp') : null; },
    describe: () => `loss weighting dtp (Guo et al. 2018): w_t = -(1 - kappa_t)^${gamma} log kappa_t, kappa_t a moving average (alpha ${alpha}) of the training-batch accuracy (tagging: per token)`,
  };
});

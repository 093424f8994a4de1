/**
 * The convergence loss of the feedback loop (Xi et al. 2024, eq. for L_conv):
 *
 *   L_conv = sum_{k=startK}^{K-1} beta^(K-k) * || y^(k+1) - y^k ||_F
 *
 * on a task's outputs (probabilities; the value for regression). The norm is taken per example
 * (over classes, and over real tokens for tagging — padding is masked) and averaged over the batch.
 * The paper starts at k = 1, so the zero-feedback pass y^0 is not pulled towards y^1; `startK: 0`
 * includes that term too. The weight lambda is applied by the caller.
 *
 * The per-example norm uses a "safe" square root: sqrt has an infinite derivative at 0, and two
 * iterates can be exactly equal (a task no feedback reaches, or iterations past the first when the
 * arrows form no cycle), which would turn the gradient into 0 * inf = NaN. The value is the exact
 * sqrt (so a settled loop reports 0, not an epsilon floor); only the gradient is guarded, by
 * 1 / (2 sqrt(x + EPS)) with EPS = 1e-12 (the subgradient 0 at x = 0 since dx is 0 there anyway).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Guards the derivative of the square root of every per-example norm; see the file comment. */
export const CONVERGENCE_EPS = 1e-12;

/** sqrt(x) with a finite gradient at x = 0. */
const safeSqrt = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return {
    value: tf.sqrt(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.div(dy, tf.mul(2, tf.sqrt(tf.add(saved[0], CONVERGENCE_EPS)))),
  };
});

/**
 * Batch-averaged per-example Frobenius norms d_k = ||y^(k+1) - y^k|| for k = 0..K-1, as one tensor
 * [K]. `iterates` are y^0..y^K, each [B,C] (sentence) or [B,T,C] (token, with `mask` [B,T]).
 */
export function iterationDeltas(iterates: readonly tf.Tensor[], mask?: tf.Tensor2D): tf.Tensor1D {
  const K = iterates.length - 1;
  if (K < 1) return tf.zeros([0]);
  const y = tf.stack(iterates as tf.Tensor[]); // [K+1, B, ...]
  const rank = y.rank;
  const begin = new Array<number>(rank).fill(0);
  const size = [K, ...y.shape.slice(1)];
  const next = tf.slice(y, [1, ...begin.slice(1)], size);
  const prev = tf.slice(y, begin, size);
  let sq = tf.sum(tf.square(tf.sub(next, prev)), -1); // [K,B] or [K,B,T]
  if (rank === 4) {
    if (!mask) throw new Error('token-level iterates need a mask');
    sq = tf.sum(tf.mul(sq, tf.expandDims(mask, 0)), -1); // padding never counts
  }
  return tf.mean(safeSqrt(sq) as tf.Tensor, 1) as tf.Tensor1D;
}

/** The weights beta^(K-k) for k = 0..K-1, zero below `startK`. */
export function convergenceWeights(K: number, beta: number, startK: number): number[] {
  return Array.from({ length: K }, (_, k) => (k >= startK ? Math.pow(beta, K - k) : 0));
}

/** L_conv (before lambda) from the deltas of `iterationDeltas`. */
export function convergenceLoss(deltas: tf.Tensor1D, beta: number, startK: number): tf.Scalar {
  const K = deltas.shape[0];
  const w = convergenceWeights(K, beta, startK);
  if (!w.some((x) => x !== 0)) return tf.scalar(0);
  return tf.sum(tf.mul(deltas, tf.tensor1d(w))) as tf.Scalar;
}

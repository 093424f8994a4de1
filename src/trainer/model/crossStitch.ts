/**
 * Cross-stitch units (Misra, Shrivastava, Gupta & Hebert 2016): after block l of every task tower,
 * task i continues with a learned linear combination of all tasks' outputs at that depth,
 *
 *   h'_i = sum_j alpha_ij h_j        (alpha: T x T, one scalar per task pair, trained with the model)
 *
 * alpha starts near the identity: `self` (default 0.9) on the diagonal and (1 - self) / (T - 1)
 * elsewhere, so each row sums to 1 and every tower starts mostly on its own features. With alpha =
 * identity the towers are exactly the towers without the unit. The outputs must have the same shape
 * (same level, same width); `validate()` refuses other towers before a model is built.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamScope } from './params';

/** One cross-stitch unit over T task outputs. */
export class CrossStitch {
  readonly alpha: tf.Variable;

  /** @param tasks how many towers meet here (T >= 2). */
  constructor(scope: ParamScope, readonly tasks: number, self: number) {
    const off = tasks > 1 ? (1 - self) / (tasks - 1) : 0;
    const init = new Float32Array(tasks * tasks).map((_, k) => (Math.floor(k / tasks) === k % tasks ? self : off));
    const t = tf.tensor2d(init, [tasks, tasks]);
    this.alpha = scope.adopt('alpha', tf.variable(t, true));
    t.dispose();
  }

  /**
   * The stitched outputs, in the order of `hs` (one tensor per task, all the same shape). One slice
   * per alpha entry (not tf.unstack, whose gradient throws when an output gets no gradient).
   */
  apply(hs: readonly tf.Tensor[]): tf.Tensor[] {
    const T = this.tasks;
    if (hs.length !== T) throw new Error(`cross-stitch: ${hs.length} task outputs for a unit of ${T}`);
    const a = (i: number, j: number) => tf.reshape(tf.slice(this.alpha, [i, j], [1, 1]), []);
    return hs.map((_, i) => tf.addN(hs.map((h, j) => tf.mul(h, a(i, j)))));
  }
}

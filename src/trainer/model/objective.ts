/**
 * The training objective of one batch, shared by the training step and evaluation:
 *
 *   total = weighting(task losses on pass K) + lambda * sum_tasks L_conv(task) [+ tie]
 *
 * The loss weighting (`model.weighting`) weighs the task losses only; the convergence term keeps its
 * own weight lambda whatever the weighting. `tie` is soft sharing's penalty on the encoder copies
 * (`softSharing.ts`, already times l2), present only under `sharing.type: soft`.
 * plus everything the events report (per-task losses, convergence terms, iteration deltas). The
 * convergence term uses the model's task outputs y^0..y^K (`convergence.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../data/types';
import { convergenceLoss, iterationDeltas } from './convergence';
import type { FeedbackModel, ForwardResult } from './feedbackModel';
import { meanNll } from './head';
import { dict } from '../../shared/dict';

export interface Objective {
  /** The minimised scalar. */
  total: tf.Scalar;
  /** Unweighted task loss on pass K, in `model.tasks` order. */
  taskLosses: tf.Scalar[];
  /** The weight each task loss got (the weighting's factor on L_t), [T]. */
  weights: tf.Tensor1D;
  /** L_conv per task before lambda, in `model.tasks` order. */
  convergence: tf.Scalar[];
  /** ||y^(k+1) - y^k|| for k = 0..K-1 per task ([K] each), in `model.tasks` order. */
  deltas: tf.Tensor1D[];
  /** Soft sharing's tie penalty l2 * sum_(i<j) ||theta_i - theta_j||^2 (null under hard sharing). */
  tie: tf.Scalar | null;
  /** Language-model tasks: -ln p(target) per token on pass K [B*T] (0 on padding); their loss is the mean over real tokens. */
  tokenNll: Record<string, tf.Tensor1D>;
}

/** Computes the objective of a forward result against the batch's targets. */
export function objective(model: FeedbackModel, result: ForwardResult, batch: Batch): Objective {
  const exp = model.exp;
  const { beta, lambda } = exp.convergence;
  const startK = exp.convergence.startK ?? 1;
  const taskLosses: tf.Scalar[] = [];
  const convergence: tf.Scalar[] = [];
  const deltas: tf.Tensor1D[] = [];
  const tokenNll: Record<string, tf.Tensor1D> = dict();
  for (const t of model.tasks) {
    const f = result.tasks[t.id];
    const raw = batch.targets[t.id];
    if (!raw) throw new Error(`the batch has no targets for task '${t.id}'`);
    const targets = t.head.targets(raw, batch);
    if (t.head.tokenNll) {
      // Computed once: the loss is their mean, evaluation sums them into the split's perplexity.
      const nll = t.head.tokenNll(f.logits, targets);
      tokenNll[t.id] = nll;
      taskLosses.push(meanNll(nll, targets.count));
    } else {
      taskLosses.push(t.head.loss(f.logits, targets));
    }
    const d = t.receivesFeedback
      ? iterationDeltas(f.iterates, t.level === 'token' ? result.batch.mask : undefined)
      : tf.zeros([model.iterations]) as tf.Tensor1D; // identical iterates: the deltas are exactly 0
    deltas.push(d);
    convergence.push(t.receivesFeedback ? convergenceLoss(d, beta, startK) : tf.scalar(0));
  }
  const weighted = model.weighting.combine(taskLosses);
  let total = weighted.total;
  if (lambda > 0 && model.iterations > 0) total = tf.add(total, tf.mul(lambda, tf.addN(convergence))) as tf.Scalar;
  const tie = model.tie();
  if (tie) total = tf.add(total, tie) as tf.Scalar;
  return { total, taskLosses, weights: weighted.weights, convergence, deltas, tie, tokenNll };
}

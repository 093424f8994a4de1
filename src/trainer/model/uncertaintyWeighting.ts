/**
 * `uncertainty` loss weighting (Kendall, Gal & Cipolla 2018, "Multi-task learning using uncertainty
 * to weigh losses"): one learned log-variance s_t = log sigma_t^2 per task, trained with the model by
 * the model's optimizer (the variable `lossWeighting/logVariance`, [T], initialised to 0). The
 * objective is the paper's eq. 10 written in s_t:
 *
 *   classification / tagging:  exp(-s_t) L_t     + s_t / 2     (1/sigma^2 L + log sigma)
 *   regression:                exp(-s_t) L_t / 2 + s_t / 2     (1/(2 sigma^2) L + log sigma)
 *
 * The streamed weight is the factor on L_t (exp(-s_t), or exp(-s_t)/2). For a fixed L_t the optimum
 * is exp(-s_t) = 1/(2 L_t) (classification) or 1/L_t (regression): either way the weight settles at
 * 1/(2 L_t), so a task whose loss stays high (noisy labels) is weighed down.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lossWeightings, stateless } from './lossWeighting';

lossWeightings.register('uncertainty', (_spec, { tasks, scope }) => {
  const s = scope.zeros('logVariance', tasks.length);
  // 1 for classification/tagging, 1/2 for regression.
  const factor = tasks.map((t) => (t.kind === 'regression' ? 0.5 : 1));
  return stateless('uncertainty', (losses) => {
    const half = tf.tensor1d(factor);
    const weights = tf.mul(half, tf.exp(tf.neg(s))) as tf.Tensor1D;
    const total = tf.add(tf.sum(tf.mul(weights, tf.stack(losses as tf.Scalar[]))), tf.mul(0.5, tf.sum(s))) as tf.Scalar;
    return { total, weights };
  }, () => `loss weighting uncertainty (Kendall et al. 2018): learned log-variances s_t, ${tasks.map((t) => `${t.id}: ${t.kind === 'regression' ? 'exp(-s)L/2 + s/2' : 'exp(-s)L + s/2'}`).join(', ')}; s_t start at 0 and are trained with the model`);
});

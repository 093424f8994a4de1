/**
 * Soft parameter sharing's tie (Duong et al. 2015; Zhou 2019, Fig. 1 right): every task has its own
 * copy of the encoder, and the objective adds
 *
 *   tie = l2 * sum over task pairs i < j of sum_p ||theta_i,p - theta_j,p||^2
 *
 * over every encoder parameter p (embeddings, character CNN, recurrent / convolution / attention /
 * Transformer layers: all of them, by their place in the copy). Its gradient on copy i is
 * 2 * l2 * sum_(j != i) (theta_i - theta_j): it pulls the copies together; l2 -> infinity is hard
 * sharing, l2 = 0 independent encoders.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedVariable } from './params';

/**
 * The encoder copies' variables, checked to correspond: same count, and the same names and shapes
 * after each copy's scope prefix (`encoders/intent/gru1/kernel` <-> `encoders/slots/gru1/kernel`).
 */
export function correspondingParameters(copies: readonly { scope: string; variables: readonly NamedVariable[] }[]): tf.Variable[][] {
  const rel = (scope: string, v: NamedVariable) => v.name.slice(scope.length + 1);
  const [first, ...rest] = copies;
  for (const c of rest) {
    const a = first.variables, b = c.variables;
    const bad = a.length !== b.length ? `${a.length} vs ${b.length} parameters`
      : a.map((v, i) => (rel(first.scope, v) !== rel(c.scope, b[i]) || v.variable.shape.join('x') !== b[i].variable.shape.join('x') ? `${v.name} vs ${b[i].name}` : '')).find(Boolean);
    if (bad) throw new Error(`soft sharing: the encoder copies ${first.scope} and ${c.scope} do not correspond (${bad})`);
  }
  return copies.map((c) => c.variables.map((v) => v.variable));
}

/** l2 * sum_(i<j) ||theta_i - theta_j||^2 over corresponding parameters (call inside a tidy). */
export function tiePenalty(copies: readonly (readonly tf.Tensor[])[], l2: number): tf.Scalar {
  const terms: tf.Scalar[] = [];
  for (let i = 0; i < copies.length; i++) {
    for (let j = i + 1; j < copies.length; j++) {
      copies[i].forEach((p, k) => terms.push(tf.sum(tf.square(tf.sub(p, copies[j][k])))));
    }
  }
  if (!terms.length) return tf.scalar(0);
  return tf.mul(l2, tf.addN(terms)) as tf.Scalar;
}

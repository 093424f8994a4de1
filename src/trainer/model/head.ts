/**
 * Task heads (the output layer after a task's blocks) and their losses. A head gives logits and the
 * output that is fed back and compared across iterations: class probabilities for classification
 * and tagging, the (standardised) value for regression.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TaskKind } from '../../shared/experimentTypes';
import { matMulAny } from './layers';
import type { NamedVariable, ParamScope } from './params';
import { Registry } from './registry';

/**
 * Targets of one task in one batch, built on the host from the batch's typed arrays: the ignored
 * labels (-1 / NaN) are turned into a mask there, so the device never sees them.
 */
export interface TaskTargets {
  /** One-hot targets [N,C] with all-zero rows for ignored labels (classification, tagging). */
  oneHot?: tf.Tensor2D;
  /** Values [N,1] with 0 where missing (regression). */
  values?: tf.Tensor2D;
  /** 1 where the value is present [N,1] (regression). */
  present?: tf.Tensor2D;
  /** Number of labelled items (examples or real tokens); the loss averages over these. */
  count: number;
}

export interface Head {
  readonly variables: readonly NamedVariable[];
  readonly kind: TaskKind;
  /** Output width: classes, or 1 for regression. */
  readonly outDim: number;
  /** Whether `output` is a probability distribution. */
  readonly probabilities: boolean;
  logits(h: tf.Tensor): tf.Tensor;
  /** Probabilities (softmax over the last axis) or the regression value. */
  output(logits: tf.Tensor): tf.Tensor;
  /** Mean loss over labelled items; 0 when the batch has none. */
  loss(logits: tf.Tensor, targets: TaskTargets): tf.Scalar;
  /** Host-side targets for a batch (see `TaskTargets`). */
  targets(raw: Int32Array | Float32Array): TaskTargets;
}

export type HeadFactory = (where: { inDim: number; outDim: number }, scope: ParamScope) => Head;

/** Task kind -> head factory. */
export const heads = new Registry<HeadFactory>('task kind');

function softmaxHead(kind: 'classification' | 'tagging'): HeadFactory {
  return (where, scope) => {
    const w = scope.weight('W', where.inDim, where.outDim);
    const b = scope.zeros('b', where.outDim);
    const C = where.outDim;
    return {
      variables: scope.variables, kind, outDim: C, probabilities: true,
      logits: (h) => tf.add(matMulAny(h, w as tf.Tensor2D), b),
      output: (logits) => tf.softmax(logits),
      loss: (logits, t) => maskedSoftmaxCrossEntropy(tf.reshape(logits, [-1, C]) as tf.Tensor2D, t.oneHot!, t.count),
      targets: (raw) => oneHotTargets(raw as Int32Array, C),
    };
  };
}

heads.register('classification', softmaxHead('classification'));
heads.register('tagging', softmaxHead('tagging'));
heads.register('regression', (where, scope) => {
  const w = scope.weight('W', where.inDim, 1);
  const b = scope.zeros('b', 1);
  return {
    variables: scope.variables, kind: 'regression', outDim: 1, probabilities: false,
    logits: (h) => tf.add(matMulAny(h, w as tf.Tensor2D), b),
    output: (logits) => logits,
    loss: (pred, t) => maskedMse(pred as tf.Tensor2D, t.values!, t.present!, t.count),
    targets: (raw) => valueTargets(raw as Float32Array),
  };
});

/**
 * Mean softmax cross-entropy over labelled rows: -sum(onehot * logSoftmax(logits)) / count, where
 * ignored rows (label -1) have an all-zero one-hot row and so contribute nothing.
 */
export function maskedSoftmaxCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D, count: number): tf.Scalar {
  if (count === 0) return tf.scalar(0);
  return tf.div(tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)))), count) as tf.Scalar;
}

/** Mean squared error over present values (NaN targets masked on the host). */
export function maskedMse(pred: tf.Tensor2D, values: tf.Tensor2D, present: tf.Tensor2D, count: number): tf.Scalar {
  if (count === 0) return tf.scalar(0);
  return tf.div(tf.sum(tf.mul(present, tf.square(tf.sub(pred, values)))), count) as tf.Scalar;
}

/** One-hot [N,C] from class ids; -1 (or any id outside 0..C-1) gives an all-zero, ignored row. */
export function oneHotTargets(ids: Int32Array, C: number): TaskTargets {
  const m = new Float32Array(ids.length * C);
  let count = 0;
  for (let i = 0; i < ids.length; i++) {
    const c = ids[i];
    if (c >= 0 && c < C) { m[i * C + c] = 1; count++; }
  }
  return { oneHot: tf.tensor2d(m, [ids.length, C]), count };
}

/** Values and presence mask [N,1] from reals with NaN = missing. */
export function valueTargets(v: Float32Array): TaskTargets {
  const values = new Float32Array(v.length);
  const present = new Float32Array(v.length);
  let count = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isFinite(v[i])) { values[i] = v[i]; present[i] = 1; count++; }
  }
  return { values: tf.tensor2d(values, [v.length, 1]), present: tf.tensor2d(present, [v.length, 1]), count };
}

/**
 * Task heads (the output layer after a task's blocks) and their losses. A head gives logits, the
 * output that is fed back and compared across iterations (class probabilities for classification
 * and tagging, the (standardised) value for regression) and the decoded prediction (`decode`:
 * every label the trainer reports or writes goes through it, so a CRF's Viterbi path is used
 * everywhere a tag is read).
 *
 * Registered heads: `classification`, `tagging`, `regression` (a softmax / linear output by task
 * kind), `crf` (tagging with a linear-chain CRF, `"output": "crf"` on the task; `crf.ts`) and
 * `token-classification` (a sentence label predicted at every token, `"tokenLevel": true`) and
 * `language-model` (the next word at every token, over the word vocabulary).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TaskKind, TaskSpec } from '../../shared/experimentTypes';
import type { Batch } from '../../data/types';
import { crfDecode, crfNll } from './crf';
import { matMulAny, maskedMean } from './layers';
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
  /** Tag ids [B*T] with -1 on padding and unknown tags (CRF). */
  ids?: Int32Array;
  /** Real tokens per example [B] (CRF). */
  lengths?: ArrayLike<number>;
  /** Batch shape (CRF). */
  size?: number;
  seqLen?: number;
  /** Token-level classification: the sentence's one-hot over its real tokens, / tokens [B,T,C]. */
  tokenWeights?: tf.Tensor3D;
}

export interface Head {
  readonly variables: readonly NamedVariable[];
  readonly kind: TaskKind;
  /** Output width: classes, or 1 for regression. */
  readonly outDim: number;
  /** Whether `output` is a probability distribution. */
  readonly probabilities: boolean;
  logits(h: tf.Tensor): tf.Tensor;
  /**
   * Probabilities (softmax over the last axis) or the regression value; a token-level
   * classification head gives one distribution per sentence from its token logits and `mask`.
   */
  output(logits: tf.Tensor, mask?: tf.Tensor2D): tf.Tensor;
  /** Mean loss over labelled items; 0 when the batch has none. */
  loss(logits: tf.Tensor, targets: TaskTargets): tf.Scalar;
  /**
   * Language model: -ln p(target) per token [B*T] (0 on padding); `loss` is their sum over the
   * labelled count. Evaluation keeps them: perplexity is exp of their mean over a whole split.
   */
  tokenNll?(logits: tf.Tensor, targets: TaskTargets): tf.Tensor1D;
  /** Host-side targets for a batch (see `TaskTargets`). */
  targets(raw: Int32Array | Float32Array, batch: Batch): TaskTargets;
  /**
   * Predictions from the final logits: class / tag ids as float32 ([B] or [B,T]; a CRF's Viterbi
   * path, 0 on padding) or the standardised regression value [B,1]. `mask` [B,T] for token tasks.
   */
  decode(logits: tf.Tensor, mask?: tf.Tensor2D): tf.Tensor;
}

/** Where a head sits: its input width, its output width (classes), and its task. */
export interface HeadContext { inDim: number; outDim: number; task?: TaskSpec }

export type HeadFactory = (where: HeadContext, scope: ParamScope) => Head;

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
      decode: (logits) => argMaxIds(logits),
    };
  };
}

/** Class ids (argmax over the last axis) as float32, the readout's number type. */
function argMaxIds(logits: tf.Tensor): tf.Tensor {
  return tf.cast(tf.argMax(logits, -1), 'float32');
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
    decode: (value) => value,
  };
});

/**
 * `crf`: a tagging head whose per-token logits are the emission scores of a linear-chain CRF with
 * learned transitions (`trans` [C,C], row = previous tag) and start / end scores, all zero at first.
 * Loss: the CRF's negative log-likelihood of the gold path over the real tokens, summed over
 * sentences and divided by the labelled tokens (so it reads on the scale of the per-token loss it
 * replaces and averages over splits the same way). Prediction: the Viterbi path.
 *
 * The fed-back output y^k (and what the convergence loss compares across iterations) is the
 * per-token softmax of the emission scores, as for the plain tagging head: cheap, differentiable,
 * and the same kind of signal the other tasks' amplifiers already read. The CRF's marginals would
 * be the path-aware alternative, at the cost of a forward-backward per feedback pass and its
 * second-order gradient; the transitions only shape the loss and the decoded path.
 */
heads.register('crf', (where, scope) => {
  const w = scope.weight('W', where.inDim, where.outDim);
  const b = scope.zeros('b', where.outDim);
  const C = where.outDim;
  const trans = scope.zeros('transitions', C * C);
  const start = scope.zeros('start', C);
  const end = scope.zeros('end', C);
  const trans2 = () => tf.reshape(trans, [C, C]) as tf.Tensor2D;
  return {
    variables: scope.variables, kind: 'tagging', outDim: C, probabilities: true,
    logits: (h) => tf.add(matMulAny(h, w as tf.Tensor2D), b),
    output: (logits) => tf.softmax(logits),
    loss: (logits, t) => {
      if (t.count === 0) return tf.scalar(0);
      const nll = crfNll(logits as tf.Tensor3D, trans2(), start as tf.Tensor1D, end as tf.Tensor1D, t.ids!, t.lengths!);
      return tf.div(nll, t.count) as tf.Scalar;
    },
    targets: (raw, batch) => {
      const ids = raw as Int32Array;
      let count = 0;
      for (let i = 0; i < ids.length; i++) if (ids[i] >= 0 && ids[i] < C) count++;
      const lengths = batch.lengths ?? new Int32Array(batch.size).fill(batch.seqLen);
      return { ids, lengths, count, size: batch.size, seqLen: batch.seqLen };
    },
    decode: (logits, mask) => {
      if (!mask) throw new Error('the CRF head decodes token sequences and needs their mask');
      return crfDecode(logits as tf.Tensor3D, trans2(), start as tf.Tensor1D, end as tf.Tensor1D, mask);
    },
  };
});

/**
 * `token-classification`: a sentence label predicted at every token (Stack-Propagation's
 * token-level intent). Logits [B,T,C] per token; loss: each real token's cross-entropy against
 * its sentence's label, averaged over the sentence's tokens, then over labelled sentences (every
 * sentence weighs the same, as in the sentence-level metric).
 *
 * The sentence decision and the fed-back output: y = softmax(mean over real tokens of the token
 * log-probabilities), a normalised geometric mean of the token distributions — one distribution
 * per sentence, differentiable, and its argmax is the `mean` decision, so what is fed back and
 * compared by the convergence loss agrees with what is predicted. `mean` is the default over a
 * vote because it weighs each token by its confidence and never ties; `majority` (Stack-
 * Propagation's vote: each token's argmax counts once, ties to the higher mean log-probability)
 * is there to reproduce that paper.
 */
heads.register('token-classification', (where, scope) => {
  const w = scope.weight('W', where.inDim, where.outDim);
  const b = scope.zeros('b', where.outDim);
  const C = where.outDim;
  const majority = where.task?.vote === 'majority';
  /** Mean token log-probabilities over real tokens [B,C]. */
  const meanLogProb = (logits: tf.Tensor, mask: tf.Tensor2D) => maskedMean(tf.logSoftmax(logits), mask);
  const needMask = (mask?: tf.Tensor2D): tf.Tensor2D => {
    if (!mask) throw new Error('a token-level classification head reads token sequences and needs their mask');
    return mask;
  };
  return {
    variables: scope.variables, kind: 'classification', outDim: C, probabilities: true,
    logits: (h) => tf.add(matMulAny(h, w as tf.Tensor2D), b),
    output: (logits, mask) => tf.softmax(meanLogProb(logits, needMask(mask))),
    loss: (logits, t) => {
      if (t.count === 0) return tf.scalar(0);
      return tf.div(tf.neg(tf.sum(tf.mul(t.tokenWeights!, tf.logSoftmax(logits)))), t.count) as tf.Scalar;
    },
    targets: (raw, batch) => tokenTargets(raw as Int32Array, batch, C),
    decode: (logits, mask) => {
      const m = needMask(mask);
      const mean = meanLogProb(logits, m);
      if (!majority) return argMaxIds(mean);
      // Votes per class plus softmax(mean) (< 1) to break ties by confidence.
      const votes = tf.sum(tf.mul(tf.oneHot(tf.argMax(logits, -1), C), tf.expandDims(m, 2)), 1);
      return argMaxIds(tf.add(votes, tf.softmax(mean)));
    },
  };
});

/**
 * `language-model`: the next word at every token, a softmax over the input word vocabulary (class 0
 * = the end of sentence, 1 = `<unk>`). Logits [B,T,V]; loss: the mean cross-entropy over the real
 * target tokens (targets -1 on padding), read by index (`targetNll`), so no [B*T,V] one-hot is
 * built for a vocabulary of thousands of words. The fed-back output is the per-token distribution.
 */
heads.register('language-model', (where, scope) => {
  const w = scope.weight('W', where.inDim, where.outDim);
  const b = scope.zeros('b', where.outDim);
  const V = where.outDim;
  return {
    variables: scope.variables, kind: 'language-model', outDim: V, probabilities: true,
    logits: (h) => tf.add(matMulAny(h, w as tf.Tensor2D), b),
    output: (logits) => tf.softmax(logits),
    loss: (logits, t) => meanNll(targetNll(logits, t.ids!), t.count),
    tokenNll: (logits, t) => targetNll(logits, t.ids!),
    targets: (raw) => {
      const ids = raw as Int32Array;
      let count = 0;
      for (let i = 0; i < ids.length; i++) if (ids[i] >= 0 && ids[i] < V) count++;
      return { ids, count };
    },
    decode: (logits) => argMaxIds(logits),
  };
});

/** The mean of per-token negative log-likelihoods over `count` labelled tokens (0 when there are none). */
export function meanNll(nll: tf.Tensor1D, count: number): tf.Scalar {
  return count === 0 ? tf.scalar(0) : tf.div(tf.sum(nll), count) as tf.Scalar;
}

/**
 * -log softmax(logits)[target] per position [N] (N = B*T; logits [B,T,V] or [N,V]), 0 where the
 * target is -1 (padding) or outside the classes. Gathered by flat index, so its gradient is a sparse
 * scatter into the log-softmax, not a dense one-hot product.
 */
export function targetNll(logits: tf.Tensor, ids: Int32Array): tf.Tensor1D {
  const V = logits.shape[logits.shape.length - 1];
  const n = ids.length;
  const flatIx = new Int32Array(n);
  const real = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const ok = ids[i] >= 0 && ids[i] < V;
    flatIx[i] = i * V + (ok ? ids[i] : 0);
    real[i] = ok ? 1 : 0;
  }
  const logp = tf.reshape(tf.logSoftmax(tf.reshape(logits, [n, V])), [n * V]);
  return tf.mul(tf.neg(tf.gather(logp, tf.tensor1d(flatIx, 'int32'))), tf.tensor1d(real)) as tf.Tensor1D;
}

/** Per-token weights [B,T,C] of a token-level classification batch: onehot(label) / real tokens. */
export function tokenTargets(ids: Int32Array, batch: Batch, C: number): TaskTargets {
  const B = batch.size, T = batch.seqLen;
  const wts = new Float32Array(B * T * C);
  let count = 0;
  for (let i = 0; i < B; i++) {
    const c = ids[i];
    const n = Math.min(batch.lengths ? batch.lengths[i] : T, T);
    if (!(c >= 0 && c < C) || n === 0) continue;
    count++;
    for (let t = 0; t < n; t++) wts[(i * T + t) * C + c] = 1 / n;
  }
  return { tokenWeights: tf.tensor3d(wts, [B, T, C]), count };
}

/** The head registry name of a task: `crf` for a tagging task with `"output": "crf"`, else its kind. */
export function headName(task: TaskSpec): string {
  if (task.kind === 'tagging' && task.output === 'crf') return 'crf';
  if (task.kind === 'classification' && task.tokenLevel === true) return 'token-classification';
  return task.kind;
}

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

/**
 * Everything the host needs from one step or evaluation batch, packed into ONE tensor so it costs
 * one device read (`dataSync`) instead of one per scalar: on the wasm backend each read is a sync
 * point, and a step reports dozens of numbers.
 *
 * Layout: [total, loss_t.., conv_t.., weight_t.., tie (soft sharing only), deltas_t,k.., gateProbs_a,l.., predictions_t.., nll_lm..];
 * `nll_lm`: per token -ln p(target) of each language-model task (with the predictions). Predictions
 * are class/tag ids (the head's `decode`: argmax, or a CRF's Viterbi path; as floats) or the
 * standardised regression value.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../data/types';
import type { FeedbackModel, ForwardResult } from './feedbackModel';
import type { Objective } from './objective';
import { dict } from '../../shared/dict';

/** The unpacked numbers of one batch. */
export interface Readout {
  total: number;
  /** Per task (model.tasks order). */
  losses: number[];
  convergence: number[];
  /** Per task: the loss weight the objective applied (`Objective.weights`). */
  weights: number[];
  /** Soft sharing's tie penalty (as added to the total); undefined under hard sharing. */
  tie?: number;
  /** Per task: ||y^(k+1) - y^k|| for k = 0..K-1. */
  deltas: number[][];
  /** Per Gumbel arrow id: softmax(logits) over its candidates. */
  gateProbs: Record<string, number[]>;
  /** Per task id: predictions, [B] (sentence) or [B*T] (token). */
  predictions: Record<string, Float32Array>;
  /** Per language-model task id: -ln p(target) per token [B*T] (0 on padding); with the predictions only. */
  tokenNll: Record<string, Float32Array>;
}

/**
 * Builds the packed tensor (call inside the caller's tidy). `withPredictions: false` leaves the
 * predictions out (training steps do not need them: train metrics come from an eval-mode pass).
 */
export function packReadout(model: FeedbackModel, obj: Objective, res: ForwardResult, withPredictions = true): tf.Tensor1D {
  const parts: tf.Tensor[] = [tf.stack([obj.total, ...obj.taskLosses, ...obj.convergence]), obj.weights];
  if (obj.tie) parts.push(obj.tie);
  if (model.iterations > 0) parts.push(...obj.deltas);
  const probs = model.gateProbs();
  for (const a of model.arrows) if (probs[a.id]) parts.push(probs[a.id]);
  for (const t of withPredictions ? model.tasks : []) {
    // Through the head: a CRF decodes its Viterbi path here, other heads take the argmax.
    parts.push(tf.reshape(t.head.decode(res.tasks[t.id].logits, res.batch.mask), [-1]));
  }
  for (const t of withPredictions ? model.tasks : []) if (t.head.tokenNll) parts.push(obj.tokenNll[t.id]);
  return tf.concat(parts.map((p) => tf.reshape(p, [-1]))) as tf.Tensor1D;
}

/** Per task: the decoded answer of every pass y^0..y^K of one batch. */
export interface IterationAnswers {
  /** [k] -> ids (class/tag, as floats) or values, [B] (sentence) or [B*T] (token). */
  labels: Float32Array[];
  /** [k] -> probability of each chosen label, same layout; null for regression. */
  probs: Float32Array[] | null;
  /** Language model: [k] -> -ln p(next word) per token [B*T] (NaN where the next word is not known); else null. */
  nll: Float32Array[] | null;
}

/**
 * Packs the decoded answers of every pass (labels, then probs, then a language model's per-token
 * -ln p(next word), per task and pass) into one tensor (call inside the caller's tidy): one device
 * read gives the whole y^0..y^K picture of a batch. `batch` gives the language models' targets.
 */
export function packIterations(model: FeedbackModel, res: ForwardResult, batch: Batch): tf.Tensor1D {
  const parts: tf.Tensor[] = [];
  for (const t of model.tasks) {
    const f = res.tasks[t.id];
    f.passLogits.forEach((logits, k) => {
      // Through the head, as the final pass's predictions: a CRF's Viterbi path, else the argmax.
      const labels = t.head.decode(logits, res.batch.mask);
      parts.push(tf.reshape(labels, [-1]));
      if (t.head.probabilities) {
        // The probability y^k gives the chosen label.
        const y = f.iterates[k];
        parts.push(tf.reshape(tf.sum(tf.mul(y, tf.oneHot(tf.cast(labels, 'int32'), t.outDim)), -1), [-1]));
      }
      if (t.head.tokenNll) {
        const ids = batch.targets[t.id] as Int32Array | undefined;
        const known = ids ? Float32Array.from(ids, (v) => (v >= 0 ? 0 : NaN)) : new Float32Array(batch.size * batch.seqLen).fill(NaN);
        const nll = ids ? t.head.tokenNll(logits, t.head.targets(ids, batch)) : tf.zeros([known.length]);
        parts.push(tf.add(nll, tf.tensor1d(known)));
      }
    });
  }
  return tf.concat(parts) as tf.Tensor1D;
}

/** Splits the values read from `packIterations`' tensor, keyed by task id. */
export function unpackIterations(model: FeedbackModel, v: Float32Array, batch: Batch): Record<string, IterationAnswers> {
  let o = 0;
  const take = (n: number): Float32Array => { const r = v.slice(o, o + n); o += n; return r; };
  const out: Record<string, IterationAnswers> = {};
  for (const t of model.tasks) {
    const n = t.level === 'token' ? batch.size * batch.seqLen : batch.size;
    const a: IterationAnswers = { labels: [], probs: t.head.probabilities ? [] : null, nll: t.head.tokenNll ? [] : null };
    for (let k = 0; k <= model.iterations; k++) {
      a.labels.push(take(n));
      if (a.probs) a.probs.push(take(n));
      if (a.nll) a.nll.push(take(n));
    }
    out[t.id] = a;
  }
  if (o !== v.length) throw new Error(`iteration readout layout mismatch: read ${o} of ${v.length} values`);
  return out;
}

/** Splits the values read from `packReadout`'s tensor (`withPredictions` as it was packed; without, `predictions` is {}). */
export function unpackReadout(model: FeedbackModel, v: Float32Array | Int32Array | Uint8Array, batch: Batch, withPredictions = true): Readout {
  const nT = model.tasks.length;
  const K = model.iterations;
  let o = 0;
  const take = (n: number): number[] => { const r = Array.from(v.subarray(o, o + n)); o += n; return r; };
  const total = take(1)[0];
  const losses = take(nT);
  const convergence = take(nT);
  const weights = take(nT);
  const tie = model.encoders.length > 1 ? take(1)[0] : undefined;
  const deltas = model.tasks.map(() => (K > 0 ? take(K) : []));
  const gateProbs: Record<string, number[]> = dict();
  for (const a of model.arrows) if (a.gumbel) gateProbs[a.id] = take(a.injection.candidates.length);
  const predictions: Record<string, Float32Array> = dict();
  for (const t of withPredictions ? model.tasks : []) {
    const n = t.level === 'token' ? batch.size * batch.seqLen : batch.size;
    predictions[t.id] = Float32Array.from(v.subarray(o, o + n));
    o += n;
  }
  const tokenNll: Record<string, Float32Array> = dict();
  for (const t of withPredictions ? model.tasks : []) {
    if (!t.head.tokenNll) continue;
    const n = batch.size * batch.seqLen;
    tokenNll[t.id] = Float32Array.from(v.subarray(o, o + n));
    o += n;
  }
  if (o !== v.length) throw new Error(`readout layout mismatch: read ${o} of ${v.length} values`);
  return { total, losses, convergence, weights, ...(tie !== undefined ? { tie } : {}), deltas, gateProbs, predictions, tokenNll };
}

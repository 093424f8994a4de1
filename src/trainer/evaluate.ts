/**
 * Evaluation: metrics, losses, iteration deltas and gate choices of a model on a split, in eval mode
 * (no dropout, Gumbel gates at their argmax). Used at the end of every epoch by `train` (valid, and a
 * fixed subset of train so train metrics compare with valid) and by `fmtl eval`. Also home of
 * `PredictionCollector`, which turns per-batch predictions into the metric table.
 *
 * Batches are length-bucketed (text): each batch is padded only to its own longest sentence, which
 * cut SNIPS padding from 48% to 4%; predictions are mapped back to examples by `batch.indices`, so
 * the metrics do not depend on the batch order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Experiment } from '../shared/experimentTypes';
import { accuracy, macroF1, mae, overallAccuracy, rmse, spanF1, tokenAccuracy } from '../shared/metrics/scores';
import type { TaskMetrics } from '../shared/trainerProtocol';
import { makeBatches } from './data/batches';
import type { Batch, EncodedSplit, PreparedData } from './data/types';
import type { FeedbackModel } from './model/feedbackModel';
import { objective } from './model/objective';
import { packReadout, unpackReadout, type Readout } from './model/readout';
import { Rng } from '../shared/rng';

export type SplitName = 'train' | 'valid' | 'test';

/** What `evaluate` returns. */
export interface EvalResult {
  split: SplitName;
  /** Task id -> metric -> value (plus `_overall` for SLU intent + slots). */
  metrics: TaskMetrics;
  /** Mean task loss per task id (unweighted, on pass K). */
  losses: Record<string, number>;
  /** Mean convergence loss per task id (before lambda). */
  convergence: Record<string, number>;
  /** Mean minimised objective. */
  total: number;
  /** Task id -> mean ||y^(k+1) - y^k|| for k = 0..K-1. */
  deltas: Record<string, number[]>;
  /** Gumbel arrow id -> candidate blocks, softmax(logits), and the block eval uses (argmax). */
  gates: Record<string, { blocks: number[]; probs: number[]; block: number; prob: number }>;
  examples: number;
}

/** Accumulates batch predictions of one split and computes the metric table. */
export class PredictionCollector {
  private readonly preds = new Map<string, (Int32Array | number | null)[] | Float32Array>();

  constructor(private readonly model: FeedbackModel, private readonly data: PreparedData, private readonly split: EncodedSplit) {
    for (const t of model.tasks) {
      this.preds.set(t.id, t.kind === 'regression' ? new Float32Array(split.size).fill(NaN) : new Array(split.size).fill(null));
    }
  }

  /** Records a batch's predictions (from `Readout.predictions`). */
  add(batch: Batch, predictions: Record<string, Float32Array>): void {
    for (const t of this.model.tasks) {
      const p = predictions[t.id];
      const store = this.preds.get(t.id)!;
      for (let b = 0; b < batch.size; b++) {
        const ix = batch.indices[b];
        if (t.kind === 'regression') (store as Float32Array)[ix] = p[b];
        else if (t.kind === 'classification') (store as (number | null)[])[ix] = p[b];
        else {
          const len = batch.lengths ? batch.lengths[b] : batch.seqLen;
          (store as (Int32Array | null)[])[ix] = Int32Array.from(p.subarray(b * batch.seqLen, b * batch.seqLen + len));
        }
      }
    }
  }

  /** Metrics over the examples seen so far (examples never predicted are left out). */
  metrics(): TaskMetrics {
    const out: TaskMetrics = {};
    const seen = this.seenIndices();
    let intent: { pred: string[]; gold: (string | null)[] } | undefined;
    let nClassification = 0;
    const tagSeqs: { pred: string[][]; gold: string[][] }[] = [];
    for (const t of this.model.tasks) {
      const names = this.data.labelNames[t.id] ?? [];
      const store = this.preds.get(t.id)!;
      if (t.kind === 'classification') {
        nClassification++;
        const rawGold = this.split.rawLabels[t.id] as (string | null)[] | undefined;
        const gold = seen.map((i) => rawGold ? rawGold[i] ?? null : labelName(names, (this.split.labels[t.id] as { values: Int32Array }).values[i]));
        const pred = seen.map((i) => names[(store as number[])[i]] ?? '');
        out[t.id] = { accuracy: accuracy(pred, gold), macroF1: macroF1(pred, gold, names.length) };
        intent = { pred, gold };
      } else if (t.kind === 'tagging') {
        const rawGold = this.split.rawLabels[t.id] as string[][] | undefined;
        const gold = seen.map((i) => rawGold ? rawGold[i] : [...(this.split.labels[t.id] as { values: Int32Array[] }).values[i]].map((c) => labelName(names, c) ?? 'O'));
        // Tokens cut off by maxLength were never predicted: they count as 'O'.
        const pred = seen.map((i, j) => {
          const p = (store as Int32Array[])[i];
          return Array.from({ length: gold[j].length }, (_, k) => (k < p.length ? names[p[k]] ?? 'O' : 'O'));
        });
        const s = spanF1(pred, gold);
        out[t.id] = { f1: s.f1, precision: s.precision, recall: s.recall, tokenAccuracy: tokenAccuracy(pred, gold) };
        tagSeqs.push({ pred, gold });
      } else {
        const scale = this.data.targetScale[t.id] ?? { mean: 0, std: 1 };
        const gold = (this.split.labels[t.id] as { values: Float32Array }).values;
        const p = seen.map((i) => (store as Float32Array)[i] * scale.std + scale.mean);
        const g = seen.map((i) => gold[i] * scale.std + scale.mean);
        out[t.id] = { rmse: rmse(p, g), mae: mae(p, g) };
      }
    }
    // SLU overall accuracy: the intent right and every tag of every tagging task right.
    if (nClassification === 1 && intent && tagSeqs.length > 0 && this.data.kind === 'text') {
      const cat = (k: 'pred' | 'gold') => intent!.pred.map((_, j) => tagSeqs.flatMap((s) => s[k][j]));
      out._overall = { accuracy: overallAccuracy(intent.pred, intent.gold, cat('pred'), cat('gold')) };
    }
    return out;
  }

  private seenIndices(): number[] {
    const first = this.model.tasks[0];
    const store = this.preds.get(first.id)!;
    const r: number[] = [];
    for (let i = 0; i < this.split.size; i++) {
      const v = (store as ArrayLike<unknown>)[i];
      if (first.kind === 'regression' ? !Number.isNaN(v as number) : v !== null) r.push(i);
    }
    return r;
  }
}

function labelName(names: string[], id: number): string | null {
  return id >= 0 && id < names.length ? names[id] : null;
}

/**
 * Averages readouts over batches. Task losses are weighted by the batch's labelled items of that task
 * (examples, or real tokens for tagging) — the loss of a batch is the mean over exactly those — so a
 * split's loss is the mean over all its labelled items whatever the batching. The total, the
 * convergence terms and the deltas (per-example quantities) are weighted by batch size.
 */
export class ReadoutMeans {
  private n = 0;
  private total = 0;
  private losses: number[] = [];
  private lossN: number[] = [];
  private conv: number[] = [];
  private deltas: number[][] = [];

  /** `labelled[i]` = labelled items of task i in the batch (default: `size` for every task). */
  add(r: Readout, size: number, labelled?: readonly number[]): void {
    if (this.n === 0) {
      this.losses = r.losses.map(() => 0); this.lossN = r.losses.map(() => 0); this.conv = r.convergence.map(() => 0);
      this.deltas = r.deltas.map((d) => d.map(() => 0));
    }
    this.n += size;
    this.total += r.total * size;
    r.losses.forEach((v, i) => {
      const w = labelled ? labelled[i] : size;
      if (w > 0) { this.losses[i] += v * w; this.lossN[i] += w; }
    });
    r.convergence.forEach((v, i) => { this.conv[i] += v * size; });
    r.deltas.forEach((d, i) => d.forEach((v, k) => { this.deltas[i][k] += v * size; }));
  }

  /** Means keyed by task id. */
  means(model: FeedbackModel): { total: number; losses: Record<string, number>; convergence: Record<string, number>; deltas: Record<string, number[]> } {
    const n = Math.max(this.n, 1);
    const byTask = <T>(f: (i: number) => T): Record<string, T> => Object.fromEntries(model.tasks.map((t, i) => [t.id, f(i)]));
    return {
      total: this.total / n,
      losses: byTask((i) => (this.lossN[i] ? this.losses[i] / this.lossN[i] : 0)),
      convergence: byTask((i) => (this.conv[i] ?? 0) / n),
      deltas: byTask((i) => (this.deltas[i] ?? []).map((v) => v / n)),
    };
  }
}

/** Labelled items per task (model.tasks order) of a batch: class ids >= 0, tag ids >= 0, non-NaN reals. */
export function labelledCounts(model: FeedbackModel, batch: Batch): number[] {
  return model.tasks.map((t) => {
    const v = batch.targets[t.id];
    let n = 0;
    if (v instanceof Float32Array) { for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) n++; }
    else if (v) { for (let i = 0; i < v.length; i++) if (v[i] >= 0) n++; }
    return n;
  });
}

/** Current gate preferences of the model's Gumbel arrows (one small read). */
export function gateSummary(model: FeedbackModel): EvalResult['gates'] {
  const gumbel = model.arrows.filter((a) => a.gumbel);
  if (!gumbel.length) return {};
  const probs = tf.tidy(() => {
    const p = model.gateProbs();
    return gumbel.map((a) => p[a.id].arraySync() as number[]);
  });
  const out: EvalResult['gates'] = {};
  gumbel.forEach((a, i) => {
    const p = probs[i];
    let best = 0;
    for (let l = 1; l < p.length; l++) if (p[l] > p[best]) best = l;
    out[a.id] = { blocks: [...a.injection.candidates], probs: p, block: a.injection.candidates[best], prob: p[best] };
  });
  return out;
}

/**
 * Evaluates `model` on a split in eval mode. `exp` defaults to the experiment the model was built
 * from (so both `evaluate(model, data, 'valid')` and `evaluate(model, data, exp, 'valid')` work).
 */
export function evaluate(model: FeedbackModel, data: PreparedData, expOrSplit: Experiment | SplitName, maybeSplit?: SplitName): EvalResult {
  const exp = typeof expOrSplit === 'string' ? model.exp : expOrSplit;
  const split = typeof expOrSplit === 'string' ? expOrSplit : maybeSplit ?? 'valid';
  const enc = data[split];
  if (!enc) throw new Error(`the data has no '${split}' split`);
  return evaluateSplit(model, data, exp, enc, split);
}

/** Evaluates `model` on an encoded split (a whole split or a `subsetSplit` of one) in eval mode. */
export function evaluateSplit(model: FeedbackModel, data: PreparedData, exp: Experiment, enc: EncodedSplit, split: SplitName): EvalResult {
  const batches = makeBatches(enc, data, exp, { batchSize: exp.training.batchSize, shuffle: false, bucket: true, seed: exp.training.seed });
  const collector = new PredictionCollector(model, data, enc);
  const means = new ReadoutMeans();
  for (const b of batches) {
    const packed = tf.tidy(() => {
      const res = model.forward(b, { training: false });
      return packReadout(model, objective(model, res, b), res);
    });
    const r = unpackReadout(model, packed.dataSync() as Float32Array, b);
    packed.dispose();
    collector.add(b, r.predictions);
    means.add(r, b.size, labelledCounts(model, b));
  }
  return { split, metrics: enc.size ? collector.metrics() : {}, ...means.means(model), gates: gateSummary(model), examples: enc.size };
}

/** At most this many training examples are scored in eval mode at the end of each epoch. */
export const TRAIN_EVAL_EXAMPLES = 2000;

/**
 * The fixed training examples scored at every epoch end: all of them up to `limit`, else a seeded
 * random `limit` of them (the same every epoch, so the curve follows the model, not the sample).
 * Returned in ascending order.
 */
export function trainEvalIndices(size: number, seed: number, limit = TRAIN_EVAL_EXAMPLES): number[] {
  const all = [...Array(size).keys()];
  if (size <= limit) return all;
  new Rng(seed).fork('train-eval').shuffle(all);
  return all.slice(0, limit).sort((a, b) => a - b);
}

/** A split holding only the examples `indices` (in that order); arrays are shared, not copied. */
export function subsetSplit(split: EncodedSplit, indices: readonly number[], name = split.name): EncodedSplit {
  const pick = <T>(a: ArrayLike<T>): T[] => indices.map((i) => a[i]);
  const labels: EncodedSplit['labels'] = {};
  for (const [id, col] of Object.entries(split.labels)) {
    labels[id] = col.kind === 'class' ? { kind: 'class', values: Int32Array.from(indices, (i) => col.values[i]) }
      : col.kind === 'real' ? { kind: 'real', values: Float32Array.from(indices, (i) => col.values[i]) }
      : { kind: 'tags', values: pick(col.values) };
  }
  const rawLabels: EncodedSplit['rawLabels'] = {};
  for (const [id, raw] of Object.entries(split.rawLabels)) rawLabels[id] = pick(raw as unknown[]) as EncodedSplit['rawLabels'][string];
  return {
    name, size: indices.length, labels, rawLabels,
    ...(split.tokens ? { tokens: pick(split.tokens) } : {}),
    ...(split.words ? { words: pick(split.words) } : {}),
    ...(split.features ? { features: pick(split.features) } : {}),
  };
}

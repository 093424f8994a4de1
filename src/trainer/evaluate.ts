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
import { scoreColumns, type ScoredColumn } from '../shared/predictions/score';
import type { TaskMetrics } from '../shared/trainerProtocol';
import { makeBatches } from '../data/batches';
import type { Batch, EncodedSplit, PreparedData } from '../data/types';
import type { FeedbackModel } from './model/feedbackModel';
import { objective } from './model/objective';
import { packIterations, packReadout, unpackIterations, unpackReadout, type IterationAnswers, type Readout } from './model/readout';
import { Rng } from '../shared/rng';
import { dict, plain } from '../shared/dict';

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
  /** With `{ iterations: true }`: every example's answers of every pass y^0..y^K. */
  answers?: SplitAnswers;
}

export interface EvalOptions {
  /** Keep every example's decoded answers of every pass (one more small device read per batch). */
  iterations?: boolean;
}

/** Per task id: the decoded answer of every pass for every example, [example][k] (see `IterationAnswers`). */
export type SplitAnswers = Record<string, { labels: Float32Array[][]; probs: Float32Array[][] | null; nll?: Float32Array[][] | null }>;

/**
 * Accumulates batch predictions of one split and computes the metric table; with `iterations`, also
 * keeps every example's answers of every pass (for the predictions file).
 */
export class PredictionCollector {
  private readonly preds = new Map<string, (Int32Array | number | null)[] | Float32Array>();
  /** Language-model task id -> per example, -ln p(next word) per token (pass K). */
  private readonly nll = new Map<string, (Float32Array | null)[]>();
  readonly answers: SplitAnswers | undefined;

  constructor(private readonly model: FeedbackModel, private readonly data: PreparedData, private readonly split: EncodedSplit, iterations = false) {
    for (const t of model.tasks) {
      this.preds.set(t.id, t.kind === 'regression' ? new Float32Array(split.size).fill(NaN) : new Array(split.size).fill(null));
      if (t.head.tokenNll) this.nll.set(t.id, new Array(split.size).fill(null));
    }
    if (iterations) this.answers = emptyAnswers(model, split.size);
  }

  /**
   * Records a batch's predictions (from `Readout.predictions`), a language model's per-token
   * -ln p(next word) (`Readout.tokenNll`) and, if kept, its answers of every pass.
   */
  add(batch: Batch, predictions: Record<string, Float32Array>, iterations?: Record<string, IterationAnswers>, tokenNll?: Record<string, Float32Array>): void {
    for (const t of this.model.tasks) {
      const p = predictions[t.id];
      const store = this.preds.get(t.id)!;
      const nllStore = this.nll.get(t.id);
      if (nllStore) {
        const v = tokenNll?.[t.id];
        if (!v) throw new Error(`no token log-likelihoods for language model '${t.id}'`);
        for (let b = 0; b < batch.size; b++) {
          const len = batch.lengths ? batch.lengths[b] : batch.seqLen;
          nllStore[batch.indices[b]] = v.slice(b * batch.seqLen, b * batch.seqLen + len);
        }
      }
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
    if (this.answers && iterations) keepAnswers(this.answers, this.model, batch, iterations);
  }

  /** Metrics over the examples seen so far (examples never predicted are left out). */
  metrics(): TaskMetrics {
    const seen = this.seenIndices();
    const columns: ScoredColumn[] = this.model.tasks.map((t) => {
      const names = this.data.labelNames[t.id] ?? [];
      const store = this.preds.get(t.id)!;
      if (t.kind === 'classification') {
        const rawGold = this.split.rawLabels[t.id] as (string | null)[] | undefined;
        const gold = seen.map((i) => rawGold ? rawGold[i] ?? null : labelName(names, (this.split.labels[t.id] as { values: Int32Array }).values[i]));
        const pred = seen.map((i) => names[(store as number[])[i]] ?? '');
        return { id: t.id, kind: t.kind, pred, gold, classes: names.length };
      }
      if (t.kind === 'tagging') {
        const gold = seen.map((i) => goldTags(this.split, t.id, names, i));
        // Tokens cut off by maxLength were never predicted: they count as 'O'.
        const pred = seen.map((i, j) => {
          const p = (store as Int32Array[])[i];
          return Array.from({ length: gold[j].length }, (_, k) => (k < p.length ? names[p[k]] ?? 'O' : 'O'));
        });
        return { id: t.id, kind: t.kind, pred, gold };
      }
      if (t.kind === 'language-model') {
        const targets = this.split.labels[t.id] as { values: Int32Array[] };
        const nll = this.nll.get(t.id)!;
        return {
          id: t.id, kind: t.kind,
          gold: seen.map((i) => [...targets.values[i]].map((c) => names[c] ?? '<unk>')),
          pred: seen.map((i) => [...(store as Int32Array[])[i]].map((c) => names[c] ?? '')),
          nll: seen.map((i) => Array.from(nll[i] ?? [])),
        };
      }
      const scale = this.data.targetScale[t.id] ?? { mean: 0, std: 1 };
      const gold = (this.split.labels[t.id] as { values: Float32Array }).values;
      return {
        id: t.id, kind: t.kind,
        pred: seen.map((i) => (store as Float32Array)[i] * scale.std + scale.mean),
        gold: seen.map((i) => gold[i] * scale.std + scale.mean),
      };
    });
    return scoreColumns(columns, this.data.kind === 'text');
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

/** Room for every example's answers of every pass, per task. */
function emptyAnswers(model: FeedbackModel, size: number): SplitAnswers {
  return Object.fromEntries(model.tasks.map((t) => [t.id, { labels: new Array(size), probs: t.head.probabilities ? new Array(size) : null, nll: t.head.tokenNll ? new Array(size) : null }]));
}

/** Stores a batch's answers of every pass per example (by `batch.indices`), cut to each example's tokens. */
function keepAnswers(into: SplitAnswers, model: FeedbackModel, batch: Batch, iterations: Record<string, IterationAnswers>): void {
  for (const t of model.tasks) {
    const its = iterations[t.id];
    const keep = into[t.id];
    for (let b = 0; b < batch.size; b++) {
      const ix = batch.indices[b];
      const [from, to] = t.level === 'token' ? [b * batch.seqLen, b * batch.seqLen + (batch.lengths ? batch.lengths[b] : batch.seqLen)] : [b, b + 1];
      keep.labels[ix] = its.labels.map((a) => a.slice(from, to));
      if (keep.probs && its.probs) keep.probs[ix] = its.probs.map((a) => a.slice(from, to));
      if (keep.nll && its.nll) keep.nll[ix] = its.nll.map((a) => a.slice(from, to));
    }
  }
}

/**
 * Every example's answers of every pass, for a split without labels (new inputs): the same batches
 * and the same forward pass as `evaluateSplit`, without the objective.
 */
export function answerSplit(model: FeedbackModel, data: Pick<PreparedData, 'featureDim' | 'charVocab'>, exp: Experiment, enc: EncodedSplit): SplitAnswers {
  const out = emptyAnswers(model, enc.size);
  for (const b of evalBatches(enc, data, exp)) {
    const packed = tf.tidy(() => packIterations(model, model.forward(b, { training: false }), b));
    const v = packed.dataSync() as Float32Array;
    packed.dispose();
    keepAnswers(out, model, b, unpackIterations(model, v, b));
  }
  return out;
}

/** Gold tags of example `i` of a tagging task: the raw strings when kept, else the names of the ids ('O' for unknown). */
export function goldTags(split: EncodedSplit, taskId: string, names: readonly string[], i: number): string[] {
  const rawGold = split.rawLabels[taskId] as string[][] | undefined;
  return rawGold ? rawGold[i] : [...(split.labels[taskId] as { values: Int32Array[] }).values[i]].map((c) => labelName(names, c) ?? 'O');
}

function labelName(names: readonly string[], id: number): string | null {
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
  const out: EvalResult['gates'] = dict();
  gumbel.forEach((a, i) => {
    const p = probs[i];
    let best = 0;
    for (let l = 1; l < p.length; l++) if (p[l] > p[best]) best = l;
    out[a.id] = { blocks: [...a.injection.candidates], probs: p, block: a.injection.candidates[best], prob: p[best] };
  });
  return plain(out);
}

/**
 * Evaluates `model` on a split in eval mode. `exp` defaults to the experiment the model was built
 * from (so both `evaluate(model, data, 'valid')` and `evaluate(model, data, exp, 'valid')` work).
 */
export function evaluate(model: FeedbackModel, data: PreparedData, expOrSplit: Experiment | SplitName, maybeSplit?: SplitName, opts: EvalOptions = {}): EvalResult {
  const exp = typeof expOrSplit === 'string' ? model.exp : expOrSplit;
  const split = typeof expOrSplit === 'string' ? expOrSplit : maybeSplit ?? 'valid';
  const enc = data[split];
  if (!enc) throw new Error(`the data has no '${split}' split`);
  return evaluateSplit(model, data, exp, enc, split, opts);
}

/** Evaluates `model` on an encoded split (a whole split or a `subsetSplit` of one) in eval mode. */
export function evaluateSplit(model: FeedbackModel, data: PreparedData, exp: Experiment, enc: EncodedSplit, split: SplitName, opts: EvalOptions = {}): EvalResult {
  const batches = evalBatches(enc, data, exp);
  const collector = new PredictionCollector(model, data, enc, opts.iterations);
  const means = new ReadoutMeans();
  for (const b of batches) {
    const { packed, its } = tf.tidy(() => {
      const res = model.forward(b, { training: false });
      return { packed: packReadout(model, objective(model, res, b), res), ...(opts.iterations ? { its: packIterations(model, res, b) } : {}) };
    }) as { packed: tf.Tensor1D; its?: tf.Tensor1D };
    const r = unpackReadout(model, packed.dataSync() as Float32Array, b);
    packed.dispose();
    let answers: Record<string, IterationAnswers> | undefined;
    if (its) { answers = unpackIterations(model, its.dataSync() as Float32Array, b); its.dispose(); }
    collector.add(b, r.predictions, answers, r.tokenNll);
    means.add(r, b.size, labelledCounts(model, b));
  }
  return {
    split, metrics: enc.size ? collector.metrics() : {}, ...means.means(model), gates: gateSummary(model), examples: enc.size,
    ...(collector.answers ? { answers: collector.answers } : {}),
  };
}

/**
 * The batches evaluation runs a split in (length-bucketed, in a fixed order). `fmtl predict` batches
 * its inputs the same way, so the same inputs give the same bits as here.
 */
export function evalBatches(enc: EncodedSplit, data: Pick<PreparedData, 'featureDim' | 'charVocab'>, exp: Experiment): Batch[] {
  return makeBatches(enc, data, exp, { batchSize: exp.training.batchSize, shuffle: false, bucket: true, seed: exp.training.seed });
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
  const labels: EncodedSplit['labels'] = dict();
  for (const [id, col] of Object.entries(split.labels)) {
    labels[id] = col.kind === 'class' ? { kind: 'class', values: Int32Array.from(indices, (i) => col.values[i]) }
      : col.kind === 'real' ? { kind: 'real', values: Float32Array.from(indices, (i) => col.values[i]) }
      : { kind: 'tags', values: pick(col.values) };
  }
  const rawLabels: EncodedSplit['rawLabels'] = dict();
  for (const [id, raw] of Object.entries(split.rawLabels)) rawLabels[id] = pick(raw as unknown[]) as EncodedSplit['rawLabels'][string];
  return {
    name, size: indices.length, labels, rawLabels,
    ...(split.tokens ? { tokens: pick(split.tokens) } : {}),
    ...(split.words ? { words: pick(split.words) } : {}),
    ...(split.features ? { features: pick(split.features) } : {}),
    ...(split.rows ? { rows: pick(split.rows) } : {}),
    ...(split.lines ? { lines: pick(split.lines) } : {}),
  };
}

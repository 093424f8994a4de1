/**
 * Batching: plain typed arrays, no tensors (the model turns a batch into tensors inside its step).
 * Built once per epoch: pass a different `seed` each epoch for a new order.
 *
 * Length bucketing (text): examples are shuffled, cut into chunks of ~50 batches, each chunk is
 * sorted by length and cut into batches, then the order of all batches is shuffled. Each batch is
 * padded only to its own longest sentence, so padding stays small while batches still mix across
 * the whole split from epoch to epoch.
 */
import { textOptions, type Experiment } from '../shared/experimentTypes';
import { charFeatures } from '../shared/experiment';
import { Rng } from '../shared/rng';
import { PAD_ID, type Batch, type BatchOptions, type EncodedSplit, type PreparedData } from './types';
import { encodeChars } from './vocab';

/** Batches per bucketing chunk. */
export const BUCKET_CHUNK_BATCHES = 50;

/** Example order, grouped into batches of indices. */
export function batchOrder(split: EncodedSplit, opts: BatchOptions): number[][] {
  const n = split.size;
  const bs = Math.max(1, Math.floor(opts.batchSize));
  const rng = new Rng(opts.seed).fork('batches');
  const order = [...Array(n).keys()];
  if (opts.shuffle) rng.shuffle(order);
  const bucket = (opts.bucket ?? opts.shuffle) && split.tokens !== undefined;
  const groups: number[][] = [];
  if (bucket) {
    const len = split.tokens!.map((t) => t.length);
    const chunk = bs * BUCKET_CHUNK_BATCHES;
    for (let c = 0; c < n; c += chunk) {
      // Stable sort by length: ties keep the (shuffled) order.
      const part = order.slice(c, c + chunk).sort((a, b) => len[a] - len[b]);
      for (let b = 0; b < part.length; b += bs) groups.push(part.slice(b, b + bs));
    }
    if (opts.shuffle) rng.shuffle(groups);
  } else {
    for (let b = 0; b < n; b += bs) groups.push(order.slice(b, b + bs));
  }
  return groups;
}

/**
 * Batches of a split. Text: `tokens` [size·seqLen] PAD-padded to the batch's longest sentence, real
 * `lengths`; tag targets [size·seqLen] with -1 on padding. Tabular: `features` [size·featureDim].
 * Class targets [size] (-1 = unknown/missing), real targets [size] (NaN = missing).
 */
export function makeBatches(split: EncodedSplit, data: Pick<PreparedData, 'featureDim' | 'charVocab'>, exp: Experiment, opts: BatchOptions): Batch[] {
  return batchOrder(split, opts).map((idx) => buildBatch(split, data, exp, idx));
}

function buildBatch(split: EncodedSplit, data: Pick<PreparedData, 'featureDim' | 'charVocab'>, exp: Experiment, idx: number[]): Batch {
  const size = idx.length;
  const indices = Int32Array.from(idx);
  const batch: Batch = { size, indices, seqLen: 0, featureDim: 0, targets: {} };
  if (split.tokens) {
    let seqLen = 0;
    const lengths = new Int32Array(size);
    for (let i = 0; i < size; i++) { lengths[i] = split.tokens[idx[i]].length; if (lengths[i] > seqLen) seqLen = lengths[i]; }
    const tokens = new Int32Array(size * seqLen);
    if (PAD_ID !== 0) tokens.fill(PAD_ID);
    for (let i = 0; i < size; i++) tokens.set(split.tokens[idx[i]], i * seqLen);
    batch.tokens = tokens;
    batch.lengths = lengths;
    batch.seqLen = seqLen;
    const chars = charFeatures(exp);
    if (chars && data.charVocab && split.words) addChars(batch, split.words, idx, data.charVocab, lowercaseOf(exp), chars.maxWordLength);
  }
  if (split.features) {
    const d = data.featureDim;
    const features = new Float32Array(size * d);
    for (let i = 0; i < size; i++) features.set(split.features[idx[i]], i * d);
    batch.features = features;
    batch.featureDim = d;
  }
  for (const task of exp.tasks) {
    const col = split.labels[task.id];
    if (!col) throw new Error(`split '${split.name}' has no labels for task '${task.id}'`);
    switch (col.kind) {
      case 'class': batch.targets[task.id] = Int32Array.from(idx, (i) => col.values[i]); break;
      case 'real': batch.targets[task.id] = Float32Array.from(idx, (i) => col.values[i]); break;
      case 'tags': {
        const t = new Int32Array(size * batch.seqLen).fill(-1);
        for (let i = 0; i < size; i++) t.set(col.values[idx[i]], i * batch.seqLen);
        batch.targets[task.id] = t;
        break;
      }
    }
  }
  return batch;
}

function lowercaseOf(exp: Experiment): boolean {
  return textOptions(exp.data).lowercase;
}

/** Character ids of every token slot of a text batch (see `Batch.chars`). */
function addChars(batch: Batch, words: readonly (readonly string[])[], idx: readonly number[], vocab: PreparedData['charVocab'] & object, lowercase: boolean, maxWordLength: number): void {
  const { size, seqLen } = batch;
  const ids: Int32Array[] = [];
  const charLengths = new Int32Array(size * seqLen);
  let wordLen = 1;
  for (let i = 0; i < size; i++) {
    const ws = words[idx[i]];
    const n = batch.lengths![i];
    for (let t = 0; t < n; t++) {
      const c = encodeChars(ws[t], vocab, lowercase, maxWordLength);
      ids.push(c);
      charLengths[i * seqLen + t] = c.length;
      if (c.length > wordLen) wordLen = c.length;
    }
  }
  const chars = new Int32Array(size * seqLen * wordLen);
  if (PAD_ID !== 0) chars.fill(PAD_ID);
  let k = 0;
  for (let i = 0; i < size; i++) {
    for (let t = 0; t < batch.lengths![i]; t++) chars.set(ids[k++], (i * seqLen + t) * wordLen);
  }
  batch.chars = chars;
  batch.charLengths = charLengths;
  batch.wordLen = wordLen;
}

/** Padding share of a batch list: padded token slots / all token slots (text). */
export function paddingFraction(batches: readonly Batch[]): number {
  let slots = 0, real = 0;
  for (const b of batches) {
    slots += b.size * b.seqLen;
    if (b.lengths) for (const l of b.lengths) real += l;
  }
  return slots ? 1 - real / slots : 0;
}

/**
 * Tiny synthetic data for the model and training-loop tests: plain typed arrays in the data layer's
 * shapes (`PreparedData`, `Batch`), learnable in a few dozen steps.
 */
import type { Experiment, TaskSpec, FeedbackSpec } from '../../src/shared/experimentTypes';
import type { Batch, EncodedSplit, PreparedData } from '../../src/data/types';
import { buildCharVocab } from '../../src/data/vocab';
import { Rng } from '../../src/shared/rng';

/** Tabular: 4 features; `cls` = which of 3 regions x0+x1 falls in, `bin` = sign of x2, `reg` = x0 - 2 x3 (+ noise). */
export function tabularData(n = 96, seed = 1): PreparedData {
  const rng = new Rng(seed);
  const mk = (name: string, size: number): EncodedSplit => {
    const features: Float32Array[] = [];
    const cls = new Int32Array(size), bin = new Int32Array(size), reg = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const x = new Float32Array(4).map(() => rng.normal());
      features.push(x);
      const s = x[0] + x[1];
      cls[i] = s < -0.5 ? 0 : s < 0.5 ? 1 : 2;
      bin[i] = x[2] > 0 ? 1 : 0;
      reg[i] = x[0] - 2 * x[3] + 0.1 * rng.normal();
    }
    // One missing label per task to exercise the masking.
    cls[size - 1] = -1; reg[size - 2] = NaN;
    return {
      name, size, features,
      labels: { cls: { kind: 'class', values: cls }, bin: { kind: 'class', values: bin }, reg: { kind: 'real', values: reg } },
      rawLabels: {
        cls: [...cls].map((c) => (c < 0 ? null : ['lo', 'mid', 'hi'][c])),
        bin: [...bin].map((c) => ['neg', 'pos'][c]),
        reg: [...reg].map((v) => (Number.isNaN(v) ? null : String(v * 2 + 10))),
      },
    };
  };
  return {
    kind: 'tabular', featureDim: 4,
    labelNames: { cls: ['lo', 'mid', 'hi'], bin: ['neg', 'pos'], reg: [] },
    targetScale: { reg: { mean: 10, std: 2 } },
    train: mk('train', n), valid: mk('valid', Math.max(8, n >> 2)),
  };
}

const TAGS = ['O', 'B-num', 'I-num'];

/**
 * Text: vocab <pad>,<unk>,w2..w19; tokens >= 12 are "numbers" (B-num, I-num if the previous was
 * one too); `intent` = 1 if the sentence holds a number, else 0. Lengths 3..8.
 */
export function textData(n = 64, seed = 2): PreparedData {
  const rng = new Rng(seed);
  const tokensList = ['<pad>', '<unk>', ...Array.from({ length: 18 }, (_, i) => `w${i + 2}`)];
  const mk = (name: string, size: number): EncodedSplit => {
    const tokens: Int32Array[] = [], tags: Int32Array[] = [];
    const intent = new Int32Array(size);
    const words: string[][] = [], rawTags: string[][] = [], rawIntent: string[] = [];
    for (let i = 0; i < size; i++) {
      const len = 3 + rng.int(6);
      const t = new Int32Array(len).map(() => 2 + rng.int(18));
      const g = new Int32Array(len);
      for (let j = 0; j < len; j++) g[j] = t[j] >= 12 ? (j > 0 && t[j - 1] >= 12 ? 2 : 1) : 0;
      tokens.push(t); tags.push(g);
      intent[i] = g.some((x) => x > 0) ? 1 : 0;
      words.push([...t].map((x) => tokensList[x]));
      rawTags.push([...g].map((x) => TAGS[x]));
      rawIntent.push(['none', 'has_num'][intent[i]]);
    }
    return {
      name, size, tokens, words,
      labels: { intent: { kind: 'class', values: intent }, slots: { kind: 'tags', values: tags } },
      rawLabels: { intent: rawIntent, slots: rawTags },
    };
  };
  const train = mk('train', n);
  return {
    kind: 'text', featureDim: 0, maxLength: 64,
    vocab: { tokens: tokensList, index: new Map(tokensList.map((w, i) => [w, i])) },
    charVocab: buildCharVocab(train.words!, true),
    labelNames: { intent: ['none', 'has_num'], slots: TAGS },
    targetScale: {},
    train, valid: mk('valid', Math.max(8, n >> 2)),
  };
}

/** A batch of the given examples, padded to the longest (what the data layer's makeBatches returns). */
export function makeBatch(split: EncodedSplit, indices: number[], data: PreparedData): Batch {
  const B = indices.length;
  const targets: Batch['targets'] = {};
  if (data.kind === 'tabular') {
    const F = data.featureDim;
    const features = new Float32Array(B * F);
    indices.forEach((ix, b) => features.set(split.features![ix], b * F));
    for (const [id, col] of Object.entries(split.labels)) {
      if (col.kind === 'class') targets[id] = Int32Array.from(indices, (ix) => col.values[ix]);
      else if (col.kind === 'real') targets[id] = Float32Array.from(indices, (ix) => col.values[ix]);
    }
    return { size: B, indices: Int32Array.from(indices), seqLen: 0, features, featureDim: F, targets };
  }
  const T = Math.max(...indices.map((ix) => split.tokens![ix].length));
  const tokens = new Int32Array(B * T);
  const lengths = Int32Array.from(indices, (ix) => split.tokens![ix].length);
  indices.forEach((ix, b) => tokens.set(split.tokens![ix], b * T));
  for (const [id, col] of Object.entries(split.labels)) {
    if (col.kind === 'class') targets[id] = Int32Array.from(indices, (ix) => col.values[ix]);
    else if (col.kind === 'tags') {
      const a = new Int32Array(B * T).fill(-1);
      indices.forEach((ix, b) => a.set(col.values[ix], b * T));
      targets[id] = a;
    }
  }
  return { size: B, indices: Int32Array.from(indices), tokens, seqLen: T, lengths, featureDim: 0, targets };
}

/** All batches of a split in order. */
export function batchesOf(split: EncodedSplit, data: PreparedData, batchSize: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < split.size; i += batchSize) {
    out.push(makeBatch(split, Array.from({ length: Math.min(batchSize, split.size - i) }, (_, j) => i + j), data));
  }
  return out;
}

const base = {
  convergence: { beta: 0.5, lambda: 0.5, startK: 1 as const, dropoutMasks: 'shared' as const },
  gumbel: { tau0: 1, tauMin: 0.3, anneal: 'exp' as const, hard: false },
  lossWeighting: { type: 'fixed' as const },
};

/** A tabular experiment: mlp encoder, tasks cls/bin/reg with two dense blocks each, arrows as given. */
export function tabularExperiment(feedback: FeedbackSpec[] = [], over: Partial<Experiment> = {}): Experiment {
  const tasks: TaskSpec[] = ['cls', 'bin', 'reg'].map((id) => ({
    id, kind: id === 'reg' ? 'regression' : 'classification', label: id, lossWeight: 1,
    blocks: [{ type: 'dense', units: 8, activation: 'relu', dropout: 0 }, { type: 'dense', units: 8, activation: 'tanh', dropout: 0 }],
  }));
  return {
    name: 'tab', data: { format: 'csv', path: 'x.csv', features: ['a', 'b', 'c', 'd'] },
    encoder: { type: 'mlp', hidden: [16], activation: 'relu', dropout: 0 },
    tasks, feedback, iterations: 2, ...base,
    training: { epochs: 2, batchSize: 16, optimizer: 'adam', learningRate: 0.01, seed: 3, logEvery: 2 },
    ...over,
  };
}

/** A text experiment: bigru encoder, intent (dense block) and slots (given blocks), arrows as given. */
export function textExperiment(feedback: FeedbackSpec[] = [], slotBlocks: TaskSpec['blocks'] = [{ type: 'dense', units: 8, activation: 'relu', dropout: 0 }]): Experiment {
  return {
    name: 'txt', data: { format: 'slu', path: 'x' },
    encoder: { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0 },
    tasks: [
      { id: 'intent', kind: 'classification', label: 'label', lossWeight: 1, blocks: [{ type: 'dense', units: 8, activation: 'relu', dropout: 0 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0 }] },
      { id: 'slots', kind: 'tagging', label: 'seq.out', lossWeight: 1, blocks: slotBlocks },
    ],
    feedback, iterations: 2, ...base,
    training: { epochs: 2, batchSize: 16, optimizer: 'adam', learningRate: 0.02, seed: 3, logEvery: 2 },
  };
}

/** A feedback arrow with sensible defaults. */
export function arrow(id: string, from: string, to: string, over: Partial<FeedbackSpec> = {}): FeedbackSpec {
  return { id, from, to, amplifier: { type: 'linear', units: 4 }, injection: 1, combine: 'concat', enabled: true, ...over };
}

/**
 * How raw inputs become model inputs and model outputs become answers, as a plain JSON document:
 * the vocabulary (text), the feature scaling (CSV), the label maps and the regression target
 * scaling, all from the training split. A run writes it (`preprocessing.json`), an exported model
 * carries it, and `loadModel` encodes new sentences and rows with it exactly as training encoded
 * its splits.
 */
import { textOptions, type Experiment } from '../shared/experimentTypes';
import { DataError } from './dataError';
import type { DataShape, EncodedSplit, FeatureScaling, LabelColumn, PreparedData } from './types';
import { encodeTokens, nextWordTargets } from './vocab';

export const PREPROCESSING_VERSION = 1;

export interface Preprocessing {
  version: number;
  input: 'text' | 'tabular';
  /**
   * Text: the vocabulary (id = index; 0 = <pad>, 1 = <unk>), the character vocabulary (same
   * convention; for character features), lower-casing, and the token limit.
   */
  text?: { vocab: string[]; chars?: string[]; lowercase: boolean; maxLength: number };
  /** Tabular: the feature columns and their scaling. */
  tabular?: FeatureScaling;
  /** Task id -> class / tag names (id = index); [] for regression. */
  labels: Record<string, string[]>;
  /** Task id -> mean / std of a regression target (answers are given in original units). */
  targetScale: Record<string, { mean: number; std: number }>;
}

/** The preprocessing of prepared data. */
export function preprocessingOf(exp: Experiment, data: PreparedData): Preprocessing {
  const base = { version: PREPROCESSING_VERSION, labels: data.labelNames, targetScale: data.targetScale };
  if (data.kind === 'text') {
    const { lowercase, maxLength } = textOptions(exp.data);
    return {
      ...base, input: 'text',
      text: {
        vocab: [...(data.vocab?.tokens ?? [])], ...(data.charVocab ? { chars: [...data.charVocab.tokens] } : {}),
        lowercase, maxLength,
      },
    };
  }
  if (!data.scaling) throw new Error('tabular data without its feature scaling');
  return { ...base, input: 'tabular', tabular: data.scaling };
}

/** What building the model needs, from a preprocessing document. */
export function shapeOf(pre: Preprocessing): DataShape & Pick<PreparedData, 'targetScale'> {
  if (pre.input === 'text') {
    const vocab = (tokens: string[]) => ({ tokens, index: new Map(tokens.map((t, i) => [t, i])) });
    const chars = pre.text!.chars;
    return { kind: 'text', vocab: vocab(pre.text!.vocab), ...(chars ? { charVocab: vocab(chars) } : {}), maxLength: pre.text!.maxLength, featureDim: 0, labelNames: pre.labels, targetScale: pre.targetScale };
  }
  const t = pre.tabular!;
  const featureDim = t.numeric.length + t.categorical.reduce((n, c) => n + c.values.length, 0);
  return { kind: 'tabular', featureDim, labelNames: pre.labels, targetScale: pre.targetScale };
}

/**
 * The feature vector of one row: numeric values standardised (a missing value, NaN, becomes 0 = the
 * training mean), then one-hot blocks of the categorical columns (missing or unseen: all zeros).
 */
export function featureVector(numeric: ArrayLike<number>, categorical: readonly string[], s: FeatureScaling, index?: Map<string, number>[]): Float32Array {
  const dim = s.numeric.length + s.categorical.reduce((n, c) => n + c.values.length, 0);
  const x = new Float32Array(dim);
  s.numeric.forEach((f, j) => { const v = numeric[j]; x[j] = Number.isNaN(v) ? 0 : (v - f.mean) / f.std; });
  let o = s.numeric.length;
  s.categorical.forEach((c, k) => {
    const id = index ? index[k].get(categorical[k]) : c.values.indexOf(categorical[k]);
    if (id !== undefined && id >= 0) x[o + id] = 1;
    o += c.values.length;
  });
  return x;
}

/** One input to a saved model: a sentence (split on whitespace), its tokens, or a CSV row by column name. */
export type ModelInput = string | string[] | Record<string, string>;

/**
 * Encodes inputs as an unlabelled split (labels missing: -1 / NaN) for the model's tasks. Text is
 * split on whitespace and cut to maxLength as training data was; a row needs every feature column
 * (a missing value is written as one of the `missing` texts, or an empty cell).
 */
export function encodeInputs(pre: Preprocessing, tasks: readonly { id: string; kind: string; level: string }[], inputs: readonly ModelInput[]): EncodedSplit {
  const n = inputs.length;
  const labels: Record<string, LabelColumn> = {};
  const split: EncodedSplit = { name: 'inputs', size: n, labels, rawLabels: {} };
  if (pre.input === 'text') {
    const t = pre.text!;
    const vocab = { tokens: t.vocab, index: new Map(t.vocab.map((w, i) => [w, i])) };
    split.words = inputs.map((x, i) => {
      if (typeof x === 'string') return x.trim().split(/\s+/).filter(Boolean).slice(0, t.maxLength);
      if (Array.isArray(x)) return x.slice(0, t.maxLength);
      throw new DataError(`input ${i + 1}: this model reads text, got a row of columns`, `input ${i + 1}`);
    });
    split.words.forEach((w, i) => { if (!w.length) throw new DataError(`input ${i + 1}: an empty sentence`, `input ${i + 1}`); });
    split.tokens = split.words.map((w) => encodeTokens(w, vocab, t.lowercase));
  } else {
    const s = pre.tabular!;
    const missing = new Set(s.missing.map((m) => m.trim()));
    const index = s.categorical.map((c) => new Map(c.values.map((v, i) => [v, i])));
    split.features = inputs.map((x, i) => {
      if (typeof x === 'string' || Array.isArray(x)) throw new DataError(`input ${i + 1}: this model reads CSV rows (columns ${[...s.numeric.map((c) => c.column), ...s.categorical.map((c) => c.column)].join(', ')}), got text`, `input ${i + 1}`);
      const cell = (col: string): string => {
        const v = x[col];
        if (v === undefined) throw new DataError(`input ${i + 1}: no column '${col}'`, `input ${i + 1}`);
        return v.trim();
      };
      const numeric = s.numeric.map((f) => {
        const c = cell(f.column);
        if (missing.has(c) || c === '') return NaN;
        const v = Number(c);
        if (!Number.isFinite(v)) throw new DataError(`input ${i + 1}: column '${f.column}': '${c}' is not a number`, `input ${i + 1}`);
        return v;
      });
      return featureVector(numeric, s.categorical.map((c) => cell(c.column)), s, index);
    });
  }
  for (const task of tasks) {
    // A language model's targets are in the input itself: its next words.
    labels[task.id] = task.kind === 'regression' ? { kind: 'real', values: new Float32Array(n).fill(NaN) }
      : task.kind === 'language-model' ? { kind: 'tags', values: split.tokens!.map(nextWordTargets) }
      : task.level === 'token' ? { kind: 'tags', values: split.tokens!.map((t) => new Int32Array(t.length).fill(-1)) }
      : { kind: 'class', values: new Int32Array(n).fill(-1) };
  }
  return split;
}

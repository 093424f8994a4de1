/**
 * What the data layer hands the model: encoded splits and plain typed-array batches (no tensors, so
 * data loading is testable without a backend and batches can be built ahead of time).
 *
 * Missing or unusable labels are -1 (class / tag ids) or NaN (regression) and are masked out of
 * losses and metrics — a label seen only in valid/test maps to -1 and counts as wrong-by-definition in
 * metrics (it can never be predicted), never as a crash.
 */

/** Token ids of text data. 0 = <pad>, 1 = <unk>. */
export interface Vocab {
  readonly tokens: readonly string[];
  readonly index: ReadonlyMap<string, number>;
}

/** Standardisation of numeric columns and one-hot values of categorical columns, from the training split. */
export interface FeatureScaling {
  numeric: { column: string; mean: number; std: number }[];
  categorical: { column: string; values: string[] }[];
  /** Cell texts meaning "missing". */
  missing: string[];
}

export const PAD_ID = 0;
export const UNK_ID = 1;

export type LabelColumn =
  | { kind: 'class'; values: Int32Array }
  | { kind: 'tags'; values: Int32Array[] }
  | { kind: 'real'; values: Float32Array };

export interface EncodedSplit {
  name: string;
  size: number;
  /** Text: token ids per example (unpadded). */
  tokens?: Int32Array[];
  /** Text: original tokens per example (for reports). */
  words?: string[][];
  /** Tabular: standardised feature vector per example. */
  features?: Float32Array[];
  /** Tabular: 1-based data row of the CSV file (header not counted) and 1-based line, per example. */
  rows?: number[];
  lines?: number[];
  /** Task id -> labels for this split. */
  labels: Record<string, LabelColumn>;
  /**
   * Labels as raw strings, for metrics that must count labels unseen in training
   * (task id -> per-example class string, or tag strings per token).
   */
  rawLabels: Record<string, (string | null)[] | string[][]>;
}

/** A batch, padded to its own longest sentence (length bucketing keeps padding small). */
export interface Batch {
  size: number;
  /** Example indices into the split. */
  indices: Int32Array;
  /** Text: [size * seqLen] token ids, PAD_ID-padded. */
  tokens?: Int32Array;
  /** Text: padded length of this batch. */
  seqLen: number;
  /** Text: real length of each example. */
  lengths?: Int32Array;
  /**
   * Text with character features: [size * seqLen * wordLen] character ids per token slot
   * (PAD_ID-padded; padding tokens are all PAD_ID), row-major by example, token, character.
   */
  chars?: Int32Array;
  /** Characters of each token slot [size * seqLen] (0 for padding tokens). */
  charLengths?: Int32Array;
  /** Character slots per token in `chars` (the batch's longest word, capped). */
  wordLen?: number;
  /** Tabular: [size * featureDim]. */
  features?: Float32Array;
  featureDim: number;
  /**
   * Task id -> targets: class ids [size], tag ids [size * seqLen] (-1 on padding and unknown), or
   * reals [size] (standardised with train statistics; NaN = missing).
   */
  targets: Record<string, Int32Array | Float32Array>;
}

/** What building a model needs to know about the data (a saved model has this without any split). */
export type DataShape = Pick<PreparedData, 'kind' | 'vocab' | 'charVocab' | 'featureDim' | 'labelNames' | 'maxLength'>;

export interface PreparedData {
  kind: 'text' | 'tabular';
  vocab?: Vocab;
  /**
   * Text: the characters of the training words (`<pad>` = 0, `<unk>` = 1, as `vocab`), for the
   * encoder's character features. Words are normalised (lower-cased) as for `vocab` first.
   */
  charVocab?: Vocab;
  /** Text: the token limit (`data.maxLength`); longer sentences were cut to it. */
  maxLength?: number;
  featureDim: number;
  /** Task id -> class or tag names (index = id). Regression tasks: []. */
  labelNames: Record<string, string[]>;
  /** Task id -> mean/std used to standardise a regression target (metrics are reported in original units). */
  targetScale: Record<string, { mean: number; std: number }>;
  /** Tabular: how a CSV row becomes the feature vector (train statistics). */
  scaling?: FeatureScaling;
  train: EncodedSplit;
  valid: EncodedSplit;
  test?: EncodedSplit;
}

/** A label (class or tag) that a valid/test split holds but training never showed. */
export interface UnseenLabel {
  task: string;
  split: 'valid' | 'test';
  label: string;
  /** Examples (classes) or tokens (tags) that carry it. */
  count: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle (with `seed`) — training only. */
  shuffle: boolean;
  seed: number;
  /** Group examples of similar length into a batch (text only; default true when shuffling). */
  bucket?: boolean;
}

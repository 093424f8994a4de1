/**
 * One split of text data as read from any text format (SLU folders, JSONL with a text field, CoNLL
 * columns), before the vocabulary: words per sentence and, per label source (a task's `label`), one
 * class, one real value or one tag per word. `prepare.ts` encodes every format's splits the same way.
 */
import { DataError } from './dataError';
import { noTrainingSentencesMessage } from '../shared/dataChecks';
import { splitRows } from '../shared/seededSplit';

export interface TextSplit {
  /** Words per sentence, truncated to maxLength. */
  words: string[][];
  /** Label source -> one class per sentence (null = missing, masked). */
  sentence: Record<string, readonly (string | null)[]>;
  /** Label source -> tags per sentence (same lengths as `words`). */
  token: Record<string, string[][]>;
  /** Label source -> one real value per sentence (NaN = missing, masked). */
  real?: Record<string, number[]>;
  /** 1-based line of the file where each sentence starts (JSONL, CoNLL). */
  lines?: number[];
}

/** The train / valid / test text of an experiment. */
export interface TextSplits {
  train: TextSplit;
  valid: TextSplit;
  test?: TextSplit;
  /** The file holding a label source's training labels (for messages about them). */
  trainFile: (label: string) => string;
}

/** The sentences `idx` of a split (in that order). */
export function pickSentences(s: TextSplit, idx: readonly number[]): TextSplit {
  const pick = <T>(a: readonly T[]): T[] => idx.map((i) => a[i]);
  const map = <T>(r: Record<string, readonly T[]>): Record<string, T[]> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, pick(v)]));
  return {
    words: pick(s.words), sentence: map(s.sentence), token: map(s.token),
    ...(s.real ? { real: map(s.real) } : {}), ...(s.lines ? { lines: pick(s.lines) } : {}),
  };
}

/** The first `n` sentences. */
export function firstSentences(s: TextSplit, n: number | undefined): TextSplit {
  return n === undefined || n >= s.words.length ? s : pickSentences(s, [...Array(n).keys()]);
}

/**
 * One file's sentences split at random (seeded, as CSV rows: `splitRows`) into train / valid /
 * test; no test split when the test fraction is 0.
 */
export function splitSentences(all: TextSplit, file: string, split: { valid: number; test: number; seed: number }): Omit<TextSplits, 'trainFile'> {
  const n = all.words.length;
  const parts = splitRows(n, split.valid, split.test, split.seed);
  if (parts.train.length === 0) throw new DataError(noTrainingSentencesMessage(file, n, split.valid, split.test), file);
  return {
    train: pickSentences(all, parts.train),
    valid: pickSentences(all, parts.valid),
    test: split.test > 0 ? pickSentences(all, parts.test) : undefined,
  };
}

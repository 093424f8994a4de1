/**
 * Token vocabulary of text data, built from the training split only (valid/test words unseen in
 * training become <unk>, as they would for a deployed model).
 */
import { PAD_ID, UNK_ID, type Vocab } from './types';

export const PAD = '<pad>';
export const UNK = '<unk>';

export interface VocabOptions {
  /** Tokens seen fewer times than this in train map to <unk> (default 1: keep all). */
  minFreq?: number;
  /** Lower-case before counting and lookup (default true). */
  lowercase?: boolean;
}

/** The form a word takes for lookup. */
export function normalizeToken(word: string, lowercase: boolean): string {
  return lowercase ? word.toLowerCase() : word;
}

/**
 * Build the vocabulary: `<pad>` = 0, `<unk>` = 1, then tokens with count >= minFreq by descending
 * count, ties by code-unit string order — so the same data always gives the same ids.
 */
export function buildVocab(sentences: Iterable<readonly string[]>, opts: VocabOptions = {}): Vocab {
  const minFreq = opts.minFreq ?? 1;
  const lowercase = opts.lowercase ?? true;
  const counts = new Map<string, number>();
  for (const s of sentences) {
    for (const w of s) {
      const t = normalizeToken(w, lowercase);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }
  counts.delete(PAD);
  counts.delete(UNK);
  const kept = [...counts].filter(([, c]) => c >= minFreq);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const tokens = [PAD, UNK, ...kept.map(([t]) => t)];
  const index = new Map<string, number>();
  tokens.forEach((t, i) => index.set(t, i));
  return { tokens, index };
}

/** Token ids of a sentence; unknown words -> UNK_ID. */
export function encodeTokens(words: readonly string[], vocab: Vocab, lowercase: boolean): Int32Array {
  const ids = new Int32Array(words.length);
  for (let i = 0; i < words.length; i++) ids[i] = vocab.index.get(normalizeToken(words[i], lowercase)) ?? UNK_ID;
  return ids;
}

export { PAD_ID, UNK_ID };

/**
 * A language model's targets for one sentence's token ids: token t predicts token t + 1, the last
 * token the end of sentence (class 0, `END_OF_SENTENCE`). Words unseen in training are `<unk>` (1)
 * here as in the input: the model is scored on predicting `<unk>`, as a closed-vocabulary LM is.
 */
export function nextWordTargets(ids: Int32Array): Int32Array {
  const out = new Int32Array(ids.length);
  for (let t = 0; t + 1 < ids.length; t++) out[t] = ids[t + 1];
  return out; // the last slot stays 0: the end of sentence
}

/**
 * The character vocabulary of the training words: `<pad>` = 0, `<unk>` = 1, then every character
 * (code point) by descending count, ties by code-point order.
 */
export function buildCharVocab(sentences: Iterable<readonly string[]>, lowercase: boolean): Vocab {
  const counts = new Map<string, number>();
  for (const s of sentences) {
    for (const w of s) for (const ch of normalizeToken(w, lowercase)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  const kept = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const tokens = [PAD, UNK, ...kept.map(([t]) => t)];
  return { tokens, index: new Map(tokens.map((t, i) => [t, i])) };
}

/** Character ids of a word (code points), cut to `maxLength`; unknown characters -> UNK_ID. */
export function encodeChars(word: string, chars: Vocab, lowercase: boolean, maxLength: number): Int32Array {
  const cps = [...normalizeToken(word, lowercase)];
  const n = Math.min(cps.length, maxLength);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = chars.index.get(cps[i]) ?? UNK_ID;
  return ids;
}

/**
 * Reader for SLU folders as in `../shared/data/snips`: `<path>/<split>/seq.in` (words), and per task
 * a label file in the same folder — one label per sentence (`label`, intents) or one tag per word
 * (`seq.out`, BIO slots). Lines align across files; tokens are whitespace-separated (SNIPS's
 * `seq.in`/`seq.out` lines end with a space).
 */
import { dict } from '../shared/dict';
import * as path from 'node:path';
import { DataError } from './dataError';
import { readLines } from './dataFile';
import { settleInOrder } from './settleInOrder';
import { lineTokens, sluSplitProblems, textFacts } from '../shared/dataChecks';

/** A label file to read beside `seq.in`: sentence level (one label a line) or token level (one tag a word). */
export interface SluLabelFile {
  file: string;
  level: 'sentence' | 'token';
}

export interface SluSplitText {
  /** Words per sentence, truncated to maxLength. */
  words: string[][];
  /** Label file name -> one label per sentence. */
  sentence: Record<string, string[]>;
  /** Label file name -> tags per sentence (same lengths as `words`). */
  token: Record<string, string[][]>;
}

export interface SluReadOptions {
  /** Truncate longer sentences (and their tags) to this many tokens. */
  maxLength?: number;
  /** Keep only the first N sentences. */
  limit?: number;
  /** `train`, `valid` or `test`, for messages (default: the folder's name). */
  role?: string;
}

/**
 * Read one split folder. Checks that every file has as many lines as `seq.in`, that no sentence is
 * empty, and that each token-level line has exactly one tag per word — errors name `file:line`.
 */
export async function readSluSplit(dir: string, labelFiles: readonly SluLabelFile[], opts: SluReadOptions = {}): Promise<SluSplitText> {
  const maxLength = opts.maxLength ?? Infinity;
  const limit = opts.limit ?? Infinity;
  const inFile = path.join(dir, 'seq.in');
  const uniq = [...new Map(labelFiles.map((f) => [f.file, f])).values()];
  const [inLines, ...labelLines] = await settleInOrder([readLines(inFile), ...uniq.map((f) => readLines(path.join(dir, f.file)))]);
  // The checks validation runs (same messages), on the whole split: the first problem stops here.
  const problem = sluSplitProblems({
    role: opts.role ?? path.basename(dir),
    path: [],
    seqIn: textFacts(inFile, inLines),
    labels: uniq.map((f, k) => ({ facts: textFacts(path.join(dir, f.file), labelLines[k]), level: f.level, path: [] })),
  })[0];
  if (problem) throw new DataError(problem.message, problem.where);
  const n = Math.min(inLines.length, limit);
  const words: string[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const w = lineTokens(inLines[i]);
    words[i] = w.length > maxLength ? w.slice(0, maxLength) : w;
  }
  const out: SluSplitText = { words, sentence: dict(), token: dict() };
  uniq.forEach((f, k) => {
    const lines = labelLines[k];
    if (f.level === 'sentence') {
      out.sentence[f.file] = lines.slice(0, n).map((l) => l.trim());
    } else {
      out.token[f.file] = lines.slice(0, n).map((l) => { const t = lineTokens(l); return t.length > maxLength ? t.slice(0, maxLength) : t; });
    }
  });
  return out;
}

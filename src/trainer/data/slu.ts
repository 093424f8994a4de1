/**
 * Reader for SLU folders as in `../shared/data/snips`: `<path>/<split>/seq.in` (words), and per task
 * a label file in the same folder — one label per sentence (`label`, intents) or one tag per word
 * (`seq.out`, BIO slots). Lines align across files; tokens are whitespace-separated (SNIPS's
 * `seq.in`/`seq.out` lines end with a space).
 */
import { dict } from '../../shared/dict';
import * as path from 'node:path';
import { DataError } from './dataError';
import { readLines } from './dataFile';
import { settleInOrder } from './settleInOrder';

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
}

function tokens(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
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
  if (inLines.length === 0) throw new DataError(`${inFile}: no sentences (the file is empty)`, inFile);
  uniq.forEach((f, k) => {
    if (labelLines[k].length !== inLines.length) {
      const file = path.join(dir, f.file);
      throw new DataError(`${file} has ${labelLines[k].length} lines but ${inFile} has ${inLines.length}: every line of seq.in needs one line here`, file);
    }
  });
  const n = Math.min(inLines.length, limit);
  const words: string[][] = new Array(n);
  const wordCounts = new Int32Array(n); // before truncation, to check tag counts
  for (let i = 0; i < n; i++) {
    const w = tokens(inLines[i]);
    wordCounts[i] = w.length;
    if (w.length === 0) throw new DataError(`${inFile}:${i + 1}: empty sentence`, `${inFile}:${i + 1}`);
    words[i] = w.length > maxLength ? w.slice(0, maxLength) : w;
  }
  const out: SluSplitText = { words, sentence: dict(), token: dict() };
  uniq.forEach((f, k) => {
    const file = path.join(dir, f.file);
    const lines = labelLines[k];
    if (f.level === 'sentence') {
      const labels: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const l = lines[i].trim();
        if (l === '') throw new DataError(`${file}:${i + 1}: empty label`, `${file}:${i + 1}`);
        labels[i] = l;
      }
      out.sentence[f.file] = labels;
    } else {
      const tags: string[][] = new Array(n);
      for (let i = 0; i < n; i++) {
        const t = tokens(lines[i]);
        const nWords = wordCounts[i];
        if (t.length !== nWords) {
          throw new DataError(`${file}:${i + 1}: ${t.length} tag${t.length === 1 ? '' : 's'} for ${nWords} word${nWords === 1 ? '' : 's'} in ${inFile}:${i + 1}`, `${file}:${i + 1}`);
        }
        tags[i] = t.length > maxLength ? t.slice(0, maxLength) : t;
      }
      out.token[f.file] = tags;
    }
  });
  return out;
}

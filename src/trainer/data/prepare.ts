/**
 * From an experiment's `data` section to encoded splits (`PreparedData`): reads SLU folders or a
 * CSV file relative to the experiment file, builds the vocabulary and label maps from the training
 * split only, and encodes every split with them. Labels and tags seen only in valid/test map to -1
 * (their raw strings stay in `rawLabels`, so metrics count them as errors instead of dropping them).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { CsvDataSpec, Experiment, SluDataSpec, TaskSpec } from '../../shared/experimentTypes';
import { DataError } from './dataError';
import { encodeCsv, parseCsv } from './csv';
import { settleInOrder } from './settleInOrder';
import { readSluSplit, type SluLabelFile, type SluSplitText } from './slu';
import type { EncodedSplit, LabelColumn, PreparedData, Vocab } from './types';
import { buildCharVocab, buildVocab, encodeTokens } from './vocab';
import { dict } from '../../shared/dict';

/**
 * Read and encode the experiment's data. `baseDir` is the folder of the experiment file (data paths
 * are relative to it). Throws `DataError` (with `where` = file or file:line) on bad input.
 */
export async function prepareData(exp: Experiment, baseDir: string): Promise<PreparedData> {
  const data = exp.data;
  switch (data.format) {
    case 'slu': return prepareSlu(data, exp.tasks, baseDir);
    case 'csv': return prepareCsv(data, exp, baseDir);
    default: throw new DataError(`unknown data format '${(data as { format: string }).format}'`, 'data.format');
  }
}

function labelFileOf(task: TaskSpec): SluLabelFile {
  return { file: task.label, level: task.kind === 'tagging' ? 'token' : 'sentence' };
}

/** Sorted names (code-unit order, deterministic) of the values in train. */
function namesFrom(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function prepareSlu(data: SluDataSpec, tasks: readonly TaskSpec[], baseDir: string): Promise<PreparedData> {
  const root = path.resolve(baseDir, data.path);
  const splits = data.splits ?? { train: 'train', valid: 'valid', test: 'test' };
  const lowercase = data.lowercase ?? true;
  const maxLength = data.maxLength ?? 64;
  for (const t of tasks) {
    if (t.kind === 'regression') throw new DataError(`task '${t.id}': SLU data has no real-valued targets for regression`, `tasks`);
  }
  const files = tasks.map(labelFileOf);
  const read = (dir: string, limit?: number) => readSluSplit(path.join(root, dir), files, { maxLength, limit });
  const [train, valid, test] = await settleInOrder([
    read(splits.train, data.limitTrain),
    read(splits.valid),
    splits.test !== undefined ? read(splits.test) : Promise.resolve(undefined),
  ]);

  const vocab = buildVocab(train.words, { minFreq: data.minFreq ?? 1, lowercase });
  const charVocab = buildCharVocab(train.words, lowercase);
  const labelNames: Record<string, string[]> = dict();
  const index: Record<string, Map<string, number>> = dict();
  for (const t of tasks) {
    const names = t.kind === 'tagging' ? namesFrom(train.token[t.label].flat()) : namesFrom(train.sentence[t.label]);
    if (names.length < 2) {
      const file = path.join(root, splits.train, t.label);
      const what = t.kind === 'tagging' ? 'tag' : 'class';
      throw new DataError(`${file}: task '${t.id}' has ${names.length ? `one ${what} in the training sentences ('${names[0]}')` : `no ${what}`}; a ${t.kind === 'tagging' ? 'tagger' : 'classifier'} needs at least two`, file);
    }
    labelNames[t.id] = names;
    index[t.id] = new Map(names.map((n, i) => [n, i]));
  }
  const encode = (name: string, s: SluSplitText): EncodedSplit => encodeSluSplit(name, s, tasks, vocab, lowercase, index);
  return {
    kind: 'text',
    vocab,
    charVocab,
    featureDim: 0,
    labelNames,
    targetScale: {},
    train: encode('train', train),
    valid: encode('valid', valid),
    test: test ? encode('test', test) : undefined,
  };
}

function encodeSluSplit(name: string, s: SluSplitText, tasks: readonly TaskSpec[], vocab: Vocab, lowercase: boolean, index: Record<string, Map<string, number>>): EncodedSplit {
  const labels: Record<string, LabelColumn> = dict();
  const rawLabels: EncodedSplit['rawLabels'] = {};
  for (const t of tasks) {
    const ix = index[t.id];
    if (t.kind === 'tagging') {
      const tags = s.token[t.label];
      labels[t.id] = { kind: 'tags', values: tags.map((row) => lookupAll(row, ix)) };
      rawLabels[t.id] = tags;
    } else {
      const l = s.sentence[t.label];
      labels[t.id] = { kind: 'class', values: lookupAll(l, ix) };
      rawLabels[t.id] = l;
    }
  }
  return {
    name,
    size: s.words.length,
    tokens: s.words.map((w) => encodeTokens(w, vocab, lowercase)),
    words: s.words,
    labels,
    rawLabels,
  };
}

/** Ids of names; names not in the map -> -1. */
function lookupAll(names: readonly string[], ix: Map<string, number>): Int32Array {
  const out = new Int32Array(names.length);
  for (let i = 0; i < names.length; i++) out[i] = ix.get(names[i]) ?? -1;
  return out;
}

async function prepareCsv(data: CsvDataSpec, exp: Experiment, baseDir: string): Promise<PreparedData> {
  const file = path.resolve(baseDir, data.path);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new DataError(code === 'ENOENT' ? `CSV file not found: ${file}` : `cannot read ${file}: ${(e as Error).message}`, file);
  }
  const labels = exp.tasks.map((t) => {
    if (t.kind === 'tagging') throw new DataError(`task '${t.id}': CSV data has no tokens to tag`, 'tasks');
    return { task: t.id, column: t.label, kind: t.kind as 'classification' | 'regression' };
  });
  const split = data.split ?? { valid: 0.15, test: 0.15 };
  const enc = encodeCsv(parseCsv(text, file), file, {
    features: data.features,
    categorical: data.categorical,
    labels,
    missing: data.missing ?? ['NA', ''],
    valid: split.valid,
    test: split.test,
    seed: split.seed ?? exp.training.seed,
  });
  const toSplit = (s: typeof enc.train): EncodedSplit => {
    const cols: Record<string, LabelColumn> = dict();
    for (const l of labels) {
      cols[l.task] = l.kind === 'classification' ? { kind: 'class', values: s.classes[l.task] } : { kind: 'real', values: s.reals[l.task] };
    }
    return { name: s.name, size: s.rows.length, features: s.features, rows: s.rows.map((r) => r + 1), lines: s.lines, labels: cols, rawLabels: s.raw };
  };
  return {
    kind: 'tabular',
    featureDim: enc.featureDim,
    labelNames: enc.labelNames,
    targetScale: enc.targetScale,
    scaling: enc.scaling,
    train: toSplit(enc.train),
    valid: toSplit(enc.valid),
    test: enc.test ? toSplit(enc.test) : undefined,
  };
}

/**
 * From an experiment's `data` section to encoded splits (`PreparedData`): reads SLU folders, a CSV
 * file, JSONL or CoNLL files relative to the experiment file (every text format through one
 * `prepareText`), builds the vocabulary and label maps from the training
 * split only, and encodes every split with them. Labels and tags seen only in valid/test map to -1
 * (their raw strings stay in `rawLabels`, so metrics count them as errors instead of dropping them).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { END_OF_SENTENCE, readsLabels, textOptions, type ConllDataSpec, type CsvDataSpec, type DataSpec, type Experiment, type JsonlDataSpec, type SluDataSpec, type TaskSpec } from '../shared/experimentTypes';
import { DataError } from './dataError';
import { encodeCsv, meanStd, parseCsv, type CsvData, type CsvTable } from './csv';
import { conllFields, parseConll } from './conll';
import { readDataFile } from './dataFile';
import { jsonlTable, jsonlTableFields, jsonlText, jsonlTextFields, parseJsonl } from './jsonl';
import { resolveDataPath } from './dataPath';
import { settleInOrder } from './settleInOrder';
import { readSluSplit, type SluLabelFile } from './slu';
import { firstSentences, splitSentences, type TextSplit, type TextSplits } from './textSplit';
import type { EncodedSplit, LabelColumn, PreparedData, Vocab } from './types';
import { buildCharVocab, buildVocab, encodeTokens, nextWordTargets } from './vocab';
import { dict } from '../shared/dict';
import { fewLabelsMessage, noTargetMessage } from '../shared/dataChecks';

/**
 * Read and encode the experiment's data. `baseDir` is the folder of the experiment file (data paths
 * are relative to it). Throws `DataError` (with `where` = file or file:line) on bad input.
 */
export async function prepareData(exp: Experiment, baseDir: string): Promise<PreparedData> {
  const data = exp.data;
  switch (data.format) {
    case 'slu': return prepareText(await readSlu(data, exp.tasks, baseDir), exp.tasks, data);
    case 'csv': return prepareCsv(data, exp, baseDir);
    case 'jsonl': return data.text === undefined ? prepareJsonlTable(data, exp, baseDir) : prepareText(await readJsonlText(data, exp, baseDir), exp.tasks, data);
    case 'conll': return prepareText(await readConll(data, exp, baseDir), exp.tasks, data);
    default: throw new DataError(`unknown data format '${(data as { format: string }).format}'`, 'data.format');
  }
}

function labelFileOf(task: TaskSpec & { label: string }): SluLabelFile {
  return { file: task.label, level: task.kind === 'tagging' ? 'token' : 'sentence' };
}

/** Sorted names (code-unit order, deterministic) of the values in train. */
function namesFrom(values: Iterable<string | null>): string[] {
  return [...new Set([...values].filter((v): v is string => v !== null))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function readSlu(data: SluDataSpec, tasks: readonly TaskSpec[], baseDir: string): Promise<TextSplits> {
  const root = resolveDataPath(baseDir, data.path);
  const splits = data.splits ?? { train: 'train', valid: 'valid', test: 'test' };
  for (const t of tasks) {
    if (t.kind === 'regression') throw new DataError(`task '${t.id}': SLU data has no real-valued targets for regression`, `tasks`);
  }
  const files = tasks.filter(readsLabels).map(labelFileOf);
  const { maxLength, limitTrain } = textOptions(data);
  const read = (role: string, dir: string, limit?: number) => readSluSplit(path.join(root, dir), files, { maxLength, limit, role });
  const [train, valid, test] = await settleInOrder([
    read('train', splits.train, limitTrain),
    read('valid', splits.valid),
    splits.test !== undefined ? read('test', splits.test) : Promise.resolve(undefined),
  ]);
  return { train, valid, test, trainFile: (label) => path.join(root, splits.train, label) };
}

/**
 * The files of a JSONL or CoNLL source: one per split (`splits`, in the folder `path`), or the one
 * file `path` whose examples are split by fractions.
 */
function sourceFiles(data: JsonlDataSpec | ConllDataSpec, baseDir: string): { train: string; valid: string; test?: string } | { one: string } {
  const root = resolveDataPath(baseDir, data.path);
  if (!data.splits) return { one: root };
  const s = data.splits;
  return { train: path.join(root, s.train), valid: path.join(root, s.valid), ...(s.test !== undefined ? { test: path.join(root, s.test) } : {}) };
}

/** Read each split's file (or the one file, split by fractions) as text splits; limitTrain cuts train. */
async function readTextSource(data: JsonlDataSpec | ConllDataSpec, exp: Experiment, baseDir: string, read: (file: string) => Promise<TextSplit>): Promise<TextSplits> {
  const src = sourceFiles(data, baseDir);
  let out: TextSplits;
  if ('one' in src) {
    const split = data.split ?? { valid: 0.15, test: 0.15 };
    out = { ...splitSentences(await read(src.one), src.one, { valid: split.valid, test: split.test, seed: split.seed ?? exp.training.seed }), trainFile: () => src.one };
  } else {
    const [train, valid, test] = await settleInOrder([read(src.train), read(src.valid), src.test !== undefined ? read(src.test) : Promise.resolve(undefined)]);
    out = { train, valid, test, trainFile: () => src.train };
  }
  return { ...out, train: firstSentences(out.train, textOptions(data).limitTrain) };
}

function readJsonlText(data: JsonlDataSpec, exp: Experiment, baseDir: string): Promise<TextSplits> {
  const fields = jsonlTextFields(data, exp.tasks);
  return readTextSource(data, exp, baseDir, async (file) => jsonlText(parseJsonl(await readDataFile(file, 'JSONL file'), file), file, fields));
}

function readConll(data: ConllDataSpec, exp: Experiment, baseDir: string): Promise<TextSplits> {
  const fields = conllFields(data, exp.tasks);
  return readTextSource(data, exp, baseDir, async (file) => parseConll(await readDataFile(file, 'CoNLL file'), file, fields));
}

/**
 * Text splits of any format -> encoded data: the vocabulary, character vocabulary, class / tag
 * names and regression scaling from train only, then every split encoded with them.
 */
function prepareText(splits: TextSplits, tasks: readonly TaskSpec[], data: DataSpec): PreparedData {
  const { train, valid, test } = splits;
  const { lowercase, minFreq } = textOptions(data);
  const vocab = buildVocab(train.words, { minFreq, lowercase });
  const charVocab = buildCharVocab(train.words, lowercase);
  const labelNames: Record<string, string[]> = dict();
  const targetScale: Record<string, { mean: number; std: number }> = dict();
  const index: Record<string, Map<string, number>> = dict();
  for (const t of tasks) {
    if (!readsLabels(t)) {
      // A language model's classes are the word vocabulary; the `<pad>` slot (never a target) is the end of sentence.
      labelNames[t.id] = [END_OF_SENTENCE, ...vocab.tokens.slice(1)];
      continue;
    }
    if (t.kind === 'regression') {
      const v = train.real![t.label];
      if (!v.some((x) => !Number.isNaN(x))) {
        const file = splits.trainFile(t.label);
        throw new DataError(noTargetMessage(file, t.id, t.label, 'sentences'), file);
      }
      labelNames[t.id] = [];
      targetScale[t.id] = meanStd(v, [...v.keys()]);
      continue;
    }
    const names = t.kind === 'tagging' ? namesFrom(train.token[t.label].flat()) : namesFrom(train.sentence[t.label]);
    if (names.length < 2) {
      const file = splits.trainFile(t.label);
      throw new DataError(fewLabelsMessage(file, t.id, t.kind as 'classification' | 'tagging', names), file);
    }
    labelNames[t.id] = names;
    index[t.id] = new Map(names.map((n, i) => [n, i]));
  }
  const encode = (name: string, s: TextSplit): EncodedSplit => encodeTextSplit(name, s, tasks, vocab, lowercase, index, targetScale);
  return {
    kind: 'text',
    vocab,
    charVocab,
    maxLength: textOptions(data).maxLength,
    featureDim: 0,
    labelNames,
    targetScale,
    train: encode('train', train),
    valid: encode('valid', valid),
    test: test ? encode('test', test) : undefined,
  };
}

function encodeTextSplit(name: string, s: TextSplit, tasks: readonly TaskSpec[], vocab: Vocab, lowercase: boolean, index: Record<string, Map<string, number>>, targetScale: Record<string, { mean: number; std: number }>): EncodedSplit {
  const labels: Record<string, LabelColumn> = dict();
  const rawLabels: EncodedSplit['rawLabels'] = {};
  const tokens = s.words.map((w) => encodeTokens(w, vocab, lowercase));
  for (const t of tasks) {
    const ix = index[t.id];
    if (!readsLabels(t)) {
      // The raw labels are the targets' names: a word out of the vocabulary is the target <unk>,
      // which the model can predict (the metrics report how many targets are <unk>).
      const targets = tokens.map(nextWordTargets);
      labels[t.id] = { kind: 'tags', values: targets };
      rawLabels[t.id] = targets.map((row) => Array.from(row, (c) => (c === 0 ? END_OF_SENTENCE : vocab.tokens[c])));
    } else if (t.kind === 'tagging') {
      const tags = s.token[t.label];
      labels[t.id] = { kind: 'tags', values: tags.map((row) => lookupAll(row, ix)) };
      rawLabels[t.id] = tags;
    } else if (t.kind === 'regression') {
      const v = s.real![t.label];
      const { mean, std } = targetScale[t.id];
      labels[t.id] = { kind: 'real', values: Float32Array.from(v, (x) => (x - mean) / std) };
      rawLabels[t.id] = v.map((x) => (Number.isNaN(x) ? null : String(x)));
    } else {
      const l = s.sentence[t.label];
      labels[t.id] = { kind: 'class', values: lookupAll(l, ix) };
      rawLabels[t.id] = [...l];
    }
  }
  return {
    name,
    size: s.words.length,
    tokens,
    words: s.words,
    ...(s.lines ? { lines: s.lines } : {}),
    labels,
    rawLabels,
  };
}

/** Ids of names; names not in the map (or missing, null) -> -1. */
function lookupAll(names: readonly (string | null)[], ix: Map<string, number>): Int32Array {
  const out = new Int32Array(names.length);
  for (let i = 0; i < names.length; i++) out[i] = (names[i] !== null ? ix.get(names[i]!) : undefined) ?? -1;
  return out;
}

/**
 * Tabular JSONL: the records become a table of cell texts and go through the CSV encoder (the same
 * scaling, one-hot and split as CSV); split files give their rows as the splits.
 */
async function prepareJsonlTable(data: JsonlDataSpec, exp: Experiment, baseDir: string): Promise<PreparedData> {
  const fields = jsonlTableFields(data, exp.tasks);
  const labels = fields.labels.map((l) => ({ ...l, column: l.field }));
  const read = async (file: string) => jsonlTable(parseJsonl(await readDataFile(file, 'JSONL file'), file), file, fields);
  const src = sourceFiles(data, baseDir);
  const split = data.split ?? { valid: 0.15, test: 0.15 };
  let table: CsvTable;
  let parts: { train: number[]; valid: number[]; test?: number[] } | undefined;
  let where: string;
  if ('one' in src) {
    table = await read(src.one);
    where = src.one;
  } else {
    const [train, valid, test] = await settleInOrder([read(src.train), read(src.valid), src.test !== undefined ? read(src.test) : Promise.resolve(undefined)]);
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    parts = { train: range(0, train.rows.length), valid: range(train.rows.length, valid.rows.length), ...(test ? { test: range(train.rows.length + valid.rows.length, test.rows.length) } : {}) };
    table = { header: train.header, rows: [...train.rows, ...valid.rows, ...(test?.rows ?? [])], lines: [...train.lines, ...valid.lines, ...(test?.lines ?? [])] };
    where = src.train;
  }
  const enc = encodeCsv(table, where, {
    features: fields.features, categorical: fields.categorical, labels,
    missing: [''], valid: split.valid, test: split.test, seed: split.seed ?? exp.training.seed, parts,
  });
  // JSONL rows are named by their file line (`lines`), not by a row number
  return tabularData(enc, labels, false);
}

async function prepareCsv(data: CsvDataSpec, exp: Experiment, baseDir: string): Promise<PreparedData> {
  const file = resolveDataPath(baseDir, data.path);
  const text = await readDataFile(file, 'CSV file');
  const labels = exp.tasks.map((t) => {
    if (t.kind === 'tagging' || !readsLabels(t)) throw new DataError(`task '${t.id}': CSV data has no tokens to ${t.kind === 'tagging' ? 'tag' : 'predict'}`, 'tasks');
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
  return tabularData(enc, labels, true);
}

/** A table encoded by encodeCsv as PreparedData; `rowNumbers` keeps each example's 1-based data row (CSV). */
function tabularData(enc: CsvData, labels: { task: string; kind: 'classification' | 'regression' }[], rowNumbers: boolean): PreparedData {
  const toSplit = (s: CsvData['train']): EncodedSplit => {
    const cols: Record<string, LabelColumn> = dict();
    for (const l of labels) {
      cols[l.task] = l.kind === 'classification' ? { kind: 'class', values: s.classes[l.task] } : { kind: 'real', values: s.reals[l.task] };
    }
    return { name: s.name, size: s.rows.length, features: s.features, ...(rowNumbers ? { rows: s.rows.map((r) => r + 1) } : {}), lines: s.lines, labels: cols, rawLabels: s.raw };
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

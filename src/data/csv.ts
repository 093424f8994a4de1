/**
 * CSV data: parsing (csv-parse, with our file:line messages) and the mapping of columns to model
 * inputs and task labels.
 *
 * Inputs:
 * - numeric columns (`features`) are standardised with the training split's mean and standard
 *   deviation; a missing cell becomes 0 after standardisation, i.e. the training mean (mean
 *   imputation; no missing-indicator column is added, so the model cannot tell an imputed value
 *   from a real one at the mean — fine for the few gaps of data like penguins);
 * - categorical columns are one-hot over the values seen in training (sorted); a missing or unseen
 *   value is all zeros.
 * Labels: classification columns are class strings (ids over the training classes, sorted); a value
 * seen only in valid/test maps to -1 and keeps its raw string for metrics. Regression columns are
 * numbers standardised with training statistics (NaN = missing, masked out of losses and metrics).
 * Rows are split at random into train/valid/test with a seeded RNG.
 */
import { parse } from 'csv-parse/sync';
import { splitRows } from '../shared/seededSplit';
import { DataError } from './dataError';
import type { FeatureScaling } from './types';
import { featureVector } from './preprocessing';
import { dict } from '../shared/dict';
import { fewLabelsMessage, fieldColumn, headerOnlyMessage, isNumberCell, looksLikeData, noTargetMessage, notANumberMessage, splitProblem, unknownColumnMessage } from '../shared/dataChecks';

export interface CsvTable {
  header: string[];
  rows: string[][];
  /** 1-based line number where each row starts (for error messages). */
  lines: number[];
  /** Text of a 1-based line of the file (for the column of a bad cell). */
  lineText?: (line: number) => string;
}

/**
 * Parse RFC 4180 CSV with csv-parse: comma-separated fields, optional double quotes around a field
 * (which may then hold commas, newlines and `""` for a quote), CRLF, LF or CR line ends (mixed), an
 * optional UTF-8 BOM. The first record is the header. Blank lines are skipped. Every record must
 * have as many fields as the header. Errors name `file:line` of the record (or the quote) at fault.
 */
export function parseCsv(text: string, file: string): CsvTable {
  const { lineOf, lineText } = lineFinder(text);
  /** Byte offset where each record ended (csv-parse counts UTF-8 bytes). */
  const ends: number[] = [];
  let records: string[][];
  try {
    records = parse(text, {
      bom: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'],
      on_record: (record: string[], ctx: { bytes: number }) => { ends.push(ctx.bytes); return record; },
    });
  } catch (e) {
    const err = e as { code?: string; lines?: number; message?: string };
    const recordLine = lineOf(ends[ends.length - 1] ?? 0);
    const line = err.lines ?? recordLine;
    const at = (n: number, msg: string) => new DataError(`${file}:${n}: ${msg}`, `${file}:${n}`);
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') throw at(recordLine, 'unterminated quoted field');
    if (err.code === 'CSV_INVALID_CLOSING_QUOTE') throw at(line, 'unexpected character after a closing quote (a quote inside a quoted field is written "")');
    if (err.code === 'INVALID_OPENING_QUOTE' || err.code === 'CSV_INVALID_OPENING_QUOTE') throw at(line, 'a quote inside an unquoted field (quote the whole field and write the quote as "")');
    // csv-parse's own messages may quote the file (a field's value): only its code is kept.
    throw at(line, `not readable as CSV (${err.code ?? 'parse error'})`);
  }
  if (records.length === 0) throw new DataError(`${file}: empty CSV file (no header)`, file);
  const lines = records.map((_, i) => lineOf(i ? ends[i - 1] : 0));
  const header = records[0].map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((h, j) => {
    const k = seen.get(h);
    if (k !== undefined) throw new DataError(`${file}:${lines[0]}: column '${h}' appears twice in the header (columns ${k + 1} and ${j + 1}); rename one`, `${file}:${lines[0]}`);
    seen.set(h, j);
  });
  for (let r = 1; r < records.length; r++) {
    if (records[r].length !== header.length) {
      throw new DataError(`${file}:${lines[r]}: ${records[r].length} fields, but the header has ${header.length}`, `${file}:${lines[r]}`);
    }
  }
  return { header, rows: records.slice(1), lines: lines.slice(1), lineText };
}

/**
 * `lineOf`: `byteOffset -> 1-based line` of the first non-blank line at or after that UTF-8 byte
 * offset of `text` (a record's first line; the blank lines csv-parse skipped are stepped over).
 * `lineText`: a line's text without its line end. CRLF, LF and a lone CR each end a line.
 */
function lineFinder(text: string): { lineOf: (byteOffset: number) => number; lineText: (line: number) => string } {
  const buf = Buffer.from(text, 'utf8');
  const starts = [0];
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 10 || (buf[i] === 13 && buf[i + 1] !== 10)) starts.push(i + 1);
  }
  const lineOf = (offset: number): number => {
    let o = offset;
    while (o < buf.length && (buf[o] === 10 || buf[o] === 13)) o++;
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= o) lo = mid; else hi = mid - 1; }
    return lo + 1;
  };
  const lineText = (line: number): string => {
    if (line < 1 || line > starts.length) return '';
    let end = line < starts.length ? starts[line] : buf.length;
    while (end > starts[line - 1] && (buf[end - 1] === 10 || buf[end - 1] === 13)) end--;
    return buf.toString('utf8', starts[line - 1], end);
  };
  return { lineOf, lineText };
}

/** What to take from the table. */
export interface CsvColumnsSpec {
  features: readonly string[];
  categorical?: readonly string[];
  /** Task id -> label column and kind. */
  labels: readonly { task: string; column: string; kind: 'classification' | 'regression' }[];
  /** Cell texts meaning "missing" (compared after trimming). */
  missing: readonly string[];
  /** Fractions held out for validation and test. */
  valid: number;
  test: number;
  seed: number;
  /**
   * Rows of each split, when the data says (JSONL split files) instead of the seeded fractions
   * `valid` / `test`; no test split when `test` is absent.
   */
  parts?: { train: number[]; valid: number[]; test?: number[] };
}

export interface CsvSplitData {
  name: string;
  /** Row indices into the table (0-based data rows). */
  rows: number[];
  /** 1-based line of the file where each row starts. */
  lines: number[];
  features: Float32Array[];
  classes: Record<string, Int32Array>;
  reals: Record<string, Float32Array>;
  raw: Record<string, (string | null)[]>;
}

export interface CsvData {
  featureDim: number;
  /** Name of each feature dimension (`col` or `col=value`). */
  featureNames: string[];
  labelNames: Record<string, string[]>;
  targetScale: Record<string, { mean: number; std: number }>;
  /** How a row becomes a feature vector (train statistics), so a saved model can encode new rows. */
  scaling: FeatureScaling;
  train: CsvSplitData;
  valid: CsvSplitData;
  test?: CsvSplitData;
}

function columnIndex(table: CsvTable, file: string, column: string, role: string, quotable: boolean): number {
  const k = table.header.indexOf(column);
  if (k < 0) {
    throw new DataError(unknownColumnMessage(file, column, role, table.header, quotable), file);
  }
  return k;
}

/** Turn a parsed table into standardised features and encoded labels per split. */
export function encodeCsv(table: CsvTable, file: string, spec: CsvColumnsSpec): CsvData {
  const missing = new Set(spec.missing.map((m) => m.trim()));
  const isMissing = (cell: string) => missing.has(cell.trim());
  const num = (r: number, col: number, name: string): number => {
    const cell = table.rows[r][col];
    if (isMissing(cell)) return NaN;
    if (!isNumberCell(cell, missing)) {
      const line = table.lines[r];
      const column = table.lineText ? fieldColumn(table.lineText(line), col) : undefined;
      throw new DataError(notANumberMessage(file, line, column, name, cell, missing), `${file}:${line}${column ? `:${column}` : ''}`);
    }
    return Number(cell.trim());
  };

  const quotable = looksLikeData(table.header, [...spec.features, ...(spec.categorical ?? []), ...spec.labels.map((l) => l.column)]);
  const featureCols = spec.features.map((c) => columnIndex(table, file, c, 'data.features', quotable));
  const catCols = (spec.categorical ?? []).map((c) => columnIndex(table, file, c, 'data.categorical', quotable));
  const labelCols = spec.labels.map((l) => columnIndex(table, file, l.column, `label of task '${l.task}'`, quotable));

  const n = table.rows.length;
  const parts = spec.parts ?? splitRows(n, spec.valid, spec.test, spec.seed);
  const hasTest = spec.parts ? spec.parts.test !== undefined : spec.test > 0;
  if (n === 0) throw new DataError(headerOnlyMessage(file), `${file}:1`);
  const empty = spec.parts ? undefined : splitProblem(file, n, true, spec.valid, spec.test);
  if (empty) throw new DataError(empty.message, file);
  if (parts.train.length === 0) throw new DataError(`${file}: no rows left for training (${n} rows, valid ${spec.valid}, test ${spec.test})`, file);
  const trainRows = parts.train;

  // Numeric features: values, then train mean/std.
  const numeric = featureCols.map((col, f) => {
    const v = new Float64Array(n);
    for (let r = 0; r < n; r++) v[r] = num(r, col, spec.features[f]);
    return { v, ...meanStd(v, trainRows) };
  });
  // Categorical: train values, sorted.
  const cats = catCols.map((col) => {
    const seen = new Set<string>();
    for (const r of trainRows) { const c = table.rows[r][col].trim(); if (!isMissing(c)) seen.add(c); }
    const values = [...seen].sort(cmp);
    return { col, values, index: new Map(values.map((v, i) => [v, i])) };
  });
  const featureNames = [...spec.features, ...cats.flatMap((c, k) => c.values.map((v) => `${spec.categorical![k]}=${v}`))];
  const featureDim = featureNames.length;

  // Labels.
  const labelNames: Record<string, string[]> = dict();
  const targetScale: Record<string, { mean: number; std: number }> = dict();
  const classIndex: Record<string, Map<string, number>> = dict();
  const realValues: Record<string, Float64Array> = dict();
  spec.labels.forEach((l, k) => {
    const col = labelCols[k];
    if (l.kind === 'classification') {
      const seen = new Set<string>();
      for (const r of trainRows) { const c = table.rows[r][col].trim(); if (!isMissing(c)) seen.add(c); }
      labelNames[l.task] = [...seen].sort(cmp);
      if (seen.size < 2) throw new DataError(fewLabelsMessage(file, l.task, 'classification', labelNames[l.task], l.column), file);
      classIndex[l.task] = new Map(labelNames[l.task].map((v, i) => [v, i]));
    } else {
      const v = new Float64Array(n);
      for (let r = 0; r < n; r++) v[r] = num(r, col, l.column);
      if (trainRows.every((r) => Number.isNaN(v[r]))) {
        throw new DataError(noTargetMessage(file, l.task, l.column, 'rows'), file);
      }
      realValues[l.task] = v;
      targetScale[l.task] = meanStd(v, trainRows);
      labelNames[l.task] = [];
    }
  });

  const scaling: FeatureScaling = {
    numeric: numeric.map((f, j) => ({ column: spec.features[j], mean: f.mean, std: f.std })),
    categorical: cats.map((c, k) => ({ column: spec.categorical![k], values: c.values })),
    missing: [...missing],
  };
  const catIndex = cats.map((c) => c.index);
  const build = (name: string, rows: number[]): CsvSplitData => {
    const features = rows.map((r) => featureVector(numeric.map((f) => f.v[r]), cats.map((c) => table.rows[r][c.col].trim()), scaling, catIndex));
    const classes: Record<string, Int32Array> = dict();
    const reals: Record<string, Float32Array> = dict();
    const raw: Record<string, (string | null)[]> = dict();
    spec.labels.forEach((l, k) => {
      const col = labelCols[k];
      if (l.kind === 'classification') {
        const ids = new Int32Array(rows.length);
        raw[l.task] = rows.map((r, i) => {
          const c = table.rows[r][col].trim();
          if (isMissing(c)) { ids[i] = -1; return null; }
          ids[i] = classIndex[l.task].get(c) ?? -1;
          return c;
        });
        classes[l.task] = ids;
      } else {
        const { mean, std } = targetScale[l.task];
        const v = realValues[l.task];
        reals[l.task] = Float32Array.from(rows, (r) => (v[r] - mean) / std);
        raw[l.task] = rows.map((r) => (Number.isNaN(v[r]) ? null : table.rows[r][col].trim()));
      }
    });
    return { name, rows, lines: rows.map((r) => table.lines[r]), features, classes, reals, raw };
  };

  return {
    featureDim, featureNames, labelNames, targetScale, scaling,
    train: build('train', parts.train),
    valid: build('valid', parts.valid),
    test: hasTest ? build('test', parts.test!) : undefined,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Mean and standard deviation (population) over the given rows, ignoring NaN; std 0 or no data -> 1. */
export function meanStd(v: ArrayLike<number>, rows: readonly number[]): { mean: number; std: number } {
  let s = 0, c = 0;
  for (const r of rows) if (!Number.isNaN(v[r])) { s += v[r]; c++; }
  const mean = c ? s / c : 0;
  let q = 0;
  for (const r of rows) if (!Number.isNaN(v[r])) q += (v[r] - mean) ** 2;
  const std = c ? Math.sqrt(q / c) : 0;
  return { mean, std: std > 0 ? std : 1 };
}

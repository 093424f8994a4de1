/**
 * What validation reads of data files (`shared/dataChecks.ts` checks what is read here): strict UTF-8
 * for every data file, and the trainer's own parsers (CSV, SLU line splitting, JSONL, CoNLL: one
 * parser each, never a second copy). The bound: an SLU file is read whole (line and token counts;
 * SNIPS's largest is 0.6 MB); a CSV, JSONL or CoNLL file up to {@link WHOLE_BYTES} is read and
 * parsed whole: row and example counts exact, every row and record checked as `train` checks it, and
 * the asked labels' values kept for the check of the training examples' labels (a CSV's number
 * cells are checked on its first `CSV_CHECK_ROWS` rows). Of a larger file only the first
 * {@link PREFIX_BYTES} are read, cut at the last line end (a CoNLL file at the last sentence end), and
 * only the problems of a line found there are reported; what needs the whole file (the split, the
 * training labels, an empty file) is left to `train`.
 */
import * as fs from 'node:fs';
import {
  classValues, CSV_CHECK_ROWS, numberValues, tagValues, textFacts, textLines,
  type CsvAsk, type CsvFacts, type DataReader, type ExamplesAsk, type ExamplesFacts, type LabelValues, type TextFacts,
} from '../shared/dataChecks';
import { conllFields, parseConll, type ConllFields } from './conll';
import { parseCsv, type CsvTable } from './csv';
import { DataError } from './dataError';
import { dataText, utf8Text } from './dataFile';
import { resolveDataPath } from './dataPath';
import { jsonlTable, jsonlTableFields, jsonlText, jsonlTextFields, parseJsonl, type JsonlTableFields, type JsonlTextFields } from './jsonl';
import type { TextSplit } from './textSplit';

/** CSV, JSONL and CoNLL files up to this size are parsed whole by validation. */
export const WHOLE_BYTES = 32 * 1024 * 1024;
/** Of a larger file, validation reads this much (cut at the last line end; CoNLL: sentence end). */
export const PREFIX_BYTES = 4 * 1024 * 1024;

/** The bound of a read: whole up to `whole` bytes, else the first `prefix` bytes (tests give small ones). */
export interface ReadBounds { whole: number; prefix: number }
const BOUNDS: ReadBounds = { whole: WHOLE_BYTES, prefix: PREFIX_BYTES };

/** Facts of an SLU text file at `abs`; undefined when it cannot be read. */
export function readTextFacts(abs: string): TextFacts | undefined {
  let bytes: Buffer;
  try { bytes = fs.readFileSync(abs); } catch { return undefined; }
  try {
    return textFacts(abs, textLines(utf8Text(abs, bytes)));
  } catch (e) {
    return { file: abs, problem: problemOf(e, abs), tokenCounts: new Int32Array(0) };
  }
}

/**
 * The bytes of `abs` within the bound: the whole file up to `bounds.whole`, else its first
 * `bounds.prefix` bytes cut where `cut` says (the offset after the last complete record; 0: none).
 * Undefined when the file cannot be read.
 */
function readBounded(abs: string, cut: (buf: Buffer, n: number) => number, bounds: ReadBounds): { bytes: Buffer; whole: boolean } | undefined {
  try {
    if (fs.statSync(abs).size <= bounds.whole) return { bytes: fs.readFileSync(abs), whole: true };
    const fd = fs.openSync(abs, 'r');
    try {
      const buf = Buffer.alloc(bounds.prefix);
      const n = fs.readSync(fd, buf, 0, bounds.prefix, 0);
      return { bytes: buf.subarray(0, cut(buf, n)), whole: false };
    } finally { fs.closeSync(fd); }
  } catch { return undefined; }
}

/** Offset after the last CSV line end (LF, CRLF or a lone CR) of `buf[0..n)`. */
const csvLineEnd = (buf: Buffer, n: number): number => Math.max(buf.lastIndexOf(10, n - 1), buf.lastIndexOf(13, n - 1)) + 1;
/** Offset after the last LF (JSONL lines end in LF or CRLF). */
const lineEnd = (buf: Buffer, n: number): number => buf.lastIndexOf(10, n - 1) + 1;

/** Offset just after the last blank (or white-space-only) line of `buf[0..n)`, 0 when there is none. */
function sentenceEnd(buf: Buffer, n: number): number {
  let end = buf.lastIndexOf(10, n - 1);
  while (end > 0) {
    const start = buf.lastIndexOf(10, end - 1);
    let blank = true;
    for (let i = start + 1; i < end && blank; i++) blank = buf[i] === 32 || buf[i] === 9 || buf[i] === 13;
    if (blank) return end + 1;
    if (start < 0) return 0;
    end = start;
  }
  return 0;
}

/** Facts of a CSV file at `abs` (with the values of the label columns `ask` names); undefined when it cannot be read. */
export function readCsvFacts(abs: string, ask?: CsvAsk, bounds = BOUNDS): CsvFacts | undefined {
  const read = readBounded(abs, csvLineEnd, bounds);
  if (!read) return undefined;
  const { bytes, whole } = read;
  const empty: CsvFacts = { file: abs, header: [], rows: [], lines: [], lineTexts: [], rowCount: 0, rowCountExact: whole };
  try {
    const table = parseCsv(utf8Text(abs, bytes), abs);
    const n = Math.min(CSV_CHECK_ROWS, table.rows.length);
    const lines = table.lines.slice(0, n);
    return {
      file: abs,
      header: table.header,
      rows: table.rows.slice(0, n),
      lines,
      lineTexts: lines.map((l) => table.lineText?.(l) ?? ''),
      rowCount: table.rows.length,
      rowCountExact: whole,
      ...(whole && ask ? { labels: tableLabels(table, ask) } : {}),
    };
  } catch (e) {
    return { ...empty, problem: problemOf(e, abs) };
  }
}

/** The values of the label columns of a table (CSV, or tabular JSONL as the CSV encoder sees it): trimmed cells, `missing` ones coded missing. */
function tableLabels(table: CsvTable, ask: CsvAsk): Record<string, LabelValues> {
  const missing = new Set(ask.missing.map((m) => m.trim()));
  const out: Record<string, LabelValues> = {};
  for (const l of ask.labels) {
    const k = table.header.indexOf(l.column);
    if (k < 0 || out[l.column]) continue;
    const cell = (r: number) => table.rows[r][k].trim();
    out[l.column] = l.kind === 'regression'
      ? numberValues(table.rows.length, (r) => !missing.has(cell(r)))
      : classValues(table.rows.map((_, r) => (missing.has(cell(r)) ? null : cell(r))));
  }
  return out;
}

/** How a JSONL / CoNLL file is read for an experiment: the trainer's fields (what its parser is given). */
type ExamplesRead =
  | { kind: 'conll'; fields: ConllFields }
  | { kind: 'jsonlText'; fields: JsonlTextFields }
  | { kind: 'jsonlTable'; fields: JsonlTableFields };

/** The reading `ask` stands for (the fields `train` gives the parser), or undefined when the experiment cannot be read so (validation says why). */
function examplesRead(ask: ExamplesAsk): ExamplesRead | undefined {
  try {
    if (ask.data.format === 'conll') return { kind: 'conll', fields: conllFields(ask.data, ask.tasks) };
    return ask.data.text === undefined ? { kind: 'jsonlTable', fields: jsonlTableFields(ask.data, ask.tasks) } : { kind: 'jsonlText', fields: jsonlTextFields(ask.data, ask.tasks) };
  } catch { return undefined; }
}

/** Facts of a JSONL or CoNLL file at `abs`, read with the trainer's parser as `how` says; undefined when it cannot be read. */
function readExamplesFacts(abs: string, how: ExamplesRead, bounds: ReadBounds): ExamplesFacts | undefined {
  const read = readBounded(abs, how.kind === 'conll' ? sentenceEnd : lineEnd, bounds);
  if (!read) return undefined;
  const { whole } = read;
  try {
    const text = dataText(abs, read.bytes);
    // A first part with no complete line (or sentence): nothing here is certain.
    if (!whole && text.trim() === '') return { file: abs, count: 0, whole };
    if (how.kind === 'jsonlTable') {
      const table = jsonlTable(parseJsonl(text, abs), abs, how.fields);
      const labels = how.fields.labels.map((l) => ({ column: l.field, kind: l.kind }));
      return { file: abs, count: table.rows.length, whole, ...(whole ? { labels: tableLabels(table, { labels, missing: [''] }) } : {}) };
    }
    const split = how.kind === 'conll' ? parseConll(text, abs, how.fields) : jsonlText(parseJsonl(text, abs), abs, how.fields);
    return { file: abs, count: split.words.length, whole, ...(whole ? { labels: splitLabels(split) } : {}) };
  } catch (e) {
    const problem = problemOf(e, abs);
    // Of a first part, a problem of the whole file (no records, no sentences) is not certain.
    if (!whole && problem.where === abs) return { file: abs, count: 0, whole };
    return { file: abs, problem, count: 0, whole };
  }
}

/** The label values of a text split: classes, tags and numbers by label source. */
function splitLabels(s: TextSplit): Record<string, LabelValues> {
  const out: Record<string, LabelValues> = {};
  for (const [source, v] of Object.entries(s.sentence)) out[source] = classValues(v);
  for (const [source, v] of Object.entries(s.token)) out[source] = tagValues(v);
  for (const [source, v] of Object.entries(s.real ?? {})) out[source] = numberValues(v.length, (i) => !Number.isNaN(v[i]));
  return out;
}

function problemOf(e: unknown, file: string): { message: string; where: string } {
  if (e instanceof DataError) return { message: e.message, where: e.where ?? file };
  return { message: `${file}: ${(e as Error).message ?? String(e)}`, where: file };
}

/** What is read of one data file. */
export type DataFacts = CsvFacts | TextFacts | ExamplesFacts;

/**
 * Keeps what was read of each data file until the file's size or modification time changes (or
 * what is asked of it: the label columns, the JSONL / CoNLL fields), so the Problems panel
 * re-checks an experiment on every edit with one `stat` per data file. One entry per file and kind.
 */
export class DataFactsCache {
  private readonly entries = new Map<string, { key: string; facts: DataFacts | undefined }>();

  /** `ask`: what is asked of the file besides its kind (a new ask reads the file again). */
  get<T extends DataFacts>(abs: string, kind: 'csv' | 'text' | 'examples', read: (abs: string) => T | undefined, ask = ''): T | undefined {
    const slot = `${kind}\0${abs}`;
    let key: string;
    try { const st = fs.statSync(abs); key = `${st.size}:${st.mtimeMs}:${ask}`; } catch { this.entries.delete(slot); return undefined; }
    const hit = this.entries.get(slot);
    if (hit && hit.key === key) return hit.facts as T | undefined;
    const facts = read(abs);
    this.entries.set(slot, { key, facts });
    return facts;
  }

  clear(): void { this.entries.clear(); }
}

/**
 * A {@link DataReader} for an experiment in `baseDir` (paths as written: relative, absolute, `~`).
 * Files `mayRead` refuses (outside the folders a run may read: `dataPaths.ts`) are not read.
 */
export function dataReader(baseDir: string, opts: { cache?: DataFactsCache; mayRead?: (abs: string) => boolean; bounds?: ReadBounds } = {}): DataReader {
  const { cache, mayRead, bounds = BOUNDS } = opts;
  const get = <T extends DataFacts>(rel: string, kind: 'csv' | 'text' | 'examples', read: (abs: string) => T | undefined, ask?: unknown): T | undefined => {
    const abs = resolveDataPath(baseDir, rel);
    if (mayRead && !mayRead(abs)) return undefined;
    return cache ? cache.get(abs, kind, read, ask === undefined ? '' : JSON.stringify(ask)) : read(abs);
  };
  return {
    csv: (rel, ask) => get(rel, 'csv', (abs) => readCsvFacts(abs, ask, bounds), ask),
    text: (rel) => get(rel, 'text', readTextFacts),
    examples: (rel, ask) => {
      // Keyed by the parser's fields (not the whole data section), so editing the split or the encoder reads nothing again.
      const how = examplesRead(ask);
      return how ? get(rel, 'examples', (abs) => readExamplesFacts(abs, how, bounds), how) : undefined;
    },
  };
}

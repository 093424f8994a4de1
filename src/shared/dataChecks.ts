/**
 * What can be checked of the data files without training: the facts a bounded read gives (CSV
 * header, first rows, row count; SLU line and token counts; a JSONL / CoNLL file's first problem as
 * the trainer's parser reports it; UTF-8; each label's values per example) and the checks of those
 * facts against the experiment, each problem with the JSON path of the setting that names the file
 * and a message that names the data file and line. Pure: the host and the trainer read the files
 * (`data/dataFacts.ts`); validation (`experiment.ts`), the CLI, `train` and the Problems
 * panel all run these same checks, and the data readers reuse their messages.
 */
import type { ConllDataSpec, JsonlDataSpec, TaskKind } from './experimentTypes';
import { quoted, quotedList } from './quote';
import { splitRows } from './seededSplit';

/** Data rows of a CSV whose cells are checked for numbers (the field count is checked on all rows). */
export const CSV_CHECK_ROWS = 1000;

/** A problem of a file on its own (not UTF-8, a CSV syntax error, ...): message and `file[:line]`. */
export interface FileProblem {
  message: string;
  where: string;
}

/** What validation knows of a CSV file after one cheap read. */
export interface CsvFacts {
  /** Absolute path, as messages name it. */
  file: string;
  /** Set when the file cannot be used at all (then the other fields may be empty). */
  problem?: FileProblem;
  header: string[];
  /** The first {@link CSV_CHECK_ROWS} data rows, their 1-based lines and the text of those lines. */
  rows: string[][];
  lines: number[];
  lineTexts: string[];
  /** Number of data rows (header excluded); a lower bound when `rowCountExact` is false. */
  rowCount: number;
  rowCountExact: boolean;
  /** Column -> its values on every row, for the label columns asked ({@link CsvAsk}); only when read whole. */
  labels?: Record<string, LabelValues>;
}

/** What validation asks of a CSV beyond its header and first rows: the label columns' values, with the experiment's missing values. */
export interface CsvAsk {
  labels: readonly { column: string; kind: 'classification' | 'regression' }[];
  missing: readonly string[];
}

/** Code of a missing label in {@link LabelValues} (null, NaN, a `missing` cell). */
export const MISSING = -1;
/** Code of a class or tag past the first {@link LABEL_NAMES_MAX} distinct ones (known only to differ from those). */
export const OTHER = -2;
/** Distinct classes (tags) kept per label; the rest are coded {@link OTHER}, so a free-text column costs no more. */
export const LABEL_NAMES_MAX = 10_000;

/**
 * One label's values over a file's examples (rows, records or sentences), in as few bytes as the
 * check of the training examples' labels needs. A class or a number: one code per example, an index
 * into `names` (a number: 0), {@link MISSING} or {@link OTHER}. Tags (`starts` set): example i's
 * distinct tags are `codes[starts[i] .. starts[i + 1])`.
 */
export interface LabelValues {
  names: string[];
  codes: Int32Array;
  starts?: Int32Array;
}

/** What validation knows of a JSONL or CoNLL file after reading it with the trainer's parser. */
export interface ExamplesFacts {
  file: string;
  /** The parser's first problem (as `train` reports it). */
  problem?: FileProblem;
  /** Records (JSONL) or sentences (CoNLL) read. */
  count: number;
  /**
   * The whole file was read. Else only its first part (a file above the size bound): `count` is a
   * lower bound, `labels` is absent, and only problems of a line (certain) are reported.
   */
  whole: boolean;
  /** Label source (a task's `label`) -> its values per example; when read whole without a problem. */
  labels?: Record<string, LabelValues>;
}

/** What validation asks of a JSONL or CoNLL file: the data section and the tasks, read as the trainer reads them. */
export interface ExamplesAsk {
  data: JsonlDataSpec | ConllDataSpec;
  tasks: readonly { id: string; kind: TaskKind; label: string }[];
}

/** What validation knows of one SLU text file (`seq.in`, `seq.out`, `label`). */
export interface TextFacts {
  file: string;
  problem?: FileProblem;
  /** Whitespace-separated tokens on each line (its length is the line count). */
  tokenCounts: Int32Array;
}

/** Reads data files for validation, by path as written in the experiment (relative, absolute, `~`). `undefined`: not readable (reported as missing elsewhere). */
export interface DataReader {
  csv(relPath: string, ask?: CsvAsk): CsvFacts | undefined;
  text(relPath: string): TextFacts | undefined;
  examples(relPath: string, ask: ExamplesAsk): ExamplesFacts | undefined;
}

/** A data problem: where in the experiment to show it, where in the data it is, and what. */
export interface DataProblem {
  path: (string | number)[];
  where: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Text files (SLU)

/** Lines of a text file; a BOM is dropped, CRLF accepted, a final newline makes no extra line. */
export function textLines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Whitespace-separated tokens of a line. */
export function lineTokens(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Facts of a text file from its lines. */
export function textFacts(file: string, lines: readonly string[]): TextFacts {
  return { file, tokenCounts: Int32Array.from(lines, (l) => lineTokens(l).length) };
}

/** One SLU split to check: `seq.in` and the label files beside it (each with the JSON path that names it). */
export interface SluSplitCheck {
  /** `train`, `valid` or `test`. */
  role: string;
  /** JSON path of the setting naming the split folder (`data.splits.valid`, or `data.path`). */
  path: (string | number)[];
  seqIn: TextFacts;
  labels: { facts: TextFacts; level: 'sentence' | 'token'; path: (string | number)[] }[];
}

/**
 * A split's problems: a file that is not UTF-8, no sentences, an empty sentence, a label file with
 * another line count than `seq.in`, an empty label, a tag count that differs from the word count.
 * One problem per file: its first bad line, with how many more lines have the same fault.
 */
export function sluSplitProblems(s: SluSplitCheck): DataProblem[] {
  const out: DataProblem[] = [];
  const inFile = s.seqIn.file;
  if (s.seqIn.problem) out.push({ path: s.path, ...s.seqIn.problem });
  else if (s.seqIn.tokenCounts.length === 0) out.push({ path: s.path, where: inFile, message: `${inFile}: no sentences: the ${s.role} split is empty` });
  else {
    const bad = badLines(s.seqIn.tokenCounts, (n) => n === 0);
    if (bad) out.push({ path: s.path, where: `${inFile}:${bad.line}`, message: `${inFile}:${bad.line}: empty sentence${more(bad.count)}` });
  }
  const words = s.seqIn.problem ? undefined : s.seqIn.tokenCounts;
  for (const l of s.labels) {
    const file = l.facts.file;
    if (l.facts.problem) { out.push({ path: l.path, ...l.facts.problem }); continue; }
    if (!words) continue;
    const counts = l.facts.tokenCounts;
    if (counts.length !== words.length) {
      const line = Math.min(counts.length, words.length) + 1;
      out.push({ path: l.path, where: `${file}:${line}`, message: lineCountMessage(file, counts.length, inFile, words.length) });
      continue;
    }
    if (l.level === 'sentence') {
      const bad = badLines(counts, (n) => n === 0);
      if (bad) out.push({ path: l.path, where: `${file}:${bad.line}`, message: `${file}:${bad.line}: empty label${more(bad.count)}` });
    } else {
      const bad = badLines(counts, (n, i) => n !== words[i]);
      if (bad) {
        const i = bad.line - 1;
        out.push({ path: l.path, where: `${file}:${bad.line}`, message: `${tagCountMessage(file, counts[i], words[i], inFile, bad.line)}${more(bad.count)}` });
      }
    }
  }
  return out;
}

/** A label file whose line count is not `seq.in`'s. */
export function lineCountMessage(file: string, lines: number, inFile: string, inLines: number): string {
  const first = Math.min(lines, inLines) + 1;
  const which = lines < inLines ? `line ${first} of seq.in has no line here` : `line ${first} here has no sentence in seq.in`;
  return `${file}:${first}: ${lines} line${lines === 1 ? '' : 's'}, but ${inFile} has ${inLines} (${which}): every line of seq.in needs one line here`;
}

/** A tagging line whose tag count is not its sentence's word count. */
export function tagCountMessage(file: string, tags: number, words: number, inFile: string, line: number): string {
  return `${file}:${line}: ${tags} tag${tags === 1 ? '' : 's'} for ${words} word${words === 1 ? '' : 's'} in ${inFile}:${line}`;
}

/** First 1-based line where `bad` holds, and how many lines in all. */
function badLines(counts: Int32Array, bad: (n: number, i: number) => boolean): { line: number; count: number } | undefined {
  let first = -1, count = 0;
  for (let i = 0; i < counts.length; i++) if (bad(counts[i], i)) { if (first < 0) first = i; count++; }
  return first < 0 ? undefined : { line: first + 1, count };
}

const more = (count: number): string => (count > 1 ? ` (and ${count - 1} more line${count === 2 ? '' : 's'} like it)` : '');

// ---------------------------------------------------------------------------------------------
// CSV

/** What the experiment asks of a CSV file. */
export interface CsvCheck {
  /** JSON path of `data.path`. */
  path: (string | number)[];
  /** Every column the experiment names, with the setting that names it and whether it must hold numbers. */
  columns: { name: string; role: string; numeric: boolean; path: (string | number)[] }[];
  missing: readonly string[];
  /** Held-out fractions and the setting that holds them (`data.split`; defaults when absent). */
  valid: number;
  test: number;
  splitPath: (string | number)[];
  /** The split's seed (`data.split.seed`, else `training.seed`); undefined when not known (then the training labels are not checked). */
  seed?: number;
  /** The tasks, for the check of the training rows' labels. */
  tasks: readonly LabelTask[];
}

/** A task as the label checks see it: its id, kind, label (column, field, key or tag column) and the JSON path of that label. */
export interface LabelTask {
  id: string;
  kind: TaskKind;
  label: string;
  path: (string | number)[];
}

/**
 * A CSV's problems: the file's own (not UTF-8, syntax, ragged rows, empty), only a header, a column
 * the experiment names that the header lacks, a cell of a numeric column that is not a number (in
 * the first {@link CSV_CHECK_ROWS} rows: first bad cell per column and how many more), and a split
 * left with no rows.
 */
export function csvProblems(f: CsvFacts, c: CsvCheck): DataProblem[] {
  if (f.problem) return [{ path: c.path, ...f.problem }];
  if (f.rowCount === 0) return [{ path: c.path, where: `${f.file}:1`, message: headerOnlyMessage(f.file) }];
  const out: DataProblem[] = [];
  const missing = new Set(c.missing.map((m) => m.trim()));
  const quotable = looksLikeData(f.header, c.columns.map((col) => col.name));
  for (const col of c.columns) {
    const k = f.header.indexOf(col.name);
    if (k < 0) { out.push({ path: col.path, where: f.file, message: unknownColumnMessage(f.file, col.name, col.role, f.header, quotable) }); continue; }
    if (!col.numeric) continue;
    let first = -1, count = 0;
    for (let r = 0; r < f.rows.length; r++) {
      if (!isNumberCell(f.rows[r][k], missing)) { if (first < 0) first = r; count++; }
    }
    if (first < 0) continue;
    const line = f.lines[first];
    const column = fieldColumn(f.lineTexts[first] ?? '', k);
    const of = f.rows.length < f.rowCount ? ` of the first ${f.rows.length}` : '';
    const rest = count > 1 ? ` (and ${count - 1} more row${count === 2 ? '' : 's'}${of} like it)` : '';
    out.push({ path: col.path, where: `${f.file}:${line}:${column}`, message: notANumberMessage(f.file, line, column, col.name, f.rows[first][k], missing) + rest });
  }
  const split = splitProblem(f.file, f.rowCount, f.rowCountExact, c.valid, c.test);
  if (split) out.push({ path: [...c.splitPath, ...(split.key ? [split.key] : [])], where: f.file, message: split.message });
  else if (f.labels && f.rowCountExact && c.seed !== undefined) {
    const train = splitRows(f.rowCount, c.valid, c.test, c.seed).train;
    out.push(...labelProblems(f.file, c.tasks.filter((t) => f.labels![t.label]), f.labels, train, 'rows'));
  }
  return out;
}

/** A cell a numeric column accepts: a finite number, or one of the `missing` texts (compared trimmed). */
export function isNumberCell(cell: string, missing: ReadonlySet<string>): boolean {
  const t = cell.trim();
  return missing.has(t) || (t !== '' && Number.isFinite(Number(t)));
}

/** A numeric column's cell that is not a number (name and cell quoted short). */
export function notANumberMessage(file: string, line: number, column: number | undefined, name: string, cell: string, missing: ReadonlySet<string>): string {
  return `${file}:${line}${column ? `:${column}` : ''}: column ${quoted(name)}: ${quoted(cell)} is not a number (missing values are written as ${[...missing].map((m) => `'${m}'`).join(' or ')})`;
}

/** A CSV with a header and no row. */
export function headerOnlyMessage(file: string): string {
  return `${file}: no data rows, only the header`;
}

/**
 * True when a CSV with this header is the data the experiment expects, so messages may quote it: at
 * least two columns (one feature and one label) and at least one of the columns the experiment
 * names. Any text file without a comma parses as a one-column CSV (a hosts file, an os-release),
 * and its "header" is its first line: that must not show up in a message.
 */
export function looksLikeData(header: readonly string[], named: readonly string[]): boolean {
  return header.length >= 2 && named.some((c) => header.includes(c));
}

/** A column the experiment names that the header does not have; the header is listed only when `quotable` ({@link looksLikeData}). */
export function unknownColumnMessage(file: string, column: string, role: string, header: readonly string[], quotable: boolean): string {
  const columns = quotable
    ? `the columns are: ${quotedList(header)}`
    : `the file has ${header.length} column${header.length === 1 ? '' : 's'} and none the experiment names (not quoted: it does not look like this experiment's data; is data.path the right file?)`;
  return `${file}: unknown column ${quoted(column)} (${role}); ${columns}`;
}

/**
 * 1-based character column where field `k` starts in a CSV line (commas inside double quotes do not
 * separate fields). A record continued over several lines counts from its first line.
 */
export function fieldColumn(line: string, k: number): number {
  let field = 0, quoted = false;
  if (k === 0) return 1;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted && ++field === k) return i + 2;
  }
  return line.length + 1;
}

/**
 * Rows each split gets from `n` rows (as `splitRows` in the trainer draws them: round(n·valid)
 * valid, round(n·test) test, the rest train), and the problem when a split that should exist is
 * empty: no training rows, no validation rows (no metric, no best checkpoint), or test > 0 with no
 * test row. `exact` false: `n` is only a lower bound (a file too large to count whole), and only a
 * certain problem is reported (none: more rows only fill the splits).
 */
export function splitProblem(file: string, n: number, exact: boolean, valid: number, test: number): { key?: 'valid' | 'test'; message: string } | undefined {
  if (!exact) return undefined;
  const nValid = Math.round(n * valid);
  const nTest = Math.round(n * test);
  if (n - nValid - nTest <= 0) return { message: `${file}: no rows left for training (${n} rows, valid ${valid} = ${nValid} rows, test ${test} = ${nTest} rows)` };
  // The smallest fraction that gives one row, rounded up to 4 decimals.
  const oneRow = Math.ceil((0.5 / n) * 1e4) / 1e4;
  if (valid > 0 && nValid === 0) return { key: 'valid', message: `${file}: the valid split gets 0 of ${n} rows (${n} × ${valid} rounds to 0): no validation metric and no best checkpoint; use valid >= ${oneRow} for one row` };
  if (test > 0 && nTest === 0) return { key: 'test', message: `${file}: the test split gets 0 of ${n} rows (${n} × ${test} rounds to 0); use test >= ${oneRow} for one row, or test 0 for no test split` };
  return undefined;
}

/** A one-file split (text data) that leaves no sentence for training. */
export function noTrainingSentencesMessage(file: string, n: number, valid: number, test: number): string {
  return `${file}: no sentences left for training (${n} sentences, valid ${valid}, test ${test})`;
}

// ---------------------------------------------------------------------------------------------
// Labels of the training examples

/**
 * A classification (tagging) task whose training examples hold fewer than two classes (tags): the
 * model has nothing to tell apart. `column`: tabular data (CSV, JSONL with features), whose messages
 * speak of rows and the column; else text data (sentences).
 */
export function fewLabelsMessage(file: string, task: string, kind: 'classification' | 'tagging', names: readonly string[], column?: string): string {
  const need = `a ${kind === 'tagging' ? 'tagger' : 'classifier'} needs at least two`;
  if (column !== undefined) {
    const what = names.length ? `one class in the training rows ('${names[0]}' in column '${column}')` : `no class in the training rows (column '${column}' is missing in every one)`;
    return `${file}: task '${task}' has ${what}; ${need}`;
  }
  const what = kind === 'tagging' ? 'tag' : 'class';
  return `${file}: task '${task}' has ${names.length ? `one ${what} in the training sentences ('${names[0]}')` : `no ${what}`}; ${need}`;
}

/** A regression task with no value in any training example (tabular: rows of `label` column; text: sentences, field `label`). */
export function noTargetMessage(file: string, task: string, label: string, unit: 'rows' | 'sentences'): string {
  return unit === 'rows'
    ? `${file}: column '${label}' (label of task '${task}') has no values in the training rows (every one is missing)`
    : `${file}: task '${task}' has no value in any training sentence (field '${label}' is null in all of them); a regression needs targets to learn from`;
}

/**
 * Per task, the problem of its labels over the training examples `train` (indices into the values):
 * a classifier or tagger with fewer than two classes (tags), a regression with no value. Only
 * certain problems: when the classes seen are past {@link LABEL_NAMES_MAX} names, nothing is said.
 */
export function labelProblems(file: string, tasks: readonly LabelTask[], labels: Record<string, LabelValues>, train: readonly number[], unit: 'rows' | 'sentences'): DataProblem[] {
  const out: DataProblem[] = [];
  for (const t of tasks) {
    const v = labels[t.label];
    if (!v || t.kind === 'language-model') continue;
    if (t.kind === 'regression') {
      if (!train.some((i) => v.codes[i] !== MISSING)) out.push({ path: t.path, where: file, message: noTargetMessage(file, t.id, t.label, unit) });
      continue;
    }
    const names = fewNames(v, train);
    if (names) out.push({ path: t.path, where: file, message: fewLabelsMessage(file, t.id, t.kind, names, unit === 'rows' ? t.label : undefined) });
  }
  return out;
}

/** The names of `v` over examples `idx` when they are fewer than two (certainly); undefined otherwise. */
function fewNames(v: LabelValues, idx: readonly number[]): string[] | undefined {
  const seen = new Set<number>();
  let other = false;
  const add = (code: number): boolean => {
    if (code === OTHER) other = true;
    else if (code !== MISSING) seen.add(code);
    return seen.size + (other ? 1 : 0) >= 2;
  };
  for (const i of idx) {
    if (v.starts) { for (let k = v.starts[i]; k < v.starts[i + 1]; k++) if (add(v.codes[k])) return undefined; }
    else if (add(v.codes[i])) return undefined;
  }
  // Only values past the names: one class or many, not known.
  if (other) return undefined;
  return [...seen].map((c) => v.names[c]);
}

/** Interns class and tag names for {@link LabelValues}, up to {@link LABEL_NAMES_MAX}. */
class Names {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  code(name: string): number {
    let k = this.index.get(name);
    if (k === undefined) {
      if (this.names.length >= LABEL_NAMES_MAX) return OTHER;
      k = this.names.length;
      this.names.push(name);
      this.index.set(name, k);
    }
    return k;
  }
}

/** A class label's values (null: missing). */
export function classValues(values: ArrayLike<string | null>): LabelValues {
  const n = new Names();
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) { const v = values[i]; codes[i] = v === null ? MISSING : n.code(v); }
  return { names: n.names, codes };
}

/** A number label's values: whether each example has one. */
export function numberValues(count: number, has: (i: number) => boolean): LabelValues {
  const codes = new Int32Array(count);
  for (let i = 0; i < count; i++) codes[i] = has(i) ? 0 : MISSING;
  return { names: [], codes };
}

/** A tag label's values: each example's distinct tags. */
export function tagValues(tags: readonly (readonly string[])[]): LabelValues {
  const n = new Names();
  const starts = new Int32Array(tags.length + 1);
  let codes = new Int32Array(Math.max(16, tags.length * 2));
  let len = 0;
  // seenIn[code] = 1 + the last example holding that tag (a tag is listed once per example); OTHER once too.
  const seenIn: number[] = [];
  let otherIn = 0;
  for (let i = 0; i < tags.length; i++) {
    for (const t of tags[i]) {
      const c = n.code(t);
      if (c === OTHER ? otherIn === i + 1 : seenIn[c] === i + 1) continue;
      if (c === OTHER) otherIn = i + 1; else seenIn[c] = i + 1;
      if (len === codes.length) { const grown = new Int32Array(len * 2); grown.set(codes); codes = grown; }
      codes[len++] = c;
    }
    starts[i + 1] = len;
  }
  return { names: n.names, codes: codes.slice(0, len), starts };
}

// ---------------------------------------------------------------------------------------------
// JSONL and CoNLL

/** What the experiment asks of its JSONL / CoNLL files (besides what the parser checks). */
export interface ExamplesCheck {
  /** JSONL with `features`: rows, checked as a CSV's; else sentences. */
  tabular: boolean;
  tasks: readonly LabelTask[];
  /** One file split by fractions: the fractions, the seed (undefined when not known) and the setting `data.split`. */
  split?: { valid: number; test: number; seed?: number; path: (string | number)[] };
  /** Text data: only the first N training sentences are used. */
  limitTrain?: number;
}

/** A JSONL / CoNLL file of the experiment: its role (`all`: the one file, split by fractions), the setting naming it, what was read. */
export interface ExamplesFile {
  role: 'all' | 'train' | 'valid' | 'test';
  path: (string | number)[];
  facts: ExamplesFacts;
}

/**
 * The problems of an experiment's JSONL / CoNLL files: each file's first problem (its parser's, as
 * `train` says it); then, when every file was read whole and cleanly, a split that leaves no
 * training example and the labels of the training examples (drawn with the trainer's seeded split,
 * cut to `limitTrain`), named by the training file as `train` names it.
 */
export function examplesProblems(files: readonly ExamplesFile[], c: ExamplesCheck): DataProblem[] {
  const out: DataProblem[] = [];
  for (const f of files) if (f.facts.problem) out.push({ path: f.path, ...f.facts.problem });
  if (out.length) return out;
  const train = files.find((f) => f.role === 'all' || f.role === 'train');
  if (!train?.facts.whole || !train.facts.labels) return out;
  const { file, count: n } = train.facts;
  let idx: number[];
  if (train.role === 'all') {
    const s = c.split;
    if (!s || s.seed === undefined) return out;
    if (c.tabular) {
      const p = splitProblem(file, n, true, s.valid, s.test);
      if (p) return [{ path: [...s.path, ...(p.key ? [p.key] : [])], where: file, message: p.message }];
    }
    idx = splitRows(n, s.valid, s.test, s.seed).train;
    if (idx.length === 0) return [{ path: s.path, where: file, message: noTrainingSentencesMessage(file, n, s.valid, s.test) }];
  } else {
    idx = [...Array(n).keys()];
  }
  if (!c.tabular && c.limitTrain !== undefined) idx = idx.slice(0, c.limitTrain);
  return labelProblems(file, c.tasks, train.facts.labels, idx, c.tabular ? 'rows' : 'sentences');
}

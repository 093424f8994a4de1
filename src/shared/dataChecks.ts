/**
 * What can be checked of the data files without training: the facts a cheap read gives (CSV header,
 * first rows, row count; SLU line and token counts; UTF-8) and the checks of those facts against
 * the experiment, each problem with the JSON path of the setting that names the file and a message
 * that names the data file and line. Pure: the host and the trainer read the files
 * (`trainer/data/dataFiles.ts`); validation (`experiment.ts`), the CLI, `train` and the Problems
 * panel all run these same checks, and the data readers reuse their messages.
 */
import { quoted, quotedList } from './quote';

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
  csv(relPath: string): CsvFacts | undefined;
  text(relPath: string): TextFacts | undefined;
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

/**
 * What validation reads of data files (`shared/dataChecks.ts` checks what is read here): strict UTF-8
 * for every data file, the same CSV parser and SLU line splitting the trainer uses. The bound: an
 * SLU file is read whole (line and token counts; SNIPS's largest is 0.6 MB); a CSV up to
 * {@link CSV_WHOLE_BYTES} is read and parsed whole (row count exact, field counts on every row) and
 * the cells of its first `CSV_CHECK_ROWS` rows are checked for numbers; a larger CSV only its first
 * {@link CSV_PREFIX_BYTES} (the row count is then a lower bound).
 */
import * as fs from 'node:fs';
import { CSV_CHECK_ROWS, textFacts, textLines, type CsvFacts, type DataReader, type TextFacts } from '../../shared/dataChecks';
import { parseCsv } from './csv';
import { DataError } from './dataError';
import { utf8Text } from './dataFile';
import { resolveDataPath } from './dataPath';

/** CSV files up to this size are parsed whole by validation. */
export const CSV_WHOLE_BYTES = 32 * 1024 * 1024;
/** Of a larger CSV, validation reads this much (cut at the last line end). */
export const CSV_PREFIX_BYTES = 4 * 1024 * 1024;

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

/** Facts of a CSV file at `abs`; undefined when it cannot be read. */
export function readCsvFacts(abs: string): CsvFacts | undefined {
  let bytes: Buffer;
  let whole = true;
  try {
    const size = fs.statSync(abs).size;
    if (size <= CSV_WHOLE_BYTES) bytes = fs.readFileSync(abs);
    else {
      whole = false;
      const fd = fs.openSync(abs, 'r');
      try {
        const buf = Buffer.alloc(CSV_PREFIX_BYTES);
        const n = fs.readSync(fd, buf, 0, CSV_PREFIX_BYTES, 0);
        const lastEnd = Math.max(buf.lastIndexOf(10, n - 1), buf.lastIndexOf(13, n - 1));
        bytes = buf.subarray(0, lastEnd < 0 ? n : lastEnd + 1);
      } finally { fs.closeSync(fd); }
    }
  } catch { return undefined; }
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
    };
  } catch (e) {
    return { ...empty, problem: problemOf(e, abs) };
  }
}

function problemOf(e: unknown, file: string): { message: string; where: string } {
  if (e instanceof DataError) return { message: e.message, where: e.where ?? file };
  return { message: `${file}: ${(e as Error).message ?? String(e)}`, where: file };
}

/**
 * Keeps what was read of each data file until the file's size or modification time changes, so
 * the Problems panel re-checks an experiment on every edit with one `stat` per data file.
 */
export class DataFactsCache {
  private readonly entries = new Map<string, { key: string; facts: CsvFacts | TextFacts | undefined }>();

  get<T extends CsvFacts | TextFacts>(abs: string, kind: 'csv' | 'text', read: (abs: string) => T | undefined): T | undefined {
    let key: string;
    try { const st = fs.statSync(abs); key = `${kind}:${st.size}:${st.mtimeMs}`; } catch { this.entries.delete(abs); return undefined; }
    const hit = this.entries.get(abs);
    if (hit && hit.key === key) return hit.facts as T | undefined;
    const facts = read(abs);
    this.entries.set(abs, { key, facts });
    return facts;
  }

  clear(): void { this.entries.clear(); }
}

/**
 * A {@link DataReader} for an experiment in `baseDir` (paths as written: relative, absolute, `~`).
 * Files `mayRead` refuses (outside the folders a run may read: `dataPaths.ts`) are not read.
 */
export function dataReader(baseDir: string, opts: { cache?: DataFactsCache; mayRead?: (abs: string) => boolean } = {}): DataReader {
  const { cache, mayRead } = opts;
  const get = <T extends CsvFacts | TextFacts>(rel: string, kind: 'csv' | 'text', read: (abs: string) => T | undefined): T | undefined => {
    const abs = resolveDataPath(baseDir, rel);
    if (mayRead && !mayRead(abs)) return undefined;
    return cache ? cache.get(abs, kind, read) : read(abs);
  };
  return { csv: (rel) => get(rel, 'csv', readCsvFacts), text: (rel) => get(rel, 'text', readTextFacts) };
}

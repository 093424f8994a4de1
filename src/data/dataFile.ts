/**
 * Reading a data file as text, with the messages every reader gives: a missing file names the path,
 * bytes that are not UTF-8 are refused with the line and byte offset (never read as U+FFFD), a UTF-8
 * byte-order mark is dropped, lines split on LF or CRLF (a final newline makes no extra line).
 */
import { promises as fsp } from 'node:fs';
import { textLines } from '../shared/dataChecks';
import { decodeUtf8, utf8Message } from '../shared/utf8';
import { DataError } from './dataError';

export { textLines };

/** The bytes of a data file as text; a `DataError` at `file:line` with the byte offset when they are not UTF-8. */
export function utf8Text(file: string, bytes: Uint8Array): string {
  const r = decodeUtf8(bytes);
  if ('error' in r) throw new DataError(utf8Message(file, r.error), `${file}:${r.error.line}`);
  return r.text;
}

/** The bytes of a data file as the readers parse them: {@link utf8Text}, without a byte-order mark. */
export function dataText(file: string, bytes: Uint8Array): string {
  const text = utf8Text(file, bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The whole file as text (BOM removed). `what` names the kind of file in the not-found message. */
export async function readDataFile(file: string, what = 'data file'): Promise<string> {
  try {
    return dataText(file, await fsp.readFile(file));
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as { code?: string }).code;
    throw new DataError(code === 'ENOENT' ? `${what} not found: ${file}` : code === 'EISDIR' ? `${file} is a folder, not a ${what}` : `cannot read ${file}: ${(e as Error).message}`, file);
  }
}

/** Lines of a text file (see {@link readDataFile}, {@link textLines}). */
export async function readLines(file: string, what?: string): Promise<string[]> {
  return textLines(await readDataFile(file, what));
}

/**
 * Reading a data file as text, with the messages every reader gives: a missing file names the path,
 * a UTF-8 byte-order mark is dropped, lines split on LF or CRLF (a final newline makes no extra line).
 */
import { promises as fsp } from 'node:fs';
import { DataError } from './dataError';

/** The whole file as text (BOM removed). `what` names the kind of file in the not-found message. */
export async function readDataFile(file: string, what = 'data file'): Promise<string> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new DataError(code === 'ENOENT' ? `${what} not found: ${file}` : code === 'EISDIR' ? `${file} is a folder, not a ${what}` : `cannot read ${file}: ${(e as Error).message}`, file);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Lines of a text; a final newline does not make an extra empty line. CRLF is accepted. */
export function textLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Lines of a text file (see {@link readDataFile}, {@link textLines}). */
export async function readLines(file: string, what?: string): Promise<string[]> {
  return textLines(await readDataFile(file, what));
}

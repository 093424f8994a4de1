/**
 * Strict UTF-8 decoding of data files: bytes that are not UTF-8 (Latin-1 `é` = 0xE9, Windows-1252
 * quotes, a binary file) are refused with the line and the byte offset of the first bad byte,
 * instead of silently becoming U+FFFD (a new word, a new class). Pure: `TextDecoder` only.
 */

/** Where the first byte that is not UTF-8 sits. */
export interface Utf8Error {
  /** 0-based byte offset in the file. */
  offset: number;
  /** 1-based line (LF, CRLF and a lone CR each end a line). */
  line: number;
  /** The byte's value. */
  byte: number;
  /** The file starts with a UTF-16 byte-order mark (FF FE or FE FF). */
  utf16?: boolean;
}

/** The text (a BOM is kept: callers strip it), or where the first non-UTF-8 byte is. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { error: Utf8Error } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { error: firstBadByte(bytes) };
  }
}

/**
 * The first invalid byte: decode leniently and walk the U+FFFD replacement characters; the text
 * before one re-encodes to exactly the bytes before it, and a U+FFFD written in the file as its
 * valid encoding EF BF BD is skipped.
 */
function firstBadByte(bytes: Uint8Array): Utf8Error {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  const enc = new TextEncoder();
  let offset = 0;
  let from = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    offset += enc.encode(text.slice(from, i)).length;
    from = i + 1;
    if (bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd) { offset += 3; continue; }
    break;
  }
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  return { offset, line: lineAt(bytes, offset), byte: bytes[offset], ...(utf16 ? { utf16 } : {}) };
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 10 || (bytes[i] === 13 && bytes[i + 1] !== 10)) line++;
  }
  return line;
}

/** `file:line: not UTF-8 ...` with the byte offset and what to do. */
export function utf8Message(file: string, e: Utf8Error): string {
  const hex = e.byte.toString(16).toUpperCase().padStart(2, '0');
  if (e.utf16) return `${file}:1: not UTF-8 but UTF-16 (it starts with the byte-order mark 0x${hex}); save the file as UTF-8 (iconv -f utf-16 -t utf-8)`;
  return `${file}:${e.line}: not UTF-8: byte 0x${hex} at byte offset ${e.offset}; save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)`;
}

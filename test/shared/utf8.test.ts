import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeUtf8, utf8Message } from '../../src/shared/utf8';

const bad = (bytes: Uint8Array) => { const r = decodeUtf8(bytes); assert.ok('error' in r); return r.error; };

test('valid UTF-8 decodes; the BOM is kept for the caller to drop', () => {
  assert.deepEqual(decodeUtf8(Buffer.from('\uFEFFcafé\n')), { text: '\uFEFFcafé\n' });
});

test('the first byte that is not UTF-8: offset, line (LF, CRLF, lone CR), value', () => {
  assert.deepEqual(bad(Buffer.from('ab\ncaf\xe9\n', 'latin1')), { offset: 6, line: 2, byte: 0xe9 });
  assert.deepEqual(bad(Buffer.from('a\r\nb\rc\xff', 'latin1')), { offset: 6, line: 3, byte: 0xff });
  // A U+FFFD written as UTF-8 (EF BF BD) and multi-byte characters before the bad byte are counted right.
  const bytes = Buffer.concat([Buffer.from('é\uFFFD€\n'), Buffer.from([0x80])]);
  assert.deepEqual(bad(bytes), { offset: 2 + 3 + 3 + 1, line: 2, byte: 0x80 });
  // A truncated sequence at the end.
  assert.deepEqual(bad(Buffer.from([0x61, 0xe2, 0x82])), { offset: 1, line: 1, byte: 0xe2 });
});

test('messages: Latin-1 and UTF-16', () => {
  assert.equal(utf8Message('p.csv', bad(Buffer.from('x\nGentoo\xe9\n', 'latin1'))), 'p.csv:2: not UTF-8: byte 0xE9 at byte offset 8; save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]);
  assert.equal(utf8Message('u.csv', bad(utf16)), 'u.csv:1: not UTF-8 but UTF-16 (it starts with the byte-order mark 0xFF); save the file as UTF-8 (iconv -f utf-16 -t utf-8)');
});

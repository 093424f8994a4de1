import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readSluSplit } from '../../src/data/slu';
import { DataError } from '../../src/data/dataError';
import { writeTree } from './fixtures';

const FILES = [{ file: 'label', level: 'sentence' as const }, { file: 'seq.out', level: 'token' as const }];

test('reads words, sentence labels and tags; trailing spaces and CRLF are fine', async () => {
  const dir = writeTree({
    'train/seq.in': 'play some jazz \r\nbook a table for two\n',
    'train/seq.out': 'O O B-genre \r\nO O O O B-party \n',
    'train/label': 'PlayMusic\r\nBookRestaurant\n',
  });
  const s = await readSluSplit(path.join(dir, 'train'), FILES);
  assert.deepEqual(s.words, [['play', 'some', 'jazz'], ['book', 'a', 'table', 'for', 'two']]);
  assert.deepEqual(s.sentence.label, ['PlayMusic', 'BookRestaurant']);
  assert.deepEqual(s.token['seq.out'], [['O', 'O', 'B-genre'], ['O', 'O', 'O', 'O', 'B-party']]);
});

test('maxLength truncates words and tags alike; limit keeps the first N', async () => {
  const dir = writeTree({
    'd/seq.in': 'a b c d e\nf g\nh\n',
    'd/seq.out': 'O B-x I-x O O\nO O\nO\n',
    'd/label': 'X\nY\nZ\n',
  });
  const s = await readSluSplit(path.join(dir, 'd'), FILES, { maxLength: 3, limit: 2 });
  assert.deepEqual(s.words, [['a', 'b', 'c'], ['f', 'g']]);
  assert.deepEqual(s.token['seq.out'], [['O', 'B-x', 'I-x'], ['O', 'O']]);
  assert.deepEqual(s.sentence.label, ['X', 'Y']);
});

test('a tag-count mismatch names file:line', async () => {
  const dir = writeTree({ 'd/seq.in': 'a b\nc d e\n', 'd/seq.out': 'O O\nO O\n', 'd/label': 'X\nY\n' });
  await assert.rejects(readSluSplit(path.join(dir, 'd'), FILES), (e: unknown) =>
    e instanceof DataError && e.where === `${path.join(dir, 'd', 'seq.out')}:2` && /2 tags for 3 words/.test(e.message));
});

test('line-count mismatch, empty sentence and missing file are clear errors', async () => {
  const a = writeTree({ 'd/seq.in': 'a\nb\n', 'd/seq.out': 'O\nO\n', 'd/label': 'X\n' });
  await assert.rejects(readSluSplit(path.join(a, 'd'), FILES), /label:2: 1 line, but .*seq\.in has 2 \(line 2 of seq\.in has no line here\)/);
  const b = writeTree({ 'd/seq.in': 'a\n\nb\n', 'd/seq.out': 'O\n\nO\n', 'd/label': 'X\nY\nZ\n' });
  await assert.rejects(readSluSplit(path.join(b, 'd'), FILES), (e: unknown) => e instanceof DataError && /seq\.in:2: empty sentence/.test(e.message));
  const c = writeTree({ 'd/seq.in': 'a\n', 'd/label': 'X\n' });
  await assert.rejects(readSluSplit(path.join(c, 'd'), FILES), /data file not found: .*seq\.out/);
});

test('an empty seq.in (a split with no sentences) names the file', async () => {
  const a = writeTree({ 'd/seq.in': '', 'd/seq.out': '', 'd/label': '' });
  await assert.rejects(readSluSplit(path.join(a, 'd'), FILES),
    (e: unknown) => e instanceof DataError && e.where === path.join(a, 'd', 'seq.in') && /seq\.in: no sentences: the d split is empty$/.test(e.message));
});

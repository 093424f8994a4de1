import test from 'node:test';
import assert from 'node:assert/strict';
import { buildVocab, encodeTokens } from '../../src/data/vocab';
import { PAD_ID, UNK_ID } from '../../src/data/types';

test('vocab: <pad>=0, <unk>=1, then by frequency, ties by string', () => {
  const v = buildVocab([['b', 'a', 'C'], ['c', 'a', 'd'], ['a', 'b']]);
  assert.deepEqual(v.tokens, ['<pad>', '<unk>', 'a', 'b', 'c', 'd']);
  assert.equal(PAD_ID, 0);
  assert.equal(UNK_ID, 1);
  assert.equal(v.index.get('c'), 4);
  // Same data in another order -> same ids.
  assert.deepEqual(buildVocab([['a', 'b'], ['c', 'a', 'd'], ['b', 'a', 'C']]).tokens, v.tokens);
});

test('vocab: minFreq and lowercase options; OOV maps to <unk>', () => {
  const sents = [['Paris', 'paris', 'Rome'], ['rome', 'Oslo']];
  const v = buildVocab(sents, { minFreq: 2 });
  assert.deepEqual(v.tokens, ['<pad>', '<unk>', 'paris', 'rome']);
  assert.deepEqual([...encodeTokens(['PARIS', 'oslo', 'berlin', 'Rome'], v, true)], [2, 1, 1, 3]);
  const cased = buildVocab(sents, { lowercase: false });
  assert.deepEqual(cased.tokens, ['<pad>', '<unk>', 'Oslo', 'Paris', 'Rome', 'paris', 'rome']);
  assert.deepEqual([...encodeTokens(['Paris', 'PARIS'], cased, false)], [3, 1]);
});

test('vocab: literal <pad>/<unk> words in the data do not get second ids', () => {
  const v = buildVocab([['<unk>', 'x', '<pad>']]);
  assert.deepEqual(v.tokens, ['<pad>', '<unk>', 'x']);
});

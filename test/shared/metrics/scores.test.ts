import test from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy, conllSpans, macroF1, mae, overallAccuracy, rmse, spanF1, spanF1ByType, tokenAccuracy,
} from '../../../src/shared/metrics/scores';

const spans = (tags: string) => conllSpans(tags ? tags.split(' ') : []).map((s) => `${s.type}[${s.start},${s.end})`);

test('conllSpans: BIO basics, sentence end, empty', () => {
  assert.deepEqual(spans('B-a I-a O B-b'), ['a[0,2)', 'b[3,4)']);
  assert.deepEqual(spans('O B-city I-city'), ['city[1,3)']);
  assert.deepEqual(spans('O O O'), []);
  assert.deepEqual(spans(''), []);
});

test('conllSpans: I- without a preceding B-/I- of its type starts a new span (conlleval)', () => {
  assert.deepEqual(spans('I-a I-a O'), ['a[0,2)']);
  assert.deepEqual(spans('O I-a'), ['a[1,2)']);
  assert.deepEqual(spans('B-a I-b I-b'), ['a[0,1)', 'b[1,3)']);
  assert.deepEqual(spans('B-a I-a I-b I-a'), ['a[0,2)', 'b[2,3)', 'a[3,4)']);
});

test('conllSpans: adjacent spans of the same and of different types', () => {
  assert.deepEqual(spans('B-a B-a'), ['a[0,1)', 'a[1,2)']);
  assert.deepEqual(spans('B-a I-a B-a I-a'), ['a[0,2)', 'a[2,4)']);
  assert.deepEqual(spans('I-a B-a'), ['a[0,1)', 'a[1,2)']);
  assert.deepEqual(spans('B-a B-b I-b'), ['a[0,1)', 'b[1,3)']);
  // Types with hyphens keep everything after the first '-'.
  assert.deepEqual(spans('B-object_part_of_series_type I-object_part_of_series_type'), ['object_part_of_series_type[0,2)']);
  assert.deepEqual(spans('B-time-range I-time-range'), ['time-range[0,2)']);
});

test('conllSpans: IOBES tags', () => {
  assert.deepEqual(spans('S-a S-a'), ['a[0,1)', 'a[1,2)']);
  assert.deepEqual(spans('B-a E-a B-a I-a E-a O'), ['a[0,2)', 'a[2,5)']);
  assert.deepEqual(spans('B-a E-a E-a'), ['a[0,2)', 'a[2,3)']);
});

test('spanF1: exact type and both boundaries', () => {
  const gold = [['B-a', 'I-a', 'O', 'B-b'], ['B-c', 'O']];
  // a: right boundary wrong; b: right; c: right boundaries but wrong type.
  const pred = [['B-a', 'O', 'O', 'B-b'], ['B-d', 'O']];
  const s = spanF1(pred, gold);
  assert.deepEqual({ c: s.correct, p: s.predicted, g: s.gold }, { c: 1, p: 3, g: 3 });
  assert.equal(s.precision, 1 / 3);
  assert.equal(s.recall, 1 / 3);
  assert.ok(Math.abs(s.f1 - 1 / 3) < 1e-12);
  // Perfect.
  assert.equal(spanF1(gold, gold).f1, 1);
  // Micro averaging: precision and recall differ when counts differ.
  const m = spanF1([['B-a', 'B-a', 'B-b', 'O']], [['B-a', 'O', 'O', 'O']]);
  assert.deepEqual([m.precision, m.recall], [1 / 3, 1]);
  assert.equal(m.f1, 0.5);
  // I- start in the prediction counts as a span (and a wrong one here).
  const i = spanF1([['O', 'I-a', 'I-a']], [['O', 'B-a', 'I-a']]);
  assert.equal(i.f1, 1, 'I-a I-a after O is the same span as B-a I-a');
  const j = spanF1([['B-a', 'I-b']], [['B-a', 'I-a']]);
  assert.deepEqual([j.correct, j.predicted, j.gold], [0, 2, 1]);
});

test('spanF1: empty cases', () => {
  assert.deepEqual(spanF1([], []), { precision: 0, recall: 0, f1: 0, correct: 0, predicted: 0, gold: 0 });
  assert.deepEqual(spanF1([['O']], [['O']]).f1, 0);
  const onlyPred = spanF1([['B-a']], [['O']]);
  assert.deepEqual([onlyPred.precision, onlyPred.recall, onlyPred.f1], [0, 0, 0]);
  assert.throws(() => spanF1([['O']], [['O', 'O']]), /1 predicted tags for 2 gold/);
});

test('spanF1ByType', () => {
  const r = spanF1ByType([['B-a', 'O', 'B-b']], [['B-a', 'O', 'B-c']]);
  assert.deepEqual(Object.keys(r), ['a', 'b', 'c']);
  assert.equal(r.a.f1, 1);
  assert.deepEqual([r.b.predicted, r.b.gold, r.b.f1], [1, 0, 0]);
  assert.deepEqual([r.c.predicted, r.c.gold, r.c.f1], [0, 1, 0]);
});

test('accuracy skips missing gold; unseen gold labels count as wrong', () => {
  assert.equal(accuracy([1, 2, 3, 4], [1, 2, 0, 0]), 0.5);
  assert.equal(accuracy(['a', 'b', 'c'], ['a', null, 'unseen']), 0.5);
  assert.ok(Number.isNaN(accuracy([], [])));
  assert.throws(() => accuracy([1], [1, 2]), /1 predictions for 2 gold/);
});

test('macroF1 over classes present in gold or predictions', () => {
  // class 0: tp 1 fp 0 fn 1 -> 2/3; class 1: tp 1 fp 1 fn 0 -> 2/3; class 2 absent everywhere.
  assert.ok(Math.abs(macroF1([0, 1, 1], [0, 0, 1], 3) - 2 / 3) < 1e-12);
  // A class only predicted (never gold) counts with F1 0.
  assert.ok(Math.abs(macroF1([0, 2], [0, 1], 3) - (1 + 0 + 0) / 3) < 1e-12);
  assert.equal(macroF1([1, 1], [1, 1]), 1);
  // A row with missing gold is ignored entirely (its prediction does not count as a false positive).
  assert.equal(macroF1(['x', 'y'], ['x', null]), 1);
});

test('tokenAccuracy and overallAccuracy', () => {
  const goldT = [['B-a', 'O'], ['O', 'B-b', 'I-b']];
  const predT = [['B-a', 'O'], ['O', 'B-b', 'O']];
  assert.equal(tokenAccuracy(predT, goldT), 4 / 5);
  // sentence 1: intent right, tags right -> 1; sentence 2: tags wrong -> 0; sentence 3: intent wrong.
  assert.equal(overallAccuracy(['x', 'y', 'z'], ['x', 'y', 'q'], [...predT, ['O']], [...goldT, ['O']]), 1 / 3);
  assert.equal(overallAccuracy([1], [1], [[]], [[]]), 1);
});

test('rmse and mae skip NaN gold', () => {
  assert.equal(rmse([1, 2, 3], [1, 2, 5]), Math.sqrt(4 / 3));
  assert.equal(mae([1, 2, 3], [2, NaN, 5]), 1.5);
  assert.ok(Number.isNaN(rmse([1], [NaN])));
  assert.equal(mae(new Float32Array([1, 4]), new Float32Array([1, 1])), 1.5);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { makeBatches, paddingFraction } from '../../src/data/batches';
import type { EncodedSplit, PreparedData } from '../../src/data/types';
import { Rng } from '../../src/shared/rng';
import { makeExp } from './fixtures';

const exp = makeExp({ format: 'slu', path: '.' }, [
  { id: 'intent', kind: 'classification', label: 'label' },
  { id: 'slots', kind: 'tagging', label: 'seq.out' },
]);

/** n sentences with lengths 1..40 at random; token id = 2 + position, tag id = position % 3. */
function textData(n: number): PreparedData {
  const rng = new Rng(9);
  const tokens: Int32Array[] = [];
  const tags: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(40);
    tokens.push(Int32Array.from({ length: len }, (_, j) => 2 + j));
    tags.push(Int32Array.from({ length: len }, (_, j) => j % 3));
  }
  const split: EncodedSplit = {
    name: 'train', size: n, tokens,
    labels: { intent: { kind: 'class', values: Int32Array.from({ length: n }, (_, i) => i % 4) }, slots: { kind: 'tags', values: tags } },
    rawLabels: {},
  };
  return { kind: 'text', featureDim: 0, labelNames: { intent: ['a', 'b', 'c', 'd'], slots: ['x', 'y', 'z'] }, targetScale: {}, train: split, valid: split };
}

test('text batches: padded to their own longest sentence, tags -1 on padding, every example once', () => {
  const data = textData(203);
  const batches = makeBatches(data.train, data, exp, { batchSize: 16, shuffle: true, seed: 1 });
  assert.equal(batches.length, Math.ceil(203 / 16));
  const seen = batches.flatMap((b) => [...b.indices]).sort((a, b) => a - b);
  assert.deepEqual(seen, [...Array(203).keys()]);
  for (const b of batches) {
    assert.equal(b.seqLen, Math.max(...b.lengths!));
    assert.equal(b.tokens!.length, b.size * b.seqLen);
    const tags = b.targets.slots as Int32Array;
    const intent = b.targets.intent as Int32Array;
    for (let i = 0; i < b.size; i++) {
      const ex = b.indices[i];
      const len = b.lengths![i];
      assert.equal(len, data.train.tokens![ex].length);
      assert.equal(intent[i], ex % 4);
      for (let j = 0; j < b.seqLen; j++) {
        assert.equal(b.tokens![i * b.seqLen + j], j < len ? 2 + j : 0);
        assert.equal(tags[i * b.seqLen + j], j < len ? j % 3 : -1);
      }
    }
  }
});

test('bucketing cuts padding well below unbucketed batches', () => {
  const data = textData(2000);
  const bucketed = paddingFraction(makeBatches(data.train, data, exp, { batchSize: 32, shuffle: true, seed: 2 }));
  const plain = paddingFraction(makeBatches(data.train, data, exp, { batchSize: 32, shuffle: true, seed: 2, bucket: false }));
  assert.ok(plain > 0.35, `unbucketed padding ${plain}`);
  assert.ok(bucketed < plain / 4, `bucketed ${bucketed} vs plain ${plain}`);
});

test('same seed -> same batches; another seed -> another order; no shuffle keeps the split order', () => {
  const data = textData(300);
  const a = makeBatches(data.train, data, exp, { batchSize: 8, shuffle: true, seed: 5 });
  const b = makeBatches(data.train, data, exp, { batchSize: 8, shuffle: true, seed: 5 });
  const c = makeBatches(data.train, data, exp, { batchSize: 8, shuffle: true, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((x) => [...x.indices]), c.map((x) => [...x.indices]));
  const ordered = makeBatches(data.train, data, exp, { batchSize: 8, shuffle: false, seed: 5 });
  assert.deepEqual(ordered.flatMap((x) => [...x.indices]), [...Array(300).keys()]);
});

test('tabular batches carry feature rows and real targets (NaN kept)', () => {
  const tabExp = makeExp({ format: 'csv', path: 'x.csv', features: ['a', 'b'] }, [{ id: 'y', kind: 'regression', label: 'y' }]);
  const features = Array.from({ length: 5 }, (_, i) => Float32Array.of(i, -i));
  const split: EncodedSplit = { name: 'train', size: 5, features, labels: { y: { kind: 'real', values: Float32Array.of(0.5, NaN, 1, 2, 3) } }, rawLabels: {} };
  const data: PreparedData = { kind: 'tabular', featureDim: 2, labelNames: { y: [] }, targetScale: { y: { mean: 0, std: 1 } }, train: split, valid: split };
  const batches = makeBatches(split, data, tabExp, { batchSize: 2, shuffle: false, seed: 0 });
  assert.deepEqual(batches.map((b) => b.size), [2, 2, 1]);
  assert.deepEqual([...batches[0].features!], [0, -0, 1, -1]);
  assert.equal(batches[0].featureDim, 2);
  assert.equal(batches[0].seqLen, 0);
  assert.ok(Number.isNaN((batches[0].targets.y as Float32Array)[1]));
  assert.equal(batches[0].tokens, undefined);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { groupBySeedlessConfig, interpolateAt, meanSpread, meanStd } from '../../../src/shared/series/aggregate';

test('groups seeds of one config, keeps other configs apart', () => {
  const cfg = (seed: number, k: number) => ({ iterations: k, training: { seed } });
  const groups = groupBySeedlessConfig([
    { id: 'a', config: cfg(1, 3) }, { id: 'b', config: cfg(2, 3) }, { id: 'c', config: cfg(1, 1) }, { id: 'd' },
  ]);
  assert.deepEqual(groups.map((g) => g.runIds), [['a', 'b'], ['c'], ['d']]);
});

test('interpolateAt is linear inside and NaN outside', () => {
  const s = { x: [0, 10], y: [0, 5] };
  assert.equal(interpolateAt(s, 4), 2);
  assert.equal(interpolateAt(s, 10), 5);
  assert.ok(Number.isNaN(interpolateAt(s, 11)));
});

test('meanSpread aligns runs with different x on their common range', () => {
  const r = meanSpread([{ x: [0, 2, 4], y: [0, 2, 4] }, { x: [1, 3, 5], y: [3, 5, 7] }]);
  assert.deepEqual(r.x, [1, 2, 3, 4]);
  assert.deepEqual(r.mean, [2, 3, 4, 5]);
  assert.deepEqual(r.min, [1, 2, 3, 4]);
  assert.deepEqual(r.max, [3, 4, 5, 6]);
  assert.ok(Math.abs(r.std[0] - Math.SQRT2) < 1e-12);
  assert.equal(r.n, 2);
});

test('meanStd uses the sample std and ignores NaN', () => {
  assert.deepEqual(meanStd([1, 3, NaN]), { mean: 2, std: Math.SQRT2, n: 2 });
  assert.deepEqual(meanStd([5]), { mean: 5, std: 0, n: 1 });
});

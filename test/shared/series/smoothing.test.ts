import test from 'node:test';
import assert from 'node:assert/strict';
import { emaSmooth } from '../../../src/shared/series/smoothing';

test('weight 0 returns the input', () => {
  assert.deepEqual(emaSmooth([1, 5, 2], 0), [1, 5, 2]);
});

test('debiased EMA: first point equals the first value, then TensorBoard recurrence', () => {
  const out = emaSmooth([10, 20, 30], 0.5);
  // last = 5 -> /0.5 = 10; last = 2.5+10 = 12.5 -> /0.75; last = 6.25+15 = 21.25 -> /0.875
  assert.equal(out[0], 10);
  assert.ok(Math.abs(out[1] - 12.5 / 0.75) < 1e-12);
  assert.ok(Math.abs(out[2] - 21.25 / 0.875) < 1e-12);
});

test('a constant series stays constant (no pull towards zero)', () => {
  for (const v of emaSmooth([3, 3, 3, 3, 3], 0.9)) assert.ok(Math.abs(v - 3) < 1e-12);
});

test('non-finite values pass through and do not poison later points', () => {
  const out = emaSmooth([1, NaN, 1, Infinity, 1], 0.6);
  assert.ok(Number.isNaN(out[1]));
  assert.equal(out[3], Infinity);
  assert.ok(Math.abs(out[4] - 1) < 1e-12);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { finiteExtent, xExtent, yExtent } from '../../../src/shared/series/extent';

test('finiteExtent ignores NaN/Infinity and, for log, non-positive values', () => {
  assert.deepEqual(finiteExtent([3, NaN, -1, Infinity, 2]), [-1, 3]);
  assert.deepEqual(finiteExtent([3, 0, -1, 0.5], true), [0.5, 3]);
  assert.equal(finiteExtent([NaN]), undefined);
});

test('yExtent pads linearly, multiplicatively on log, and widens flat series', () => {
  assert.deepEqual(yExtent([{ x: [0, 1], y: [0, 10] }], { pad: 0.1 }), [-1, 11]);
  const [lo, hi] = yExtent([{ x: [0, 1], y: [0.01, 1] }], { log: true, pad: 0.5 })!;
  assert.ok(Math.abs(lo - 0.001) < 1e-12 && Math.abs(hi - 10) < 1e-9);
  assert.deepEqual(yExtent([{ x: [0, 1], y: [2, 2] }], { pad: 0 }), [1, 3]);
  assert.deepEqual(yExtent([{ x: [0, 1], y: [2, 2] }], { log: true, pad: 0 }), [1, 4]);
});

test('yExtent only looks at points inside the x view', () => {
  const s = { x: [0, 1, 2, 3], y: [100, 1, 2, 100] };
  assert.deepEqual(yExtent([s], { xDomain: [1, 2], pad: 0 }), [1, 2]);
  assert.deepEqual(xExtent([s, { x: [-5], y: [0] }]), [-5, 3]);
});

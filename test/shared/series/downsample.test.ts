import test from 'node:test';
import assert from 'node:assert/strict';
import { minMaxDownsample, StreamingSeries, visibleRange } from '../../../src/shared/series/downsample';

test('small series are returned unchanged', () => {
  assert.deepEqual(minMaxDownsample({ x: [0, 1, 2], y: [3, 4, 5] }, 10), { x: [0, 1, 2], y: [3, 4, 5] });
});

test('min/max downsampling keeps spikes, first and last point, in x order', () => {
  const n = 1000;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => Math.sin(i / 50));
  y[437] = 9; y[612] = -7;
  const out = minMaxDownsample({ x, y }, 20);
  assert.ok(out.x.length <= 2 * 20 + 2);
  assert.equal(out.x[0], 0);
  assert.equal(out.x[out.x.length - 1], n - 1);
  assert.ok(out.y.includes(9) && out.y.includes(-7));
  for (let i = 1; i < out.x.length; i++) assert.ok(out.x[i] > out.x[i - 1]);
});

test('a NaN inside a bucket survives downsampling (gaps stay visible)', () => {
  const x = Array.from({ length: 100 }, (_, i) => i);
  const y = x.map(() => 1);
  y[50] = NaN;
  const out = minMaxDownsample({ x, y }, 5);
  assert.ok(out.y.some(Number.isNaN));
});

test('visibleRange includes one neighbour each side', () => {
  const xs = [0, 10, 20, 30, 40, 50];
  assert.deepEqual(visibleRange(xs, 15, 35), [1, 5]);
  assert.deepEqual(visibleRange(xs, -5, 100), [0, 6]);
  assert.deepEqual(visibleRange(xs, 100, 200), [5, 6]);
});

test('StreamingSeries stays within capacity and keeps the extremes of a long stream', () => {
  const s = new StreamingSeries(64);
  for (let i = 0; i < 10_000; i++) s.push(i, i === 4321 ? 100 : i === 8765 ? -100 : Math.sin(i));
  assert.ok(s.length <= 64 && s.length >= 32);
  assert.equal(s.total, 10_000);
  assert.ok(s.y.includes(100) && s.y.includes(-100));
  for (let i = 1; i < s.length; i++) assert.ok(s.x[i] > s.x[i - 1]);
  assert.equal(s.lastX, 9999);
});

test('StreamingSeries rejects a capacity that cannot compact evenly', () => {
  assert.throws(() => new StreamingSeries(10));
});

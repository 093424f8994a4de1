import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/shared/rng';

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test('normal() has mean ~0 and variance ~1', () => {
  const r = new Rng(1);
  const n = 20000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
  assert.ok(Math.abs(s / n) < 0.03, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.05, `var ${s2 / n}`);
});

test('shuffle is a permutation and fork gives independent, reproducible streams', () => {
  const a = new Rng(3).shuffle([...Array(50).keys()]);
  assert.deepEqual([...a].sort((x, y) => x - y), [...Array(50).keys()]);
  assert.notDeepEqual(a, [...Array(50).keys()]);
  const f1 = new Rng(3).fork('dropout').next();
  assert.equal(f1, new Rng(3).fork('dropout').next());
  assert.notEqual(f1, new Rng(3).fork('gumbel').next());
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { BoundedSeries, wmean } from '../../src/runs/boundedSeries';
import { mergeStep } from '../../src/runs/eventMerge';
import type { StepEvent } from '../../src/shared/trainerProtocol';

/** Item = { x: step, v: value }; merge = weighted mean of both (what the store does). */
type P = { x: number; v: number };
const mean = (a: P, wa: number, b: P, wb: number): P => ({ x: wmean(a.x, wa, b.x, wb), v: wmean(a.v, wa, b.v, wb) });

test('memory stays bounded however many items are pushed', () => {
  const s = new BoundedSeries<P>(50, 40, mean);
  let maxSize = 0;
  for (let i = 0; i < 100_000; i++) {
    s.push({ x: i, v: Math.sin(i / 100) });
    maxSize = Math.max(maxSize, s.size);
  }
  assert.equal(s.count, 100_000);
  assert.ok(maxSize <= 50 + 40 + 1, `size reached ${maxSize}`);
  // The head really covers the whole history: weights add up to everything pushed.
  assert.equal(s.weighted().reduce((n, w) => n + w.weight, 0), 100_000);
  assert.ok(s.resolution >= 1024, `resolution ${s.resolution}`);
});

test('the newest tailSize items are kept exactly, in order', () => {
  const s = new BoundedSeries<P>(30, 16, mean);
  for (let i = 0; i < 5_000; i++) s.push({ x: i, v: i * i });
  const vals = s.values();
  const tail = vals.slice(-30);
  assert.deepEqual(tail, Array.from({ length: 30 }, (_, k) => ({ x: 4970 + k, v: (4970 + k) ** 2 })));
  assert.deepEqual(s.last(), { x: 4999, v: 4999 ** 2 });
});

test('downsampled head preserves the mean of what it covers, and stays in x order', () => {
  const s = new BoundedSeries<P>(10, 8, mean);
  const xs: number[] = [];
  for (let i = 0; i < 1_000; i++) { const v = (i * 7919) % 101; xs.push(v); s.push({ x: i, v }); }
  const w = s.weighted();
  const headW = w.slice(0, -10);
  const n = headW.reduce((a, b) => a + b.weight, 0);
  assert.equal(n, 990);
  const headMean = headW.reduce((a, b) => a + b.item.v * b.weight, 0) / n;
  const trueMean = xs.slice(0, 990).reduce((a, b) => a + b, 0) / 990;
  assert.ok(Math.abs(headMean - trueMean) < 1e-9, `${headMean} vs ${trueMean}`);
  for (let i = 1; i < w.length; i++) assert.ok(w[i].item.x > w[i - 1].item.x, `x not increasing at ${i}`);
  // Uniform resolution: every full head bucket stands for the same number of items.
  const full = headW.slice(0, -1).map((b) => b.weight);
  assert.ok(full.every((x) => x === full[0]), `bucket weights ${full}`);
});

test('fewer items than the tail: nothing is merged', () => {
  const s = new BoundedSeries<P>(10, 4, mean);
  for (let i = 0; i < 7; i++) s.push({ x: i, v: i });
  assert.deepEqual(s.values().map((p) => p.x), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(s.resolution, 1);
});

test('bad sizes are refused', () => {
  assert.throws(() => new BoundedSeries<P>(0, 4, mean), /tailSize/);
  assert.throws(() => new BoundedSeries<P>(4, 1, mean), /headSize/);
});

test('mergeStep averages losses by weight and keeps keys of either side', () => {
  const a: StepEvent = { type: 'run/step', runId: 'r', t: 0, step: 1, epoch: 0, losses: { x: 1, y: 4 }, convergence: { x: 0 }, total: 2, lr: 1e-3, tau: 1, ms: 10 };
  const b: StepEvent = { type: 'run/step', runId: 'r', t: 30, step: 4, epoch: 1, losses: { x: 4 }, convergence: { x: 3 }, total: 5, lr: 1e-3, tau: 0.5, ms: 20 };
  const m = mergeStep(a, 2, b, 1);
  assert.equal(m.losses.x, 2);
  assert.equal(m.losses.y, 4);
  assert.equal(m.convergence.x, 1);
  assert.equal(m.total, 3);
  assert.equal(m.step, 2);
  assert.equal(m.t, 10);
  assert.equal(m.epoch, 1);
});

test('mergeStep averages the streamed loss weights too (and keeps a side that has them)', () => {
  const a: StepEvent = { type: 'run/step', runId: 'r', t: 0, step: 1, epoch: 1, losses: { x: 1 }, convergence: {}, weights: { x: 1, y: 0.5 }, total: 2, lr: 1e-3, tau: 1, ms: 10 };
  const b: StepEvent = { type: 'run/step', runId: 'r', t: 30, step: 4, epoch: 1, losses: { x: 4 }, convergence: {}, weights: { x: 4, y: 2 }, total: 5, lr: 1e-3, tau: 1, ms: 20 };
  assert.deepEqual({ ...mergeStep(a, 2, b, 1).weights }, { x: 2, y: 1 });
  const old: StepEvent = { ...a, weights: undefined };
  assert.deepEqual(mergeStep(old, 1, b, 1).weights, { x: 4, y: 2 });
  assert.equal(mergeStep(old, 1, { ...b, weights: undefined }, 1).weights, undefined);
});

test('mergeStep averages soft sharing\'s tie penalty (and keeps a side that has it; hard-sharing steps stay without)', () => {
  const a: StepEvent = { type: 'run/step', runId: 'r', t: 0, step: 1, epoch: 1, losses: { x: 1 }, convergence: {}, tie: 0.3, total: 2, lr: 1e-3, tau: 1, ms: 10 };
  const b: StepEvent = { ...a, step: 4, tie: 0.6 };
  assert.ok(Math.abs(mergeStep(a, 2, b, 1).tie! - 0.4) < 1e-12);
  assert.equal(mergeStep({ ...a, tie: undefined }, 2, b, 1).tie, 0.6);
  assert.equal('tie' in mergeStep({ ...a, tie: undefined }, 1, { ...b, tie: undefined }, 1), false);
});

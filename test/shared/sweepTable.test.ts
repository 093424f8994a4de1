import test from 'node:test';
import assert from 'node:assert/strict';
import { validateSweep } from '../../src/shared/sweep';
import { buildSweepTable, exampleTerms, pairedDiff, sweepTableMarkdown } from '../../src/shared/sweepTable';
import type { PredictionsFile } from '../../src/shared/predictions/format';
import { Rng } from '../../src/shared/rng';

const sweep = { ...validateSweep({ experiment: 'e', seeds: [1, 2, 3], variants: ['static', 'gumbel'] }).sweep!, name: 't' };

test('mean ± sample std per cell over seeds, paired differences against the static cell, exact', () => {
  const r = (cellId: string, seed: number, acc: number, rmse: number) => ({ cellId, seed, runId: `${cellId}-${seed}`, metrics: { 'a.accuracy': acc, 'b.rmse': rmse } });
  const t = buildSweepTable(sweep, [
    r('static', 1, 0.80, 10), r('static', 2, 0.82, 12), r('static', 3, 0.84, 14),
    r('gumbel', 1, 0.83, 9), r('gumbel', 2, 0.85, 11), // seed 3 not finished
  ], 'test');
  assert.deepEqual(t.metrics, ['a.accuracy', 'b.rmse']);
  assert.equal(t.finished, 5);
  assert.equal(t.runs, 6);
  const [s, g] = t.rows;
  assert.equal(s.baselineId, undefined);
  assert.equal(g.baselineId, 'static');
  assert.ok(Math.abs(s.metrics['a.accuracy'].mean - 0.82) < 1e-12);
  assert.ok(Math.abs(s.metrics['a.accuracy'].std - 0.02) < 1e-12);
  assert.deepEqual(s.metrics['b.rmse'], { mean: 12, std: 2, n: 3, values: [10, 12, 14] });
  assert.equal(g.finished, 2);
  // Paired on seeds 1 and 2 only: (0.83-0.80, 0.85-0.82) = 0.03 each -> every resample gives 0.03.
  const d = g.vsBaseline!['a.accuracy'];
  assert.equal(d.pairs, 2);
  assert.equal(d.over, 'seeds');
  assert.ok(Math.abs(d.diff - 0.03) < 1e-12 && Math.abs(d.lo - 0.03) < 1e-12 && Math.abs(d.hi - 0.03) < 1e-12);
  assert.deepEqual(g.vsBaseline!['b.rmse'], { diff: -1, lo: -1, hi: -1, pairs: 2, over: 'seeds' });
  const md = sweepTableMarkdown(t);
  assert.match(md, /\| variant=static \(baseline\) \| 3\/3 \| 82\.0 ± 2\.0 \| 12\.0 ± 2\.00 \|/);
  assert.match(md, /\| variant=gumbel \| variant=static \| 2 \| \+3\.0 \[\+3\.0, \+3\.0\] \| -1\.00 \[-1\.00, -1\.00\] \|/);
  assert.match(md, /test split at the best-valid checkpoint/);
  assert.match(md, /CI over the per-seed differences \(the metric is not a mean over examples, or the run folders have no per-example predictions; [^)]*\): a\.accuracy, b\.rmse\./);
});

test('bootstrap over test examples: paired resampling of the same examples; the CI covers the difference and is seeded', () => {
  // 200 examples; the cell gets 10 more right than the baseline on every seed.
  const base = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : 0));
  const better = base.map((v, i) => (i < 20 && v === 0 ? 1 : v));
  const pairs = [1, 2].map(() => ({ a: 0.6, b: 0.5, aEx: better, bEx: base }));
  const d = pairedDiff(pairs, new Rng(1));
  assert.equal(d.over, 'examples');
  assert.ok(Math.abs(d.diff - 0.1) < 1e-12);
  assert.ok(d.lo > 0 && d.lo < 0.05 + 1e-9 && d.hi > 0.05 && d.lo <= d.hi, `${d.lo} ${d.hi}`);
  assert.deepEqual(pairedDiff(pairs, new Rng(1)), d);
  // Identical predictions: no difference under any resample.
  const same = pairedDiff([{ a: 0.5, b: 0.5, aEx: base, bEx: base }], new Rng(2));
  assert.deepEqual([same.diff, same.lo, same.hi], [0, 0, 0]);
  // Mismatched lengths fall back to the seeds.
  assert.equal(pairedDiff([{ a: 1, b: 0, aEx: [1], bEx: [0, 1] }], new Rng(3)).over, 'seeds');
});

test('per-example terms from a predictions file: accuracy, MAE and SLU sentence accuracy, each equal on average to the scored metric', () => {
  const file = {
    header: {
      format: 'fmtl-predictions', version: 1, runId: 'r', split: 'test', checkpoint: { kind: 'best', epoch: 1, step: 1 }, iterations: 1, input: 'text',
      tasks: [{ id: 'intent', kind: 'classification', labels: ['a', 'b'] }, { id: 'slots', kind: 'tagging', labels: ['O', 'B-x'] }], gates: {}, examples: 3,
    },
    examples: [
      { i: 0, gold: { intent: 'a', slots: ['O', 'B-x'] }, pred: { intent: [{ label: 'b', p: 0.6 }, { label: 'a', p: 0.7 }], slots: [{ tags: ['O', 'O'], p: [1, 1] }, { tags: ['O', 'B-x'], p: [1, 1] }] } },
      { i: 1, gold: { intent: 'b', slots: ['O', 'O'] }, pred: { intent: [{ label: 'b', p: 0.9 }, { label: 'b', p: 0.9 }], slots: [{ tags: ['O', 'O'], p: [1, 1] }, { tags: ['B-x', 'O'], p: [1, 1] }] } },
      { i: 2, gold: { intent: 'a', slots: ['O', 'O'] }, pred: { intent: [{ label: 'a', p: 0.9 }, { label: 'b', p: 0.5 }], slots: [{ tags: ['O', 'O'], p: [1, 1] }, { tags: ['O', 'O'], p: [1, 1] }] } },
    ],
  } as unknown as PredictionsFile;
  const t = exampleTerms(file);
  assert.deepEqual(t, { 'intent.accuracy': [1, 1, 0], '_overall.accuracy': [1, 0, 0] });
});

import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeBatches } from '../../src/data/batches';
import { evaluate, evaluateSplit, subsetSplit, trainEvalIndices } from '../../src/trainer/evaluate';
import { buildModel } from '../../src/trainer/model/feedbackModel';
import { arrow, tabularData, textData, textExperiment } from './synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

test('trainEvalIndices: all examples up to the limit, else a fixed sorted seeded sample', () => {
  assert.deepEqual(trainEvalIndices(5, 1, 10), [0, 1, 2, 3, 4]);
  const a = trainEvalIndices(100, 1, 20);
  assert.equal(a.length, 20);
  assert.equal(new Set(a).size, 20);
  assert.deepEqual(a, [...a].sort((x, y) => x - y));
  assert.ok(a.every((i) => i >= 0 && i < 100));
  assert.deepEqual(trainEvalIndices(100, 1, 20), a);
  assert.notDeepEqual(trainEvalIndices(100, 2, 20), a);
  assert.notDeepEqual(a, [...Array(20).keys()], 'a sample, not the first examples');
});

test('subsetSplit keeps tokens, words, labels and raw labels of the chosen examples', () => {
  const d = textData(12);
  const s = subsetSplit(d.train, [5, 2]);
  assert.equal(s.size, 2);
  assert.deepEqual(s.tokens, [d.train.tokens![5], d.train.tokens![2]]);
  assert.deepEqual(s.words, [d.train.words![5], d.train.words![2]]);
  const intent = d.train.labels.intent as { values: Int32Array };
  assert.deepEqual([...(s.labels.intent as { values: Int32Array }).values], [intent.values[5], intent.values[2]]);
  assert.deepEqual(s.rawLabels.slots, [d.train.rawLabels.slots[5], d.train.rawLabels.slots[2]]);
  const t = tabularData(10);
  const u = subsetSplit(t.train, [9, 0]);
  assert.deepEqual(u.features, [t.train.features![9], t.train.features![0]]);
  assert.ok(Number.isNaN((u.labels.reg as { values: Float32Array }).values[0]) === Number.isNaN((t.train.labels.reg as { values: Float32Array }).values[9]));
});

test('evaluate uses length-bucketed batches and maps predictions back by index', () => {
  const data = textData(48);
  const exp = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 'gumbel' })]);
  exp.training.batchSize = 8;
  const model = buildModel(exp, data, 3);
  try {
    const r = evaluate(model, data, 'train');
    // Bucketed batches pad less than batches in file order.
    const pad = (bucket: boolean) => {
      const bs = makeBatches(data.train, data, exp, { batchSize: 8, shuffle: false, bucket, seed: 1 });
      return bs.reduce((s, b) => s + b.size * b.seqLen, 0);
    };
    assert.ok(pad(true) < pad(false), `${pad(true)} vs ${pad(false)} token slots`);
    // The same examples in reverse order form different batches; the metrics must not change.
    const rev = subsetSplit(data.train, [...Array(data.train.size).keys()].reverse());
    const r2 = evaluateSplit(model, data, exp, rev, 'train');
    assert.deepEqual(r2.metrics, r.metrics);
    for (const id of ['intent', 'slots']) assert.ok(Math.abs(r2.losses[id] - r.losses[id]) < 1e-5, id);
    assert.equal(r.examples, 48);
  } finally {
    model.dispose();
  }
});

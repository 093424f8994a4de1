/**
 * Token-level intent (`"tokenLevel": true` on a classification task): the head's loss, fed-back
 * output and both votes against hand computations, padding never matters, the gradient matches
 * finite differences, and the model wires the tower per token with a per-sentence output.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Batch } from '../../../src/data/types';
import { buildModel } from '../../../src/trainer/model/feedbackModel';
import { heads, type Head } from '../../../src/trainer/model/head';
import { lengthMask } from '../../../src/trainer/model/layers';
import { ParamScope } from '../../../src/trainer/model/params';
import { arrow, batchesOf, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const B = 3, T = 4, C = 3;
const lengths = Int32Array.from([4, 2, 3]);
const batch = { size: B, seqLen: T, lengths } as unknown as Batch;
const mask = () => tf.tensor2d(lengthMask(lengths, T), [B, T]);
// Sentence 0: tokens vote 0,0,1,1 (a tie) with class 1 more confident; sentence 1: 2,2; sentence 2: 0,2,2 with 0 very confident.
const L = [
  [[2, 0, 0], [2, 0, 0], [0, 5, 0], [0, 5, 0]],
  [[0, 0, 1], [0, 0, 1], [9, 9, 9], [9, 9, 9]],
  [[20, 0, 0], [0, 0, 1], [0, 0, 1], [7, 7, 7]],
];

function head(vote: 'mean' | 'majority'): Head {
  return heads.get('token-classification')({ inDim: 2, outDim: C, task: { id: 'i', kind: 'classification', label: 'label', blocks: [], tokenLevel: true, vote } }, ParamScope.root(1).scope('h'));
}

const logSoftmaxRow = (r: number[]) => { const m = Math.max(...r); const z = Math.log(r.reduce((s, x) => s + Math.exp(x - m), 0)) + m; return r.map((x) => x - z); };

test('loss: mean over each sentence\'s real tokens of the cross-entropy against its label, then over labelled sentences', () => {
  const h = head('mean');
  const labels = Int32Array.from([1, 2, -1]); // the third sentence is unlabelled
  const t = h.targets(labels, batch);
  assert.equal(t.count, 2);
  const got = h.loss(tf.tensor3d(L), t).dataSync()[0];
  let expected = 0;
  [0, 1].forEach((b) => {
    let s = 0;
    for (let k = 0; k < lengths[b]; k++) s -= logSoftmaxRow(L[b][k])[labels[b]];
    expected += s / lengths[b];
  });
  assert.ok(Math.abs(got - expected / 2) < 1e-5, `${got} vs ${expected / 2}`);
});

test('output = softmax(mean token log-prob); mean vote = its argmax; majority vote breaks ties by confidence; padding ignored', () => {
  const y = head('mean').output(tf.tensor3d(L), mask()).arraySync() as number[][];
  for (let b = 0; b < B; b++) {
    const mean = [0, 1, 2].map((c) => Array.from({ length: lengths[b] }, (_, k) => logSoftmaxRow(L[b][k])[c]).reduce((a, x) => a + x, 0) / lengths[b]);
    const expected = logSoftmaxRow(mean).map(Math.exp);
    expected.forEach((v, c) => assert.ok(Math.abs(y[b][c] - v) < 1e-5, `y[${b}][${c}]`));
  }
  assert.deepEqual([...head('mean').decode(tf.tensor3d(L), mask()).dataSync()], [1, 2, 0]);
  // Majority: sentence 0 ties 2-2 -> class 1 (higher mean log-prob); sentence 2: two votes for 2 beat one confident 0.
  assert.deepEqual([...head('majority').decode(tf.tensor3d(L), mask()).dataSync()], [1, 2, 2]);
  // What stands in padding changes nothing.
  const L2 = L.map((s, b) => s.map((r, k) => (k >= lengths[b] ? [-30, 40, 3] : r)));
  assert.deepEqual(head('mean').output(tf.tensor3d(L2), mask()).arraySync(), y);
  assert.deepEqual([...head('majority').decode(tf.tensor3d(L2), mask()).dataSync()], [1, 2, 2]);
});

test('gradient of loss + fed-back output w.r.t. the token logits matches central finite differences', () => {
  const h = head('mean');
  const labels = Int32Array.from([1, 2, 0]);
  const w = tf.tensor2d([[0.3, -1, 2], [1, 0.5, -0.2], [0.1, 0.2, 0.3]]);
  const f = (x: tf.Tensor) => tf.add(h.loss(x, h.targets(labels, batch)), tf.sum(tf.mul(h.output(x, mask()), w))) as tf.Scalar;
  const x0 = tf.tensor3d(L.map((s) => s.map((r) => r.map((v) => v / 10))));
  const g = tf.grad(f)(x0).dataSync();
  const base = x0.dataSync();
  const eps = 1e-2;
  for (let i = 0; i < base.length; i++) {
    const p = Float32Array.from(base), m = Float32Array.from(base);
    p[i] += eps; m[i] -= eps;
    const fd = (f(tf.tensor3d(p, [B, T, C])).dataSync()[0] - f(tf.tensor3d(m, [B, T, C])).dataSync()[0]) / (2 * eps);
    assert.ok(Math.abs(g[i] - fd) < 2e-3, `logit ${i}: ${g[i]} vs ${fd}`);
  }
  // Padded tokens get no gradient.
  assert.equal(g[(1 * T + 3) * C], 0);
});

test('in the model: the tower runs per token, arrows into it are broadcast, its output is one distribution per sentence', () => {
  const data = textData(24);
  const exp = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 1 })],
    [{ type: 'dense', units: 8, activation: 'relu', dropout: 0 }]);
  exp.tasks[0].tokenLevel = true;
  exp.tasks[0].blocks[0] = { type: 'bigru', units: 4, dropout: 0 };
  const model = buildModel(exp, data, 3);
  const intent = model.tasks.find((t) => t.id === 'intent')!;
  assert.equal(intent.level, 'sentence');
  assert.equal(intent.towerLevel, 'token');
  const [b] = batchesOf(data.valid, data, 6);
  tf.tidy(() => {
    const res = model.forward(b, { training: false });
    assert.deepEqual(res.tasks.intent.logits.shape, [b.size, b.seqLen, 2]);
    for (const y of res.tasks.intent.iterates) assert.deepEqual(y.shape, [b.size, 2]);
  });
  model.dispose();
});

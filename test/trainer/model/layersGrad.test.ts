/**
 * The layers with hand-written gradients (masked max-pooling, sentence -> token broadcast) give the
 * same values and gradients as the plain tfjs formulation they replace.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import { broadcastTokens, lengthMask, maskedMax } from '../../../src/trainer/model/layers';
import { Rng } from '../../../src/shared/rng';

test.before(async () => { await tf.setBackend('cpu'); });

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function assertClose(a: tf.Tensor, b: tf.Tensor, tol: number, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= tol, `${what}[${i}]: ${x[i]} vs ${y[i]}`);
}

test('maskedMax equals tf.max over the shifted input, value and gradient, with padding and an empty row', () => {
  const [B, T, D] = [4, 5, 3];
  // Row 2 has length 0 (all padding: every token ties after the shift); row 3 has a real tie.
  const base = randomTensor([B, T, D], 7).arraySync() as number[][][];
  base[3][0][1] = 2.5; base[3][2][1] = 2.5;
  const x = tf.tensor3d(base);
  const mask = tf.tensor2d(lengthMask([5, 2, 0, 3], T), [B, T]);
  const w = randomTensor([B, D], 11); // a non-uniform upstream gradient
  const reference = (v: tf.Tensor) => tf.max(tf.add(v, tf.mul(tf.sub(tf.expandDims(mask, 2), 1), 1e9)), 1);
  assertClose(maskedMax(x, mask), reference(x), 0, 'value');
  const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(maskedMax(v, mask), w)))(x);
  const theirs = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reference(v), w)))(x);
  assertClose(ours, theirs, 0, 'gradient');
  // The gradient really is routed: padding of row 1 gets nothing, the tie in row 3 is shared.
  const g = ours.arraySync() as number[][][];
  assert.equal(g[1][3][0], 0);
  assert.notEqual(g[3][0][1], 0);
  assert.equal(g[3][0][1], g[3][2][1]);
});

test('broadcastTokens equals tf.tile, value and gradient', () => {
  const x = randomTensor([3, 4], 3);
  const w = randomTensor([3, 6, 4], 5);
  const reference = (v: tf.Tensor) => tf.tile(tf.expandDims(v, 1), [1, 6, 1]);
  assertClose(broadcastTokens(x, 6), reference(x), 0, 'value');
  const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(broadcastTokens(v, 6), w)))(x);
  const theirs = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reference(v), w)))(x);
  assertClose(ours, theirs, 1e-6, 'gradient');
});

import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fileHandler, FileCheckpointStore, loadCheckpoint, resolveCheckpointDir } from '../../src/trainer/checkpointStore';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ckpt-'));

function state(seed: number) {
  // Awkward values on purpose: denormals, -0, huge, NaN must survive bit for bit.
  const w = new Float32Array([Math.PI * seed, -0, 1e-42, 3.4e38, NaN, -1.5, 2 ** -20, seed]);
  return {
    weights: [
      { name: 'encoder/dense0/kernel', tensor: tf.tensor2d(w, [2, 4]) },
      { name: 'task/species/head/bias', tensor: tf.tensor1d([seed, 2, 3]) },
      { name: 'ids', tensor: tf.tensor1d([1, -2, 3], 'int32') },
    ],
    optimizer: [
      { name: 'iter', tensor: tf.scalar(17 + seed) },
      { name: 'encoder/dense0/kernel/m', tensor: tf.randomNormal([2, 4], 0, 1, 'float32', seed) },
    ],
    epoch: 3 + seed,
    step: 120 + seed,
  };
}

function bits(t: tf.Tensor): number[] {
  const d = t.dataSync();
  return Array.from(d instanceof Float32Array ? new Uint32Array(d.buffer, d.byteOffset, d.length) : d as Int32Array);
}

test('IOHandler round trip is exact', async () => {
  await tf.setBackend('cpu');
  const dir = path.join(tmp(), 'h');
  const s = state(1);
  const { data, specs } = await tf.io.encodeWeights(s.weights);
  await fileHandler(dir).save!({ weightSpecs: specs, weightData: data, userDefinedMetadata: { a: 1 } });
  const back = await fileHandler(dir).load!();
  assert.deepEqual(back.weightSpecs, specs);
  assert.deepEqual(new Uint8Array(back.weightData as ArrayBuffer), new Uint8Array(data));
  assert.deepEqual(back.userDefinedMetadata, { a: 1 });
  const map = tf.io.decodeWeights(back.weightData!, back.weightSpecs!);
  for (const w of s.weights) {
    assert.deepEqual(map[w.name].shape, w.tensor.shape);
    assert.equal(map[w.name].dtype, w.tensor.dtype);
    assert.deepEqual(bits(map[w.name]), bits(w.tensor), w.name);
  }
  tf.dispose(Object.values(map));
  tf.dispose(s.weights.map((w) => w.tensor));
  tf.dispose(s.optimizer.map((w) => w.tensor));
});

test('store keeps best/ and last/, replaces them whole, and loads exactly', async () => {
  await tf.setBackend('cpu');
  const root = path.join(tmp(), 'checkpoints');
  const store = new FileCheckpointStore(root);
  const s1 = state(1);
  const s2 = state(2);
  assert.equal(await store.save('last', s1), path.join(root, 'last'));
  await store.save('best', s1);
  await store.save('last', s2);
  assert.deepEqual(fs.readdirSync(root).sort(), ['best', 'last'], 'no temporary folders left behind');
  const last = await loadCheckpoint(path.join(root, 'last'));
  assert.equal(last.epoch, s2.epoch);
  assert.equal(last.step, s2.step);
  assert.deepEqual(last.weights.map((w) => w.name), s2.weights.map((w) => w.name));
  assert.deepEqual(last.optimizer.map((w) => w.name), s2.optimizer.map((w) => w.name));
  for (const [a, b] of [...last.weights.map((w, i) => [w.tensor, s2.weights[i].tensor]), ...last.optimizer.map((w, i) => [w.tensor, s2.optimizer[i].tensor])]) {
    assert.deepEqual(bits(a), bits(b));
  }
  const best = await loadCheckpoint(path.join(root, 'best'));
  assert.equal(best.epoch, s1.epoch);
  assert.deepEqual(bits(best.weights[0].tensor), bits(s1.weights[0].tensor));
  // A run folder resolves to its last checkpoint.
  const runDir = path.dirname(root);
  assert.equal(resolveCheckpointDir(runDir), path.join(root, 'last'));
  // Died between the renames: only last.old exists -> still found.
  fs.renameSync(path.join(root, 'last'), path.join(root, 'last.old'));
  assert.equal(resolveCheckpointDir(runDir), path.join(root, 'last.old'));
  assert.throws(() => resolveCheckpointDir(tmp()), /no checkpoint found/);
  for (const s of [s1, s2, last, best]) tf.dispose([...s.weights, ...s.optimizer].map((w) => w.tensor));
});

test('the early-stopping monitor state travels with the checkpoint', async () => {
  await tf.setBackend('cpu');
  const root = path.join(tmp(), 'checkpoints');
  const s = { ...state(3), monitor: { metric: 'sex.accuracy', best: 0.9, bestEpoch: 4, bad: 2, bestValid: { sex: { accuracy: 0.9 } } } };
  await new FileCheckpointStore(root).save('last', s);
  const back = await loadCheckpoint(root);
  assert.deepEqual(back.monitor, s.monitor);
  const none = await (async () => { await new FileCheckpointStore(root).save('best', state(4)); return loadCheckpoint(path.join(root, 'best')); })();
  assert.equal(none.monitor, undefined);
  for (const x of [s, back, none]) tf.dispose([...x.weights, ...x.optimizer].map((w) => w.tensor));
});

test("the loss weighting's state travels with the checkpoint exactly (doubles, empty arrays); a malformed one is dropped", async () => {
  await tf.setBackend('cpu');
  const root = path.join(tmp(), 'checkpoints');
  const weighting = { type: 'gradnorm', state: { weights: [0.1 + 0.2, 2 - 0.1 - 0.2 + 1e-17], initial: [], m: [1e-300, -3.5], v: [0, 7], t: 12 } };
  const s = { ...state(5), weighting };
  await new FileCheckpointStore(root).save('last', s);
  const back = await loadCheckpoint(root);
  assert.deepEqual(back.weighting, weighting);
  const plainState = state(6);
  await new FileCheckpointStore(root).save('best', { ...plainState, weighting: { type: 'dwa', state: [1, 2] as unknown as Record<string, unknown> } });
  const bad = await loadCheckpoint(path.join(root, 'best'));
  assert.equal(bad.weighting, undefined);
  for (const x of [s, back, plainState, bad]) tf.dispose([...x.weights, ...x.optimizer].map((w) => w.tensor));
});

/**
 * FusedAdam (one kernel per variable on wasm/cpu) against tfjs's own Adam: same values, same slots,
 * same checkpoint state, over several steps.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { FusedAdam, makeOptimizer } from '../../../src/trainer/model/optimizer';
import { Rng } from '../../../src/shared/rng';

const shapes = [[40, 8], [8], [3, 2, 5]];

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return new Float32Array(n).map(() => rng.normal() * scale);
}

function makeVars(prefix: string): tf.Variable[] {
  const rng = new Rng(11);
  return shapes.map((s, i) => tf.variable(tf.tensor(randomArray(rng, s.reduce((a, b) => a * b, 1)), s), true, `${prefix}${i}`));
}

/** Gradients of step `k`, the same for both optimizers; some entries exactly zero (like unused embedding rows). */
function gradsOf(k: number, vars: tf.Variable[]): { name: string; tensor: tf.Tensor }[] {
  const rng = new Rng(100 + k);
  return vars.map((v) => {
    const g = randomArray(rng, v.size, k % 2 ? 1e-3 : 1);
    for (let j = 0; j < g.length; j += 3) g[j] = 0;
    return { name: v.name, tensor: tf.tensor(g, v.shape) };
  });
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-6): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

for (const backend of ['cpu', 'wasm']) {
  test(`FusedAdam equals tf.train.adam over 6 steps, state and resume included (${backend})`, async () => {
    await tf.setBackend(backend);
    await tf.ready();
    const ours = makeVars(`fused-${backend}-`), theirs = makeVars(`tfjs-${backend}-`);
    const fused = new FusedAdam(0.01), ref = tf.train.adam(0.01);
    const initial = ours[0].dataSync().slice();
    try {
      for (let k = 0; k < 6; k++) {
        const ga = gradsOf(k, ours), gb = gradsOf(k, theirs);
        // Step 3: a reshape shares the variable's buffer (so may a clone, on cpu): the update must
        // leave its values alone (no in-place write into a shared buffer).
        const snap = k === 3 ? tf.reshape(ours[0], [-1]) : undefined;
        const snapBefore = snap?.dataSync().slice();
        fused.applyGradients(ga);
        ref.applyGradients(gb);
        tf.dispose([...ga.map((g) => g.tensor), ...gb.map((g) => g.tensor)]);
        ours.forEach((v, i) => assertClose(v.dataSync(), theirs[i].dataSync(), `step ${k} var ${i}`));
        // Kernels see the new values too (wasm's matMul caches XNNPACK operators with packed
        // weights per tensor buffer: an update written into the old buffer would go unseen).
        const probe = tf.ones([2, shapes[0][0]]) as tf.Tensor2D;
        const pa = tf.matMul(probe, ours[0] as tf.Tensor2D), pb = tf.matMul(probe, theirs[0] as tf.Tensor2D);
        assertClose(pa.dataSync(), pb.dataSync(), `step ${k}: matMul with the updated weight`, 1e-5);
        tf.dispose([probe, pa, pb]);
        if (snap) {
          assert.deepEqual(snap.dataSync(), snapBefore, 'a tensor sharing the buffer keeps its values');
          snap.dispose();
        }
      }
      assert.ok(Math.abs(ours[0].dataSync()[1] - initial[1]) > 1e-3, 'the variables moved');
      // Same slots in the same order (checkpoints store them by position and name).
      const wa = await fused.getWeights(), wb = await ref.getWeights();
      assert.deepEqual(wa.map((w) => w.name.replace(/^fused-\w+-/, '')), wb.map((w) => w.name.replace(/^tfjs-\w+-/, '')));
      wa.forEach((w, i) => assertClose(w.tensor.dataSync(), wb[i].tensor.dataSync(), `slot ${w.name}`, 1e-6));
      // Resume: a fresh FusedAdam given the state continues exactly like the original.
      const resumed = new FusedAdam(0.01);
      await resumed.setWeights(wa.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
      const copies = ours.map((v, i) => tf.variable(v.clone(), true, `resumed-${backend}-${i}`));
      const g1 = gradsOf(7, ours), g2 = gradsOf(7, copies);
      fused.applyGradients(g1);
      resumed.applyGradients(g2);
      ours.forEach((v, i) => assertClose(v.dataSync(), copies[i].dataSync(), `resumed var ${i}`, 0));
      tf.dispose([...g1.map((g) => g.tensor), ...g2.map((g) => g.tensor), ...copies]);
      resumed.dispose();
    } finally {
      fused.dispose(); ref.dispose();
      tf.dispose([...ours, ...theirs]);
    }
  });
}

test('training.optimizer adam builds the fused Adam (tfjs defaults: beta 0.9 / 0.999)', () => {
  const opt = makeOptimizer({ optimizer: 'adam', learningRate: 0.002 } as Parameters<typeof makeOptimizer>[0]);
  assert.ok(opt instanceof FusedAdam);
  assert.deepEqual({ ...opt.getConfig(), epsilon: undefined }, { learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: undefined });
  opt.dispose();
});

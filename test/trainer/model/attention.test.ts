/**
 * Self-attention (`encoder.attention`): outputs do not depend on what stands in padding (values
 * and gradients), padded outputs are zero, one head equals a hand computation, the gradient matches
 * finite differences, and the encoder's widths follow `combine`.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import type { AttentionSpec } from '../../../src/shared/experimentTypes';
import { Rng } from '../../../src/shared/rng';
import { SelfAttention } from '../../../src/trainer/model/attention';
import { Dropout, type ForwardCtx } from '../../../src/trainer/model/context';
import { buildModel } from '../../../src/trainer/model/feedbackModel';
import { lengthMask } from '../../../src/trainer/model/layers';
import { ParamScope } from '../../../src/trainer/model/params';
import { batchesOf, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const B = 3, T = 5, D = 4;
const lengths = [5, 2, 3];
const ctx = (training = false): ForwardCtx => ({ training, batch: { size: B, seqLen: T }, dropout: new Dropout(training ? new Rng(1) : null, 'shared'), iteration: 0 });

function randomX(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: B * T * D }, () => rng.normal());
}

/** x with padding overwritten by large junk. */
function junkInPadding(x: Float32Array, seed: number): Float32Array {
  const rng = new Rng(seed);
  const y = Float32Array.from(x);
  lengths.forEach((n, b) => { for (let t = n; t < T; t++) for (let d = 0; d < D; d++) y[(b * T + t) * D + d] = 100 * rng.normal(); });
  return y;
}

function layer(spec: AttentionSpec, seed = 3): SelfAttention {
  return new SelfAttention(spec, D, ParamScope.root(seed).scope('att'), 'encoder/attention');
}

for (const combine of ['concat', 'add'] as const) {
  test(`${combine}: real-token outputs and gradients do not depend on padding; padded outputs are zero`, () => {
    const att = layer({ heads: 2, dim: 6, combine });
    const mask = tf.tensor2d(lengthMask(lengths, T), [B, T]);
    const x = randomX(5), xj = junkInPadding(x, 6);
    const y1 = att.apply(tf.tensor3d(x, [B, T, D]), mask, ctx()).arraySync() as number[][][];
    const y2 = att.apply(tf.tensor3d(xj, [B, T, D]), mask, ctx()).arraySync() as number[][][];
    assert.equal(y1[0][0].length, combine === 'concat' ? D + 6 : D);
    lengths.forEach((n, b) => {
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < y1[b][t].length; d++) {
          if (t < n) assert.ok(Math.abs(y1[b][t][d] - y2[b][t][d]) < 1e-5, `[${b}][${t}][${d}] ${y1[b][t][d]} vs ${y2[b][t][d]}`);
          else assert.ok(y2[b][t][d] === 0, `padded output [${b}][${t}][${d}]`);
        }
      }
    });
    // Gradient w.r.t. x of a loss over all outputs: zero at padding, the same at real tokens.
    const w = tf.tensor3d(randomX(7).slice(0, B * T).map((v) => v), [B, T, 1]);
    const g = (v: Float32Array) => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(att.apply(xx as tf.Tensor3D, mask, ctx()), w)))(tf.tensor3d(v, [B, T, D])).dataSync();
    const g1 = g(x), g2 = g(xj);
    lengths.forEach((n, b) => {
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) {
        const i = (b * T + t) * D + d;
        if (t < n) assert.ok(Math.abs(g1[i] - g2[i]) < 1e-4, `grad ${i}`);
        else assert.ok(g2[i] === 0, `padded grad ${i}`);
      }
    });
  });
}

test('one head, concat: [x | softmax(q k^T / sqrt(dim)) v] over the real tokens, by hand', () => {
  const att = layer({ heads: 1, dim: 2 });
  const x = randomX(9);
  const mask = tf.tensor2d(lengthMask(lengths, T), [B, T]);
  const y = att.apply(tf.tensor3d(x, [B, T, D]), mask, ctx()).arraySync() as number[][][];
  // Recompute with the layer's own projections (private fields, read for the check).
  const proj = (name: 'q' | 'k' | 'v') => (att as unknown as Record<string, { apply(t: tf.Tensor): tf.Tensor }>)[name].apply(tf.tensor3d(x, [B, T, D])).arraySync() as number[][][];
  const [q, k, v] = [proj('q'), proj('k'), proj('v')];
  lengths.forEach((n, b) => {
    for (let t = 0; t < n; t++) {
      const s = Array.from({ length: n }, (_, j) => (q[b][t][0] * k[b][j][0] + q[b][t][1] * k[b][j][1]) / Math.sqrt(2));
      const m = Math.max(...s);
      const e = s.map((z) => Math.exp(z - m));
      const z = e.reduce((a, c) => a + c, 0);
      for (let d = 0; d < 2; d++) {
        const expected = e.reduce((a, c, j) => a + (c / z) * v[b][j][d], 0);
        assert.ok(Math.abs(y[b][t][D + d] - expected) < 1e-5, `[${b}][${t}] attention ${d}`);
      }
      for (let d = 0; d < D; d++) assert.ok(Math.abs(y[b][t][d] - x[(b * T + t) * D + d]) < 1e-6, 'x passes through');
    }
  });
});

test('gradient w.r.t. the input and a weight matches central finite differences (add, 2 heads)', () => {
  const att = layer({ heads: 2, dim: 4, combine: 'add' });
  const mask = tf.tensor2d(lengthMask(lengths, T), [B, T]);
  const wOut = tf.tensor3d(randomX(11), [B, T, D]);
  const f = (xx: tf.Tensor) => tf.sum(tf.mul(tf.tanh(att.apply(xx as tf.Tensor3D, mask, ctx())), wOut)) as tf.Scalar;
  const x = randomX(12).map((v) => v * 0.5);
  const g = tf.grad(f)(tf.tensor3d(x, [B, T, D])).dataSync();
  const eps = 1e-2;
  for (let i = 0; i < x.length; i += 3) {
    const p = Float32Array.from(x), m = Float32Array.from(x);
    p[i] += eps; m[i] -= eps;
    const fd = (f(tf.tensor3d(p, [B, T, D])).dataSync()[0] - f(tf.tensor3d(m, [B, T, D])).dataSync()[0]) / (2 * eps);
    assert.ok(Math.abs(g[i] - fd) < 5e-3 * Math.max(1, Math.abs(fd)), `x[${i}]: ${g[i]} vs ${fd}`);
  }
});

test('encoder widths: concat adds dim to the token states, add keeps them; the sentence vector is [mean | max]', () => {
  const data = textData(16);
  for (const [combine, tokenDim] of [['concat', 12 + 8], ['add', 12]] as const) {
    const exp = textExperiment();
    exp.encoder = { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0, attention: { heads: 2, dim: 8, dropout: 0.1, combine } };
    const model = buildModel(exp, data, 1);
    assert.equal(model.encoder.tokenDim, tokenDim);
    assert.equal(model.encoder.outDim, 2 * tokenDim);
    const [b] = batchesOf(data.train, data, 4);
    tf.tidy(() => {
      const out = model.encoder.apply({ training: true, batch: model.forward(b, { training: false }).batch, dropout: new Dropout(new Rng(2), 'shared'), iteration: 0 });
      assert.deepEqual(out.tokens!.shape, [4, b.seqLen, tokenDim]);
    });
    model.dispose();
  }
});

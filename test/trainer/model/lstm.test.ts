/**
 * BiLSTM (`lstm.ts`): equals a plain per-sentence reference (PyTorch's equations over the real
 * tokens only, each direction from a zero state), ignores padding, and its gradient matches central
 * finite differences for the input, the feedback input and every weight.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import { Rng } from '../../../src/shared/rng';
import { lengthMask } from '../../../src/trainer/model/layers';
import { BiLstm } from '../../../src/trainer/model/lstm';
import { ParamScope } from '../../../src/trainer/model/params';

test.before(async () => { await tf.setBackend('cpu'); });

const B = 3, T = 5, D = 3, H = 2;
const lengths = [5, 2, 3];

function random(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** One direction over a sentence of n tokens: x rows [n][D] in reading order, weights of that direction. */
function reference(x: number[][], W: number[][], b: number[], U: number[][]): number[][] {
  let h = new Array(H).fill(0), c = new Array(H).fill(0);
  return x.map((xt) => {
    const z = Array.from({ length: 4 * H }, (_, k) => b[k] + xt.reduce((s, v, d) => s + v * W[d][k], 0) + h.reduce((s, v, j) => s + v * U[j][k], 0));
    const cNew = c.map((cv, j) => sigmoid(z[H + j]) * cv + sigmoid(z[j]) * Math.tanh(z[2 * H + j]));
    h = cNew.map((cv, j) => sigmoid(z[3 * H + j]) * Math.tanh(cv));
    c = cNew;
    return h;
  });
}

test('equals a per-sentence reference in both directions; padded outputs are zero and padding never matters', () => {
  const lstm = new BiLstm(ParamScope.root(4).scope('l'), D, H);
  const [kernel, bias, recurrent] = lstm.variables.map((v) => v.arraySync()) as [number[][], number[], number[][][]];
  const x = random(B * T * D, 5);
  const mask = tf.tensor2d(lengthMask(lengths, T), [B, T]);
  const y = lstm.apply(tf.tensor3d(x, [B, T, D]), mask).arraySync() as number[][][];
  const junk = Float32Array.from(x);
  lengths.forEach((n, b) => { for (let t = n; t < T; t++) for (let d = 0; d < D; d++) junk[(b * T + t) * D + d] = 50; });
  const yj = lstm.apply(tf.tensor3d(junk, [B, T, D]), mask).arraySync() as number[][][];
  const dir = (k: number) => ({
    W: kernel.map((row) => row.slice(k * 4 * H, (k + 1) * 4 * H)), b: bias.slice(k * 4 * H, (k + 1) * 4 * H), U: recurrent[k],
  });
  lengths.forEach((n, b) => {
    const xs = Array.from({ length: n }, (_, t) => Array.from(x.subarray((b * T + t) * D, (b * T + t + 1) * D)));
    const fw = reference(xs, dir(0).W, dir(0).b, dir(0).U);
    const bw = reference([...xs].reverse(), dir(1).W, dir(1).b, dir(1).U).reverse();
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < 2 * H; j++) {
        const expected = t < n ? (j < H ? fw[t][j] : bw[t][j - H]) : 0;
        assert.ok(Math.abs(y[b][t][j] - expected) < 1e-5, `[${b}][${t}][${j}]: ${y[b][t][j]} vs ${expected}`);
        assert.ok(Math.abs(yj[b][t][j] - expected) < 1e-5, `junk in padding [${b}][${t}][${j}]`);
      }
    }
  });
});

test('gradient matches central finite differences: input, feedback input and every weight', () => {
  const E = 2;
  const lstm = new BiLstm(ParamScope.root(6).scope('l'), D + E, H);
  const mask = tf.tensor2d(lengthMask(lengths, T), [B, T]);
  const w = tf.tensor3d(random(B * T * 2 * H, 7), [B, T, 2 * H]);
  const x0 = random(B * T * D, 8), e0 = random(B * T * E, 9);
  const loss = (x: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(lstm.apply(x as tf.Tensor3D, mask, e as tf.Tensor3D), w)) as tf.Scalar;
  const value = (x: Float32Array, e: Float32Array) => loss(tf.tensor3d(x, [B, T, D]), tf.tensor3d(e, [B, T, E])).dataSync()[0];
  const eps = 1e-2;
  const check = (label: string, g: ArrayLike<number>, base: Float32Array, f: (v: Float32Array) => number) => {
    for (let i = 0; i < base.length; i++) {
      const p = Float32Array.from(base), m = Float32Array.from(base);
      p[i] += eps; m[i] -= eps;
      const fd = (f(p) - f(m)) / (2 * eps);
      assert.ok(Math.abs(g[i] - fd) < 3e-3 * Math.max(1, Math.abs(fd)), `${label}[${i}]: ${g[i]} vs ${fd}`);
    }
  };
  const [gx, ge] = tf.grads(loss)([tf.tensor3d(x0, [B, T, D]), tf.tensor3d(e0, [B, T, E])]);
  check('x', gx.dataSync(), x0, (v) => value(v, e0));
  check('extra', ge.dataSync(), e0, (v) => value(x0, v));
  const { grads } = tf.variableGrads(() => loss(tf.tensor3d(x0, [B, T, D]), tf.tensor3d(e0, [B, T, E])), lstm.variables);
  for (const v of lstm.variables) {
    const base = v.dataSync().slice() as Float32Array;
    check(v.name, grads[v.name].dataSync(), base, (vals) => {
      const keep = v.clone();
      v.assign(tf.tensor(vals, v.shape));
      const r = value(x0, e0);
      v.assign(keep);
      return r;
    });
  }
  // Padded inputs get no gradient.
  assert.deepEqual(Array.from(gx.dataSync().subarray((1 * T + 3) * D, (1 * T + 4) * D)), [0, 0, 0]);
});

import test from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS bundle (what node loads with packages external) registers no gradients;
// a relative path makes esbuild bundle the ESM registration, which writes to the global registry.
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { BiGru, tanhF32 } from '../../../src/trainer/model/gru';
import { gruThreadReady, gruThreadStatus, setGruThreadMinWork, startGruThread, stopGruThread } from '../../../src/trainer/model/gruThreads';
import { Rng } from '../../../src/shared/rng';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Per-timestep, per-example GRU on plain arrays — the PyTorch formulation written out, with the
 * masking semantics spelled out separately: forward keeps state over padding, backward starts
 * from zero at the real end, outputs zero at padding.
 */
function naiveBiGru(x: number[][][], lengths: number[], gru: BiGru): number[][][] {
  const H = gru.hidden;
  const [kernel, bias, recurrent, recurrentBias] = gru.variables.map((v) => v.arraySync()) as
    [number[][], number[], number[][][], number[][][]];
  const B = x.length, T = x[0].length, D = x[0][0].length;
  const out = x.map(() => Array.from({ length: T }, () => new Array(2 * H).fill(0)));
  for (let b = 0; b < B; b++) {
    for (let dir = 0; dir < 2; dir++) {
      let h = new Array(H).fill(0);
      const order = [...Array(lengths[b]).keys()];
      if (dir === 1) order.reverse();
      for (const t of order) {
        const gi = (g: number, j: number) => {
          let s = bias[dir * 3 * H + g * H + j];
          for (let d = 0; d < D; d++) s += x[b][t][d] * kernel[d][dir * 3 * H + g * H + j];
          return s;
        };
        const gh = (g: number, j: number) => {
          let s = recurrentBias[dir][0][g * H + j];
          for (let k = 0; k < H; k++) s += h[k] * recurrent[dir][k][g * H + j];
          return s;
        };
        const next = new Array(H);
        for (let j = 0; j < H; j++) {
          const r = sig(gi(0, j) + gh(0, j));
          const z = sig(gi(1, j) + gh(1, j));
          const n = Math.tanh(gi(2, j) + r * gh(2, j));
          next[j] = (1 - z) * n + z * h[j];
        }
        h = next;
        for (let j = 0; j < H; j++) out[b][t][dir * H + j] = h[j];
      }
    }
  }
  return out;
}

function randomInput(seed: number, B: number, T: number, D: number, lengths: number[]) {
  const rng = new Rng(seed);
  const x = Array.from({ length: B }, () =>
    Array.from({ length: T }, () => Array.from({ length: D }, () => rng.normal())));
  const mask = lengths.map((L) => Array.from({ length: T }, (_, t) => (t < L ? 1 : 0)));
  return { x, mask };
}

function maxAbsDiff(a: number[][][], b: number[][][]): number {
  let m = 0;
  a.forEach((ab, i) => ab.forEach((at, j) => at.forEach((v, k) => { m = Math.max(m, Math.abs(v - b[i][j][k])); })));
  return m;
}

async function withBackend<T>(name: string, fn: () => T): Promise<T> {
  await tf.setBackend(name);
  await tf.ready();
  return fn();
}

const B = 4, T = 6, D = 5, H = 3;
const lengths = [6, 4, 1, 0];

for (const backend of ['cpu', 'wasm']) {
  test(`BiGru output equals a naive per-timestep reference with padding (${backend})`, async () => {
    await withBackend(backend, () => {
      const gru = new BiGru('enc', D, H, new Rng(11));
      const { x, mask } = randomInput(5, B, T, D, lengths);
      const y = gru.apply(tf.tensor3d(x), tf.tensor2d(mask));
      assert.deepEqual(y.shape, [B, T, 2 * H]);
      const got = y.arraySync() as number[][][];
      const want = naiveBiGru(x, lengths, gru);
      assert.ok(maxAbsDiff(got, want) < 1e-5, `max diff ${maxAbsDiff(got, want)}`);
      const viaOps = gru.applyOps(tf.tensor3d(x), tf.tensor2d(mask)).arraySync() as number[][][];
      assert.ok(maxAbsDiff(viaOps, want) < 1e-5, `op path max diff ${maxAbsDiff(viaOps, want)}`);
      // Padded steps are zero and the backward half at a sequence's last real step saw only that step.
      assert.ok(got[3].every((row) => row.every((v) => v === 0)));
      assert.ok(got[1][5].every((v) => v === 0));
      tf.dispose([y, ...gru.variables]);
    });
  });
}

test('parameters are seeded, named and uniform in ±1/sqrt(H)', async () => {
  await withBackend('cpu', () => {
    const make = () => {
      const g = new BiGru('g', 7, 16, new Rng(3));
      const out = { names: g.variables.map((v) => v.name), shapes: g.variables.map((v) => v.shape), values: g.variables.map((v) => v.dataSync().slice()) };
      tf.dispose(g.variables);
      return out;
    };
    const a = make(), b = make();
    assert.deepEqual(a.names, ['g/kernel', 'g/bias', 'g/recurrent', 'g/recurrentBias']);
    assert.deepEqual(a.shapes, [[7, 96], [96], [2, 16, 48], [2, 1, 48]]);
    const bound = 1 / Math.sqrt(16);
    a.values.forEach((va, i) => {
      assert.deepEqual(va, b.values[i]);
      assert.ok(va.every((v) => Math.abs(v) <= bound));
      assert.ok(Math.max(...va) > bound * 0.8 && Math.min(...va) < -bound * 0.8);
    });
  });
});

/**
 * Loss = sum of outputs weighted by a fixed random tensor, so every output matters differently.
 * Returns the loss, the gradients of every variable and of the input; on request also checks a few
 * entries of each variable against central finite differences.
 */
function gradsOf(backend: string, finiteDifferences: boolean, path: 'fused' | 'ops' = 'fused') {
  return withBackend(backend, () => {
    const gru = new BiGru('enc', D, H, new Rng(11));
    const run = (xx: tf.Tensor3D, mm: tf.Tensor2D) => (path === 'fused' ? gru.apply(xx, mm) : gru.applyOps(xx, mm));
    const { x, mask } = randomInput(5, B, T, D, lengths);
    const xt = tf.tensor3d(x), mt = tf.tensor2d(mask);
    const w = tf.tensor3d(randomInput(9, B, T, 2 * H, lengths).x);
    const f = () => tf.sum(tf.mul(run(xt, mt), w)) as tf.Scalar;
    const { value, grads } = tf.variableGrads(f, gru.variables);
    const inputGrad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(run(xx as tf.Tensor3D, mt), w)))(xt);
    const out = {
      value: value.dataSync()[0],
      grads: gru.variables.map((v) => Array.from(grads[v.name].dataSync())),
      inputGrad: Array.from(inputGrad.dataSync()),
    };
    if (finiteDifferences) {
      // float32: a loose tolerance, but wrong masking or a missing gate term is far outside it.
      const eps = 1e-2;
      gru.variables.forEach((v, vi) => {
        const base = v.dataSync().slice();
        for (const j of [0, Math.floor(base.length / 2), base.length - 1]) {
          const probe = (delta: number) => {
            const p = base.slice(); p[j] += delta;
            v.assign(tf.tensor(p, v.shape));
            return tf.tidy(() => f().dataSync()[0]);
          };
          const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
          v.assign(tf.tensor(base, v.shape));
          const analytic = out.grads[vi][j];
          assert.ok(Math.abs(numeric - analytic) < 2e-2 * Math.max(1, Math.abs(analytic)),
            `${v.name}[${j}]: numeric ${numeric} vs analytic ${analytic}`);
        }
      });
    }
    tf.dispose(gru.variables);
    return out;
  });
}

test('gradients are finite, match finite differences and agree between cpu and wasm', async () => {
  const wasm = await gradsOf('wasm', false);
  const cpu = await gradsOf('cpu', true);
  // The op-by-op graph differentiated by tfjs itself: the fused gradient kernel must agree with it.
  const reference = await gradsOf('cpu', false, 'ops');
  for (const [label, other] of [['wasm', wasm], ['tfjs autodiff of the op graph', reference]] as const) {
    assert.ok(Math.abs(cpu.value - other.value) < 1e-4, label);
    for (let i = 0; i < cpu.grads.length; i++) {
      assert.ok(cpu.grads[i].every(Number.isFinite));
      assert.ok(cpu.grads[i].some((g) => g !== 0), `variable ${i} gets gradient`);
      cpu.grads[i].forEach((g, j) => assert.ok(Math.abs(g - other.grads[i][j]) < 1e-4, `${label}: var ${i}[${j}]: ${g} vs ${other.grads[i][j]}`));
    }
    cpu.inputGrad.forEach((g, j) => assert.ok(Math.abs(g - other.inputGrad[j]) < 1e-4, `${label}: input grad ${j}`));
  }
  // Padding never receives gradient (example 3 has no real tokens, example 1 ends at t = 4).
  assert.ok(cpu.inputGrad.slice(3 * T * D).every((g) => g === 0));
  assert.ok(cpu.inputGrad.slice((1 * T + 4) * D, 2 * T * D).every((g) => g === 0));
  assert.ok(cpu.inputGrad.slice(1 * T * D, (1 * T + 4) * D).some((g) => g !== 0));
});

for (const backend of ['cpu', 'wasm']) {
  test(`no tensors leak across training steps, with or without an input gradient (${backend})`, async () => {
    await withBackend(backend, () => {
      const gru = new BiGru('leak', D, H, new Rng(2));
      const { x, mask } = randomInput(4, B, T, D, lengths);
      const xt = tf.tensor3d(x), mt = tf.tensor2d(mask);
      const step = (withInput: boolean) => tf.tidy(() => {
        const xv = withInput ? tf.variable(xt, true, 'leak/x') : xt;
        const vars = withInput ? [...gru.variables, xv as tf.Variable] : gru.variables;
        const { value, grads } = tf.variableGrads(() => tf.sum(gru.apply(xv as tf.Tensor3D, mt)) as tf.Scalar, vars);
        const out = value.dataSync()[0] + Object.values(grads).reduce((s, g) => s + tf.sum(g).dataSync()[0], 0);
        if (withInput) (xv as tf.Variable).dispose();
        return out;
      });
      try {
        step(true); step(false);
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) { step(false); step(true); }
        assert.equal(tf.memory().numTensors, before);
      } finally {
        tf.dispose([xt, mt, ...gru.variables]);
      }
    });
  });
}

for (const backend of ['cpu', 'wasm']) {
  test(`x + extra given apart (reused projection across iterations) equals the concatenated input (${backend})`, async () => {
    await withBackend(backend, () => {
      const E = 2;
      const gru = new BiGru('extra', D + E, H, new Rng(8));
      const { x, mask } = randomInput(6, B, T, D, lengths);
      const xt = tf.tensor3d(x), mt = tf.tensor2d(mask);
      const e1 = tf.tensor3d(randomInput(7, B, T, E, lengths).x), e2 = tf.tensor3d(randomInput(8, B, T, E, lengths).x);
      const w = tf.tensor3d(randomInput(9, B, T, 2 * H, lengths).x);
      try {
        // Like a feedback block: pass 0 without extra (zeros), then two iterations with the same x.
        const loss = (apart: boolean) => () => {
          const run = (e: tf.Tensor3D | null) => apart
            ? gru.apply(xt, mt, e)
            : gru.applyOps(tf.concat([xt, e ?? tf.zeros([B, T, E])], 2) as tf.Tensor3D, mt);
          const y = tf.addN([run(null), tf.mul(run(e1), 2), tf.mul(run(e2), 3)]);
          return tf.sum(tf.mul(y, w)) as tf.Scalar;
        };
        const a = tf.variableGrads(loss(true), gru.variables);
        const b = tf.variableGrads(loss(false), gru.variables);
        assert.ok(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-4);
        for (const v of gru.variables) {
          const ga = a.grads[v.name].dataSync(), gb = b.grads[v.name].dataSync();
          ga.forEach((g, j) => assert.ok(Math.abs(g - gb[j]) < 1e-4, `${v.name}[${j}]: ${g} vs ${gb[j]}`));
        }
        // A projection computed outside tf.grad is not reused inside it (the gradient would be lost).
        const outside = gru.apply(xt, mt, e1);
        const inside = tf.variableGrads(() => tf.sum(tf.mul(gru.apply(xt, mt, e1), w)) as tf.Scalar, gru.variables);
        const kernelGrad = inside.grads[gru.variables[0].name].dataSync();
        assert.ok(kernelGrad.slice(0, D * 6 * H).some((g) => g !== 0), 'kernel rows of x get gradient');
        assert.throws(() => gru.apply(xt, mt, tf.zeros([B, T, E + 1]) as tf.Tensor3D), /does not match inputDim/);
        tf.dispose([outside, a.value, b.value, inside.value, ...Object.values(a.grads), ...Object.values(b.grads), ...Object.values(inside.grads)]);
      } finally {
        tf.dispose([xt, mt, e1, e2, w, ...gru.variables]);
      }
    });
  });
}

test('tanhF32 matches Math.tanh to 2.5e-7 (and sigmoid through it) over the whole range', () => {
  let worst = 0, worstSig = 0;
  for (let x = -30; x <= 30; x += 1e-3) {
    worst = Math.max(worst, Math.abs(tanhF32(x) - Math.tanh(x)));
    worstSig = Math.max(worstSig, Math.abs(0.5 + 0.5 * tanhF32(0.5 * x) - sig(x)));
  }
  assert.ok(worst < 2.5e-7, `tanh max error ${worst}`);
  assert.ok(worstSig < 2.5e-7, `sigmoid max error ${worstSig}`);
  assert.equal(tanhF32(0), 0);
  assert.ok(tanhF32(1e-3) > 0 && tanhF32(-1e-3) < 0, 'odd around 0');
});

test('wasm: the second thread computes the backward direction with the same bits as one thread', async () => {
  const script = path.resolve(__dirname, '..', '..', '..', 'gruWorker.js'); // out/gruWorker.js
  assert.ok(fs.existsSync(script), `the tests build ${script}`);
  await withBackend('wasm', () => undefined);
  const Bw = 8, Tw = 7, Dw = 6, Hw = 5;
  const lens = [7, 5, 1, 0, 3, 7, 2, 6];
  const run = () => tf.tidy(() => {
    const gru = new BiGru('enc', Dw, Hw, new Rng(3));
    const { x, mask } = randomInput(8, Bw, Tw, Dw, lens);
    const xt = tf.tensor3d(x), mt = tf.tensor2d(mask);
    const w = tf.tensor3d(randomInput(4, Bw, Tw, 2 * Hw, lens).x);
    const f = () => tf.sum(tf.mul(gru.apply(xt, mt), w)) as tf.Scalar;
    const { value, grads } = tf.variableGrads(f, gru.variables);
    const inputGrad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(gru.apply(xx as tf.Tensor3D, mt), w)))(xt);
    const out = {
      y: Array.from(gru.apply(xt, mt).dataSync()),
      value: value.dataSync()[0],
      grads: gru.variables.map((v) => Array.from(grads[v.name].dataSync())),
      inputGrad: Array.from(inputGrad.dataSync()),
    };
    tf.dispose(gru.variables);
    return out;
  });
  const oneThread = run();
  setGruThreadMinWork(0);
  startGruThread(script);
  try {
    assert.equal(await gruThreadReady(), true, `worker not ready: ${gruThreadStatus().reason}`);
    const before = gruThreadStatus().jobsDone;
    const twoThreads = run();
    // forward (twice: once under the tape, once for y) and backward kernels, each handing off one direction
    assert.ok(gruThreadStatus().jobsDone - before >= 3, `jobs done by the worker: ${gruThreadStatus().jobsDone - before}`);
    assert.deepEqual(twoThreads, oneThread);
  } finally {
    stopGruThread();
    setGruThreadMinWork(16 * 1024);
  }
});

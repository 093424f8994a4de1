import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// Gradients live in an ESM-only subpath of tfjs-core; a relative path makes esbuild bundle it even
// though the test build keeps packages external (node cannot load that subpath unbundled).
import '../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { gatherRowsInto, registerProjectKernels, segmentSumInto } from '../../src/trainer/wasmKernels';
import { Rng } from '../../src/shared/rng';

registerProjectKernels();

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Run `f` on a backend and read every result back as plain arrays (tfjs has one active backend). */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array | Int32Array }[]> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} initialises`);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(f);
  const read = outs.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array | Int32Array }));
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before, `no tensors leak on ${backend}`);
  return read;
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    assert.ok(d <= tol * (1 + Math.abs(b[i])), `${what}: index ${i}: ${a[i]} vs ${b[i]}`);
  }
}

test('segmentSumInto drops negative and out-of-range ids', () => {
  const out = new Float32Array(3 * 2);
  // rows: [1,2] -> 0, [3,4] -> -1 (dropped), [5,6] -> 2, [7,8] -> 3 (dropped), [9,10] -> 0
  segmentSumInto(out, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, -1, 2, 3, 0], 2, 3);
  assert.deepEqual([...out], [10, 12, 0, 0, 5, 6]);
});

test('gatherRowsInto copies x[b, o, ids[b, i], :] to out[b, o, i, :], wide and narrow rows alike', () => {
  // x [2, 3, 2]: gather ids [2, 0, 2] along the middle axis
  const x = Float32Array.from({ length: 12 }, (_, i) => i);
  const out = new Float32Array(2 * 3 * 2);
  gatherRowsInto(out, x, [2, 0, 2], 1, 2, 3, 2);
  assert.deepEqual([...out], [4, 5, 0, 1, 4, 5, 10, 11, 6, 7, 10, 11]);
  const wide = Float32Array.from({ length: 3 * 20 }, (_, i) => i);
  const o2 = new Float32Array(2 * 20);
  gatherRowsInto(o2, wide, [1, 0], 1, 1, 3, 20);
  // batch 2 (batchDims): each batch's ids index its own slice; x [2, 3, 2], ids [[2], [0]]
  const o3 = new Float32Array(2 * 2);
  gatherRowsInto(o3, x, [2, 0], 2, 1, 3, 2);
  assert.deepEqual([...o3], [4, 5, 6, 7]);
  assert.deepEqual([...o2], [...wide.subarray(20, 40), ...wide.subarray(0, 20)]);
});

test('GatherV2 on wasm equals cpu bit for bit: embedding lookups, other axes, int32, batchDims, empty', async () => {
  const rng = new Rng(3);
  const table = randn(rng, 50 * 24);
  const ids = Int32Array.from({ length: 4 * 6 }, () => rng.int(50));
  const x3 = randn(rng, 3 * 5 * 7);
  const f = () => [
    tf.gather(tf.tensor2d(table, [50, 24]), tf.tensor2d(ids, [4, 6], 'int32')), // [B, T] ids: the embedding lookup
    tf.gather(tf.tensor2d(table, [50, 24]), tf.tensor1d([49, 0, 0, 7], 'int32')),
    tf.gather(tf.tensor3d(x3, [3, 5, 7]), tf.tensor1d([4, 1, 4], 'int32'), 1),
    tf.gather(tf.tensor3d(x3, [3, 5, 7]), tf.tensor1d([6, 0], 'int32'), 2), // rows of one value
    tf.gather(tf.tensor2d(Int32Array.from({ length: 12 }, (_, i) => i * 3 - 7), [4, 3], 'int32'), tf.tensor1d([3, 1], 'int32')),
    tf.gather(tf.tensor3d(x3, [3, 5, 7]), tf.tensor2d([[1, 2], [0, 0], [4, 3]], [3, 2], 'int32'), 1, 1), // batchDims 1: tfjs-wasm's own kernel got this wrong
    tf.gather(tf.tensor2d(table, [50, 24]), tf.tensor1d([], 'int32')),
    tf.gather(tf.tensor3d(x3, [3, 5, 7]), tf.tensor2d([[6, 0, 1], [2, 2, 5], [3, 4, 0]], [3, 3], 'int32'), 2, 1), // batchDims 1, outer 5, narrow rows
  ];
  const cpu = await on('cpu', f);
  const wasm = await on('wasm', f);
  for (let k = 0; k < cpu.length; k++) {
    assert.deepEqual(wasm[k].shape, cpu[k].shape, `result ${k}: shape`);
    assert.deepEqual([...wasm[k].values], [...cpu[k].values], `result ${k}: values`);
  }
  assert.ok(await tf.setBackend('wasm'));
  assert.throws(() => tf.tidy(() => tf.gather(tf.tensor2d(table, [50, 24]), tf.tensor1d([3, 50], 'int32')).dataSync()), /index value 50 is not in \[0, 49\]/);
});

test('UnsortedSegmentSum on wasm equals cpu, including bad ids, int32 and 2-D segment ids', async () => {
  const rng = new Rng(1);
  const x = randn(rng, 7 * 3);
  const ids = [4, 0, -2, 4, 9, 1, 0];
  const xi = Int32Array.from({ length: 6 * 2 }, (_, i) => i - 3);
  const f = () => [
    tf.unsortedSegmentSum(tf.tensor2d(x, [7, 3]), tf.tensor1d(ids, 'int32'), 5),
    tf.unsortedSegmentSum(tf.tensor2d(xi, [6, 2], 'int32'), tf.tensor1d([2, 2, -1, 0, 7, 1], 'int32'), 3),
    // tfjs types segmentIds as 1-D; the op (like TensorFlow) accepts any prefix of x's shape.
    tf.unsortedSegmentSum(tf.tensor3d(x.subarray(0, 12), [2, 3, 2]), tf.tensor2d([[0, 1, 1], [5, 0, 2]], [2, 3], 'int32') as unknown as tf.Tensor1D, 3),
  ];
  const cpu = await on('cpu', f);
  const wasm = await on('wasm', f);
  assert.deepEqual(cpu.map((r) => r.shape), [[5, 3], [3, 2], [3, 2]]);
  for (let k = 0; k < cpu.length; k++) {
    assert.deepEqual(wasm[k].shape, cpu[k].shape);
    assertClose(wasm[k].values, cpu[k].values, 1e-6, `case ${k}`);
  }
  // Hand-checked: segment 4 = rows 0 and 3; segment 2 and 3 empty; ids -2 and 9 dropped.
  for (let j = 0; j < 3; j++) {
    assert.ok(Math.abs(cpu[0].values[4 * 3 + j] - (x[0 * 3 + j] + x[3 * 3 + j])) < 1e-6);
    assert.equal(cpu[0].values[2 * 3 + j], 0);
  }
  assert.deepEqual([...cpu[1].values], [3, 4, 7, 8, -3 + -1, -2 + 0]);
});

test('gradient of tf.gather (embedding lookup) on wasm equals cpu', async () => {
  const rng = new Rng(2);
  const V = 50, D = 8;
  const table = randn(rng, V * D);
  const idx = Int32Array.from({ length: 4 * 6 }, () => rng.int(V));
  idx[0] = idx[5] = idx[7] = 3; // repeated ids must accumulate
  const w = randn(rng, 4 * 6 * D);
  const f = () => {
    const emb = tf.tensor2d(table, [V, D]);
    const g = tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor2d(idx, [4, 6], 'int32')), tf.tensor3d(w, [4, 6, D]))));
    const g1 = tf.grad((e: tf.Tensor) => tf.sum(tf.square(tf.gather(e, tf.tensor1d([1, 1, 0, 7], 'int32'), 1))));
    return [g(emb), g1(emb)];
  };
  const cpu = await on('cpu', f);
  const wasm = await on('wasm', f);
  for (let k = 0; k < cpu.length; k++) {
    assert.deepEqual(wasm[k].shape, [V, D]);
    assertClose(wasm[k].values, cpu[k].values, 1e-5, `gather grad ${k}`);
  }
  // Rows never looked up get exactly zero gradient.
  const used = new Set(idx);
  const unused = [...Array(V).keys()].find((r) => !used.has(r))!;
  assert.ok(unused !== undefined);
  for (let j = 0; j < D; j++) assert.equal(wasm[0].values[unused * D + j], 0);
});

test('transposed matMul on wasm equals cpu for every transpose combination, batched or not', async () => {
  const rng = new Rng(3);
  // [batch dims of a, batch dims of b, m, k, n]
  const cases: [number[], number[], number, number, number][] = [
    [[], [], 5, 7, 3],
    [[], [], 1, 4, 6],
    [[2], [2], 3, 4, 5],
    [[3, 2], [3, 2], 2, 6, 1],
    [[4], [4], 17, 9, 11],
  ];
  const fs: (() => tf.Tensor)[] = [];
  for (const [ba, bb, m, k, n] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const aShape = [...ba, ...(ta ? [k, m] : [m, k])];
        const bShape = [...bb, ...(tb ? [n, k] : [k, n])];
        const av = randn(rng, aShape.reduce((x, y) => x * y, 1));
        const bv = randn(rng, bShape.reduce((x, y) => x * y, 1));
        const bias = randn(rng, n);
        fs.push(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), ta, tb));
        fs.push(() => tf.fused.matMul({ a: tf.tensor(av, aShape), b: tf.tensor(bv, bShape), transposeA: ta, transposeB: tb, bias: tf.tensor1d(bias), activation: 'relu' }));
      }
    }
  }
  const f = () => fs.map((g) => g());
  const cpu = await on('cpu', f);
  const wasm = await on('wasm', f);
  assert.equal(wasm.length, cases.length * 8);
  for (let i = 0; i < cpu.length; i++) {
    assert.deepEqual(wasm[i].shape, cpu[i].shape, `case ${i} shape`);
    assertClose(wasm[i].values, cpu[i].values, 1e-5, `matMul case ${i}`);
  }
});

test('fused matMul with a bias on batched inputs equals cpu (wasm batched-bias bug fixed)', async () => {
  const rng = new Rng(5);
  const shapes: [number[], number[]][] = [[[2, 3, 4], [4, 5]], [[2, 3, 4], [2, 4, 5]], [[1, 3, 4], [2, 4, 5]], [[3, 2, 6, 4], [4, 5]], [[6, 4], [4, 5]]];
  const acts = ['linear', 'relu', 'sigmoid', 'elu', 'relu6', 'leakyrelu', 'prelu'] as const;
  const fs: (() => tf.Tensor)[] = [];
  for (const [as, bs] of shapes) {
    const av = randn(rng, as.reduce((x, y) => x * y, 1)), bv = randn(rng, bs.reduce((x, y) => x * y, 1));
    const bias = randn(rng, 5), alpha = randn(rng, 5);
    for (const activation of acts) {
      for (const tb of [false, true]) {
        const bShape = tb ? [...bs.slice(0, -2), bs[bs.length - 1], bs[bs.length - 2]] : bs;
        fs.push(() => tf.fused.matMul({
          a: tf.tensor(av, as), b: tf.tensor(bv, bShape), transposeB: tb, bias: tf.tensor1d(bias), activation,
          preluActivationWeights: activation === 'prelu' ? tf.tensor1d(alpha) : undefined, leakyreluAlpha: 0.1,
        }));
      }
    }
  }
  // and the gradients through a batched fused product with a bias. (tfjs-core 4.22's own fused
  // gradient fails for a [B, T, D] x [D, N] broadcast on every backend, so both sides are batched.)
  const xv = randn(rng, 2 * 3 * 4), wv = randn(rng, 2 * 4 * 5), bv = randn(rng, 5);
  const g = () => tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor3D, b: w as tf.Tensor3D, bias: b, activation: 'relu' }))))(
    [tf.tensor3d(xv, [2, 3, 4]), tf.tensor3d(wv, [2, 4, 5]), tf.tensor1d(bv)]);
  const f = () => [...fs.map((h) => h()), ...g()];
  const cpu = await on('cpu', f);
  const wasm = await on('wasm', f);
  assert.equal(cpu.length, shapes.length * acts.length * 2 + 3);
  for (let i = 0; i < cpu.length; i++) {
    assert.deepEqual(wasm[i].shape, cpu[i].shape, `case ${i} shape`);
    assertClose(wasm[i].values, cpu[i].values, 1e-5, `fused case ${i}`);
  }
});

test('matMul gradients on wasm equal cpu (they use the transposed forms)', async () => {
  const rng = new Rng(4);
  const x = randn(rng, 2 * 5 * 4), wv = randn(rng, 4 * 3);
  const f = () => {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(a, b))));
    return g([tf.tensor2d(x.subarray(0, 20), [5, 4]), tf.tensor2d(wv, [4, 3])]);
  };
  const cpu = await on('cpu', f);
  const wasm = await on('wasm', f);
  for (let i = 0; i < cpu.length; i++) assertClose(wasm[i].values, cpu[i].values, 1e-5, `grad ${i}`);
});

test('registerProjectKernels is idempotent', async () => {
  const before = [tf.getKernel('UnsortedSegmentSum', 'wasm'), tf.getKernel('UnsortedSegmentSum', 'cpu'), tf.getKernel('BatchMatMul', 'wasm'), tf.getKernel('_FusedMatMul', 'wasm')];
  registerProjectKernels();
  registerProjectKernels();
  const after = [tf.getKernel('UnsortedSegmentSum', 'wasm'), tf.getKernel('UnsortedSegmentSum', 'cpu'), tf.getKernel('BatchMatMul', 'wasm'), tf.getKernel('_FusedMatMul', 'wasm')];
  for (let i = 0; i < before.length; i++) assert.equal(after[i], before[i]);
  // Still computes correctly after repeated registration (no double wrapping).
  const r = await on('wasm', () => [tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 0], [1, 1]]), true, true)]);
  // a^T = [[1,3],[2,4]], b^T = [[1,1],[0,1]] -> [[1,4],[2,6]]
  assert.deepEqual([...r[0].values], [1, 4, 2, 6]);
});

test('wasm Identity shares memory: clones read the same values, outlive their source, and free it last', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const ids0 = backend.numDataIds();
  const a = tf.tensor([1, 2, 3, 4], [2, 2]);
  const c = tf.clone(a);
  assert.equal(backend.numDataIds(), ids0 + 1, 'no second buffer');
  a.dispose();
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3, 4]);
  c.dispose();
  assert.equal(backend.numDataIds(), ids0, 'freed with the last reference');
  // Through the gradient tape (which clones what it saves) the results stay those of cpu.
  const f = () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.square(x), tf.exp(x))))(tf.tensor([0.5, -1, 2]));
  const w = Array.from(f().dataSync());
  assert.ok(await tf.setBackend('cpu'));
  const cpu = Array.from(f().dataSync());
  w.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]) < 1e-5, `${v} vs ${cpu[i]}`));
});

import test from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { loadNativeKernels, nativeKernels, setNativeKernels, type NativeKernels } from '../../../src/trainer/native/nativeKernels';
import { registerProjectKernels } from '../../../src/trainer/wasmKernels';
import { adamLoop } from '../../../src/trainer/model/optimizer';
import { BiGru } from '../../../src/trainer/model/gru';
import { gruThreadReady, gruThreadStatus, setGruThreadMinWork, startGruThread, stopGruThread } from '../../../src/trainer/model/gruThreads';
import { Rng } from '../../../src/shared/rng';

// The addon is optional for a newcomer (no g++ or OpenBLAS: plain wasm), required in CI
// (.ci/run installs OpenBLAS and sets FMTL_REQUIRE_NATIVE=1), so these tests cannot pass vacuously there.
const note = loadNativeKernels(undefined); // cwd = the repository when run by `npm test`
const native = nativeKernels();
const skip = native ? false : `native kernels not built here (${note})`;
if (!native && process.env.FMTL_REQUIRE_NATIVE === '1') {
  test('native kernels are built (FMTL_REQUIRE_NATIVE=1)', () => assert.fail(note));
}
registerProjectKernels();

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}: index ${i}: ${a[i]} vs ${b[i]}`);
  }
}

/** Runs f on a backend, with or without the native kernels, and reads the results back. */
async function on(backend: 'cpu' | 'wasm', useNative: boolean, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend));
  setNativeKernels(useNative ? native : undefined);
  try {
    const before = tf.memory().numTensors;
    const outs = tf.tidy(f);
    const read = outs.map((t) => t.dataSync() as Float32Array);
    tf.dispose(outs);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    return read;
  } finally {
    setNativeKernels(native);
  }
}

test('native BatchMatMul on wasm equals the cpu backend: transposes, batches, broadcast batch, empty', { skip }, async () => {
  const rng = new Rng(7);
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[4, 5, 7], [4, 7, 3], false, false],
    [[4, 7, 5], [1, 3, 7], true, true], // b shared across the batch
    [[1, 5, 7], [4, 7, 3], false, false], // a shared
    [[2, 3, 5, 7], [2, 3, 7, 2], false, false],
    [[2, 1, 5, 7], [1, 3, 7, 2], false, false], // mixed broadcasting: the wasm kernel's case
    [[0, 7], [7, 3], false, false],
    [[5, 0], [0, 3], false, false],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const av = randn(rng, sa.reduce((x, y) => x * y, 1)), bv = randn(rng, sb.reduce((x, y) => x * y, 1));
    const f = () => [tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ta, tb)];
    const [want] = await on('cpu', false, f);
    const [got] = await on('wasm', true, f);
    assertClose(got, want, 1e-5, `${sa} x ${sb} ${ta} ${tb}`);
  }
});

test('native BatchMatMul gradients (every transposed form) equal the cpu backend', { skip }, async () => {
  const rng = new Rng(3);
  const a = randn(rng, 6 * 9 * 8), w = randn(rng, 8 * 5), u = randn(rng, 6 * 9 * 5);
  const f = () => {
    const wv = tf.tensor2d(w, [8, 5]);
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(tf.reshape(x, [54, 8]), y), tf.tensor2d(u, [54, 5]))));
    return g([tf.tensor(a, [6, 9, 8]), wv]);
  };
  const want = await on('cpu', false, f);
  const got = await on('wasm', true, f);
  want.forEach((w0, i) => assertClose(got[i], w0, 1e-5, `gradient ${i}`));
});

test('native Adam gives the same bits as the JavaScript loop', { skip }, () => {
  const rng = new Rng(5);
  const n = 10_001;
  const x = randn(rng, n), m = randn(rng, n).map((v) => v * 0.1), v = randn(rng, n).map((q) => q * q * 0.01), g = randn(rng, n);
  const attrs = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3 };
  const js = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  adamLoop(n, x, m, v, g, js[0], js[1], js[2], attrs);
  const nat = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  (native as NativeKernels).adam(n, x, m, v, g, nat[0], nat[1], nat[2], attrs.lr, attrs.beta1, attrs.beta2, attrs.epsilon, attrs.c1, attrs.c2);
  assert.deepEqual(nat, js);
});

test('native kernels refuse wrong arguments with an error, not a crash', { skip }, () => {
  const n = native as NativeKernels;
  const small = new Float32Array(3);
  assert.throws(() => n.sgemmBatch(0, 0, 1, 2, 2, 2, small, 0, small, 0, small, 0), /too short/);
  assert.throws(() => n.sgemmBatch(0, 0, 1, 1, 1, 1, [1] as unknown as Float32Array, 0, small, 0, small, 0), /Float32Array/);
  assert.throws(() => n.adam(10, small, small, small, small, small, small, small, 1, 1, 1, 1, 1, 1), /too short/);
});

/**
 * A BiGRU over random padded input, as a function for `on()`: the weighted-sum loss, the gradient
 * of every variable and the output (fresh variables from the same seed on every call).
 */
function biGruCase(seed: number, B: number, T: number, D: number, H: number, lengths: number[]): () => tf.Tensor[] {
  const rng = new Rng(seed);
  const x = randn(rng, B * T * D), w = randn(rng, B * T * 2 * H);
  const mask = new Float32Array(B * T).map((_, i) => (i % T < lengths[Math.floor(i / T)] ? 1 : 0));
  return () => {
    const gru = new BiGru('g', D, H, new Rng(4));
    const xt = tf.tensor3d(x, [B, T, D]), mt = tf.tensor2d(mask, [B, T]);
    const loss = () => tf.sum(tf.mul(gru.apply(xt, mt), tf.tensor3d(w, [B, T, 2 * H]))) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, gru.variables);
    const kept = [value, ...gru.variables.map((v) => grads[v.name]), gru.apply(xt, mt)].map((t) => t.clone());
    tf.dispose(gru.variables);
    return kept;
  };
}

test('BiGRU forward and gradients with native matrix products equal the cpu backend', { skip }, async () => {
  const f = biGruCase(2, 6, 9, 7, 5, [9, 4, 1, 0, 7, 9]);
  const want = await on('cpu', false, f);
  const got = await on('wasm', true, f);
  want.forEach((w0, i) => assertClose(got[i], w0, 2e-5, `output ${i}`));
});

test('native BiGRU with the second thread (FMTL_THREADS=2) gives the same bits as on one thread', { skip }, async () => {
  const script = path.resolve(__dirname, '..', '..', '..', 'gruWorker.js'); // out/gruWorker.js
  assert.ok(fs.existsSync(script), `the tests build ${script}`);
  const f = biGruCase(9, 8, 7, 6, 5, [7, 5, 1, 0, 3, 7, 2, 6]);
  const oneThread = await on('wasm', true, f);
  setGruThreadMinWork(0);
  startGruThread(script);
  try {
    assert.equal(await gruThreadReady(), true, `worker not ready: ${gruThreadStatus().reason}`);
    const before = gruThreadStatus().jobsDone;
    const twoThreads = await on('wasm', true, f);
    assert.ok(gruThreadStatus().jobsDone - before >= 2, 'the worker ran directions');
    assert.deepEqual(twoThreads, oneThread);
  } finally {
    stopGruThread();
    setGruThreadMinWork(16 * 1024);
  }
});

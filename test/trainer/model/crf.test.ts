/**
 * The linear-chain CRF (`crf.ts`) against brute force over every tag path of tiny cases: the NLL is
 * logsumexp(all paths) - gold score (or - logsumexp(paths agreeing with the known tags) when a tag
 * is unknown), Viterbi finds the best path, the gradient matches central finite differences, and
 * padding never matters. Then the CRF head through the model: its predictions are Viterbi paths.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import { crfBackwardBatched, crfForwardBatched, crfNll, crfNllHost, jsGemm, viterbiHost, pathScore, type CrfParams, type Gemm } from '../../../src/trainer/model/crf';
import { loadNativeKernels, nativeKernels, setNativeKernels } from '../../../src/trainer/native/nativeKernels';
import { buildModel } from '../../../src/trainer/model/feedbackModel';
import { objective } from '../../../src/trainer/model/objective';
import { packReadout, unpackReadout } from '../../../src/trainer/model/readout';
import { Rng } from '../../../src/shared/rng';
import { batchesOf, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const C = 3;

function random(n: number, rng: Rng, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * scale);
}

function params(seed: number): CrfParams {
  const rng = new Rng(seed);
  return { C, trans: random(C * C, rng), start: random(C, rng), end: random(C, rng) };
}

/** Every tag path of length n. */
function allPaths(n: number): number[][] {
  let paths: number[][] = [[]];
  for (let t = 0; t < n; t++) paths = paths.flatMap((p) => Array.from({ length: C }, (_, j) => [...p, j]));
  return paths;
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

test('NLL = logsumexp over all paths - gold score (brute force), summed over a padded batch', () => {
  const p = params(1);
  const T = 5;
  const lengths = [4, 2, 1];
  const rng = new Rng(2);
  const e = random(lengths.length * T * C, rng, 2);
  const tags = Int32Array.from([0, 2, 2, 1, -1, 1, 0, -1, -1, -1, 2, -1, -1, -1, -1]);
  let expected = 0;
  lengths.forEach((n, b) => {
    const all = allPaths(n).map((y) => pathScore(p, e, b * T * C, y, 0, n));
    expected += logSumExp(all) - pathScore(p, e, b * T * C, tags, b * T, n);
  });
  const { total } = crfNllHost(p, e, tags, lengths, lengths.length, T, false);
  assert.ok(Math.abs(total - expected) < 1e-9, `${total} vs ${expected}`);
  // Padding is not part of any path: changing the emissions there changes nothing.
  const e2 = Float64Array.from(e);
  e2[0 * T * C + 4 * C + 1] = 50; e2[1 * T * C + 3 * C] = -40;
  assert.ok(Math.abs(crfNllHost(p, e2, tags, lengths, 3, T, false).total - total) < 1e-9);
});

test('an unknown tag (-1) inside a sentence is left free: logsumexp(all) - logsumexp(consistent paths)', () => {
  const p = params(3);
  const n = 4;
  const e = random(n * C, new Rng(4), 2);
  const tags = Int32Array.from([1, -1, 0, 2]);
  const paths = allPaths(n);
  const score = (y: number[]) => pathScore(p, e, 0, y, 0, n);
  const consistent = paths.filter((y) => y.every((v, t) => tags[t] < 0 || tags[t] === v));
  const expected = logSumExp(paths.map(score)) - logSumExp(consistent.map(score));
  const { total } = crfNllHost(p, e, tags, [n], 1, n, false);
  assert.ok(Math.abs(total - expected) < 1e-9, `${total} vs ${expected}`);
  // A sentence with no known tag contributes nothing.
  assert.equal(crfNllHost(p, e, Int32Array.from([-1, -1, -1, -1]), [n], 1, n, false).total, 0);
});

test('Viterbi finds the best path (brute force) for every length, and writes 0 on padding', () => {
  for (let seed = 0; seed < 20; seed++) {
    const p = params(100 + seed);
    const T = 5;
    const lengths = [5, 3, 1, 4];
    const e = random(lengths.length * T * C, new Rng(200 + seed), 2);
    const out = new Int32Array(lengths.length * T).fill(9);
    viterbiHost(p, e, lengths, lengths.length, T, out);
    lengths.forEach((n, b) => {
      let best = -Infinity, bestPath: number[] = [];
      for (const y of allPaths(n)) {
        const s = pathScore(p, e, b * T * C, y, 0, n);
        if (s > best) { best = s; bestPath = y; }
      }
      assert.deepEqual([...out.subarray(b * T, b * T + n)], bestPath, `seed ${seed} sentence ${b}`);
      assert.ok(out.subarray(b * T + n, (b + 1) * T).every((v) => v === 0));
    });
  }
});

test('gradient of the NLL op (tf.grads) matches central finite differences, known and unknown tags', () => {
  const T = 4;
  const lengths = [4, 3];
  const rng = new Rng(9);
  const e0 = Float32Array.from(random(2 * T * C, rng));
  const p0 = params(10);
  const tags = Int32Array.from([0, 1, 1, 2, 2, -1, 0, -1]);
  const inputs = [tf.tensor3d(e0, [2, T, C]), tf.tensor2d(Float32Array.from(p0.trans), [C, C]), tf.tensor1d(Float32Array.from(p0.start)), tf.tensor1d(Float32Array.from(p0.end))];
  const grads = tf.grads((e: tf.Tensor, tr: tf.Tensor, s: tf.Tensor, en: tf.Tensor) =>
    tf.mul(crfNll(e as tf.Tensor3D, tr as tf.Tensor2D, s as tf.Tensor1D, en as tf.Tensor1D, tags, lengths), 0.7))(inputs);
  const host = (x: Float64Array[]) => 0.7 * crfNllHost({ C, trans: x[1], start: x[2], end: x[3] }, x[0], tags, lengths, 2, T, false).total;
  const base = [Float64Array.from(e0), Float64Array.from(p0.trans), Float64Array.from(p0.start), Float64Array.from(p0.end)];
  const h = 1e-5;
  grads.forEach((g, k) => {
    const gv = g.dataSync();
    for (let i = 0; i < base[k].length; i++) {
      const plus = base.map((a) => Float64Array.from(a)), minus = base.map((a) => Float64Array.from(a));
      plus[k][i] += h; minus[k][i] -= h;
      const fd = (host(plus) - host(minus)) / (2 * h);
      assert.ok(Math.abs(gv[i] - fd) < 1e-4, `input ${k}[${i}]: ${gv[i]} vs ${fd}`);
    }
  });
  // Padding emissions get exactly zero gradient.
  const ge = grads[0].arraySync() as number[][][];
  assert.deepEqual(ge[1][3], [0, 0, 0]);
});

test('CRF head in the model: the readout predictions are the Viterbi paths of the emissions', () => {
  const data = textData(24);
  const exp = textExperiment();
  exp.tasks[1].output = 'crf';
  const model = buildModel(exp, data, 5);
  const slots = model.tasks.find((t) => t.id === 'slots')!;
  // Forbid O -> I-num and start -> I-num strongly: the Viterbi path never has an I-num after O or
  // first, while the per-token argmax of these random weights may.
  const w = model.getWeights();
  const t = new Float32Array(9); t[0 * 3 + 2] = -100;
  // The bias makes the per-token argmax say I-num almost everywhere.
  const set = [['transitions', tf.tensor1d(t)], ['start', tf.tensor1d([0, 0, -100])], ['b', tf.tensor1d([0, 0, 3])]] as const;
  model.setWeights(w.map((x) => ({ name: x.name, tensor: set.find(([n]) => x.name === `tasks/slots/head/${n}`)?.[1] ?? x.tensor.clone() })));
  const [batch] = batchesOf(data.valid, data, 8);
  const { predictions, logits } = tf.tidy(() => {
    const res = model.forward(batch, { training: false });
    const packed = packReadout(model, objective(model, res, batch), res);
    return { predictions: unpackReadout(model, packed.dataSync() as Float32Array, batch).predictions, logits: res.tasks.slots.logits.dataSync() };
  });
  const T = batch.seqLen;
  const expected = new Int32Array(batch.size * T);
  const v = (name: string) => w.find((x) => x.name === `tasks/slots/head/${name}`)!.tensor.dataSync();
  viterbiHost({ C: 3, trans: v('transitions'), start: v('start'), end: v('end') }, logits, batch.lengths!, batch.size, T, expected);
  assert.deepEqual([...predictions.slots].map(Math.round), [...expected]);
  for (let b = 0; b < batch.size; b++) {
    const n = batch.lengths![b];
    assert.notEqual(predictions.slots[b * T], 2, 'no I-num first');
    for (let k = 1; k < n; k++) assert.ok(!(predictions.slots[b * T + k - 1] === 0 && predictions.slots[b * T + k] === 2), 'no O -> I-num');
  }
  assert.equal(slots.head.kind, 'tagging');
  model.dispose();
});

test('time-major batch path (products through a Gemm) equals the per-sentence float64 path: NLL and every gradient', () => {
  const C5 = 5, B = 4, T = 6;
  const rng = new Rng(21);
  const p: CrfParams = { C: C5, trans: random(C5 * C5, rng), start: random(C5, rng), end: random(C5, rng) };
  const e = Float32Array.from(random(B * T * C5, rng, 2));
  const lengths = [6, 3, 1, 0];
  const tags = new Int32Array(B * T).fill(-1);
  lengths.forEach((n, b) => { for (let t = 0; t < n; t++) tags[b * T + t] = rng.int(C5); });
  const ref = crfNllHost(p, e, tags, lengths, B, T, true);
  const check = (gemm: Gemm, label: string) => {
    const fwd = crfForwardBatched(p, e, tags, lengths, B, T, gemm);
    assert.ok(Math.abs(fwd.total - ref.total) < 1e-4 * Math.max(1, Math.abs(ref.total)), `${label} total ${fwd.total} vs ${ref.total}`);
    const g = crfBackwardBatched(fwd, gemm);
    for (const k of ['dE', 'dT', 'dS', 'dEnd'] as const) {
      g[k].forEach((v, i) => assert.ok(Math.abs(v - ref.grad![k][i]) < 1e-4, `${label} ${k}[${i}]: ${v} vs ${ref.grad![k][i]}`));
    }
  };
  check(jsGemm, 'js');
  const note = loadNativeKernels(undefined);
  const native = nativeKernels();
  if (native) {
    check((tA, tB, M, N, K, a, b, out) => native.sgemmBatch(tA ? 1 : 0, tB ? 1 : 0, 1, M, N, K, a, 0, b, 0, out, 0), 'native');
    // crfNll takes the native path when every tag is known: the same value and gradient as the float64 path.
    const inputs = [tf.tensor3d(e, [B, T, C5]), tf.tensor2d(Float32Array.from(p.trans), [C5, C5]), tf.tensor1d(Float32Array.from(p.start)), tf.tensor1d(Float32Array.from(p.end))];
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      crfNll(a as tf.Tensor3D, b as tf.Tensor2D, c as tf.Tensor1D, d as tf.Tensor1D, tags, lengths))(inputs);
    assert.ok(Math.abs(value.dataSync()[0] - ref.total) < 1e-4 * Math.abs(ref.total));
    grads[1].dataSync().forEach((v, i) => assert.ok(Math.abs(v - ref.grad!.dT[i]) < 1e-4, `crfNll dT[${i}]`));
    setNativeKernels(undefined);
  } else {
    assert.match(note, /native/); // not built here: the js products above still checked the algorithm
  }
});

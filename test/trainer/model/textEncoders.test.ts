/**
 * The `cnn` and `transformer` encoders and the `transformer` block: their defining property (the
 * outputs at real tokens do not depend on what stands in the padding, nor on how far a batch pads),
 * values and gradients of the CNN against tfjs's own conv1d, gradients of the Transformer against
 * central finite differences, the widths they report, and a checkpoint round trip through the file
 * store (a model built with another seed answers exactly as the saved one).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's CommonJS bundle registers no gradients; see gru.test.ts.
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import { withDefaults } from '../../../src/shared/experiment';
import type { EncoderSpec, Experiment } from '../../../src/shared/experimentTypes';
import { Rng } from '../../../src/shared/rng';
import { FileCheckpointStore, loadCheckpoint } from '../../../src/trainer/checkpointStore';
import type { Batch } from '../../../src/data/types';
import { blocks } from '../../../src/trainer/model/block';
import { Dropout, type BatchTensors, type ForwardCtx } from '../../../src/trainer/model/context';
import { buildModel, type FeedbackModel } from '../../../src/trainer/model/feedbackModel';
import { lengthMask } from '../../../src/trainer/model/layers';
import { ParamScope } from '../../../src/trainer/model/params';
import { arrow, batchesOf, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const data = textData(24);
const VOCAB = data.vocab!.tokens.length;
const lengths = [6, 2, 4, 1];
const B = lengths.length;

const CNN: EncoderSpec = { type: 'cnn', embeddingDim: 5, filters: 4, widths: [1, 2, 3], layers: 2, activation: 'tanh', dropout: 0.2 };
const TRANSFORMER: EncoderSpec = { type: 'transformer', embeddingDim: 6, width: 8, heads: 2, layers: 2, ffn: 10, dropout: 0.2, positions: 'learned' };

function modelWith(encoder: EncoderSpec, exp: Experiment = textExperiment(), seed = 4): FeedbackModel {
  exp.encoder = encoder;
  return buildModel(withDefaults(exp), data, seed);
}

/** Token ids [B,T]: real tokens from a seeded stream, then `pad` (a function of the position) in the padding. */
function tokenIds(T: number, pad: (b: number, t: number) => number): Int32Array {
  const rng = new Rng(11);
  const ids = new Int32Array(B * T);
  lengths.forEach((n, b) => { for (let t = 0; t < T; t++) ids[b * T + t] = t < n ? 2 + rng.int(VOCAB - 2) : pad(b, t); });
  return ids;
}

function ctxOf(tokens: Int32Array, T: number, training: boolean): ForwardCtx {
  const batch: BatchTensors = { size: B, seqLen: T, tokens: tf.tensor2d(tokens, [B, T], 'int32'), mask: tf.tensor2d(lengthMask(lengths, T), [B, T]) };
  // Dropout masks drawn by position: the same seed gives the same masks at the same shape.
  return { training, batch, dropout: new Dropout(training ? new Rng(5) : null, 'shared'), iteration: 0 };
}

function assertRealTokensEqual(a: number[][][], b: number[][][], tol: number, what: string): void {
  lengths.forEach((n, i) => {
    for (let t = 0; t < n; t++) {
      for (let d = 0; d < a[i][t].length; d++) assert.ok(Math.abs(a[i][t][d] - b[i][t][d]) <= tol, `${what} [${i}][${t}][${d}]: ${a[i][t][d]} vs ${b[i][t][d]}`);
    }
  });
}

for (const [name, spec] of [['cnn', CNN], ['transformer', TRANSFORMER], ['transformer (sinusoidal, no input projection)', { ...TRANSFORMER, embeddingDim: 8, positions: 'sinusoidal' } as EncoderSpec]] as const) {
  test(`${name} encoder: outputs at real tokens do not depend on the padding's token ids (eval and training), padded states are zero`, () => {
    const model = modelWith(spec);
    const T = 6;
    for (const training of [false, true]) {
      tf.tidy(() => {
        const run = (ids: Int32Array) => model.encoder.apply(ctxOf(ids, T, training));
        const a = run(tokenIds(T, () => 0));
        const b = run(tokenIds(T, (i, t) => 2 + ((i * 7 + t * 3) % (VOCAB - 2))));
        const ta = a.tokens!.arraySync() as number[][][], tb = b.tokens!.arraySync() as number[][][];
        assertRealTokensEqual(ta, tb, 1e-6, `${name} ${training ? 'training' : 'eval'}`);
        lengths.forEach((n, i) => { for (let t = n; t < T; t++) assert.ok(tb[i][t].every((v) => v === 0), `padded state [${i}][${t}] is zero`); });
        const sa = a.sentence.dataSync(), sb = b.sentence.dataSync();
        for (let k = 0; k < sa.length; k++) assert.ok(Math.abs(sa[k] - sb[k]) <= 1e-6, `sentence ${k}`);
      });
    }
    model.dispose();
  });

  test(`${name} encoder: a batch padded further gives the same states at real tokens`, () => {
    const model = modelWith(spec);
    tf.tidy(() => {
      const short = tokenIds(6, () => 0), long = new Int32Array(B * 9);
      for (let b = 0; b < B; b++) long.set(short.subarray(b * 6, b * 6 + 6), b * 9);
      const a = model.encoder.apply(ctxOf(short, 6, false)).tokens!.arraySync() as number[][][];
      const b = model.encoder.apply(ctxOf(long, 9, false)).tokens!.arraySync() as number[][][];
      assertRealTokensEqual(a, b, 1e-6, name);
    });
    model.dispose();
  });
}

test('the whole model (transformer encoder, transformer block fed by the intent): real-token outputs ignore the padding', () => {
  const exp = textExperiment([arrow('i2s', 'intent', 'slots', { injection: 1 }), arrow('s2i', 'slots', 'intent', { injection: 2 })],
    [{ type: 'transformer', units: 6, heads: 3, dropout: 0.1 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0 }]);
  const model = modelWith(TRANSFORMER, exp);
  const [batch] = batchesOf(data.train, data, 6);
  const junk: Batch = { ...batch, tokens: Int32Array.from(batch.tokens!, (id, i) => (i % batch.seqLen >= batch.lengths![Math.floor(i / batch.seqLen)] ? 3 + (i % 5) : id)) };
  assert.ok(junk.tokens!.some((id, i) => id !== batch.tokens![i]), 'the batch has padding to change');
  tf.tidy(() => {
    for (const training of [false, true]) {
      const a = model.forward(batch, { training, tau: 1, step: 3 }), b = model.forward(junk, { training, tau: 1, step: 3 });
      const ya = a.tasks.slots.iterates.map((y) => y.arraySync() as number[][][]), yb = b.tasks.slots.iterates.map((y) => y.arraySync() as number[][][]);
      ya.forEach((y, k) => batch.lengths!.forEach((n, i) => {
        for (let t = 0; t < n; t++) y[i][t].forEach((v, c) => assert.ok(Math.abs(v - yb[k][i][t][c]) <= 1e-6, `slots y^${k} [${i}][${t}][${c}]`));
      }));
      const ia = a.tasks.intent.iterates.at(-1)!.dataSync(), ib = b.tasks.intent.iterates.at(-1)!.dataSync();
      ia.forEach((v, k) => assert.ok(Math.abs(v - ib[k]) <= 1e-6, `intent ${k}`));
    }
  });
  model.dispose();
});

test('cnn encoder: values and gradients equal tfjs conv1d ("same" padding, padding zeroed before each layer)', () => {
  const spec = { ...CNN, dropout: 0 } as EncoderSpec;
  const model = modelWith(spec);
  const T = 6;
  const ids = tokenIds(T, () => 0);
  const v = (name: string) => model.namedVariables.find((x) => x.name === name)!.variable;
  const reference = (): tf.Tensor3D => {
    const mask = tf.expandDims(tf.tensor2d(lengthMask(lengths, T), [B, T]), 2);
    let x = tf.gather(v('encoder/embedding'), tf.tensor2d(ids, [B, T], 'int32')) as tf.Tensor3D;
    for (let l = 1; l <= 2; l++) {
      const xm = tf.mul(x, mask) as tf.Tensor3D;
      const C = xm.shape[2];
      x = tf.tanh(tf.concat([1, 2, 3].map((w) => {
        const left = Math.floor((w - 1) / 2);
        const padded = tf.pad(xm, [[0, 0], [left, w - 1 - left], [0, 0]]) as tf.Tensor3D;
        return tf.add(tf.conv1d(padded, tf.reshape(v(`encoder/conv${l}/width${w}/W`), [w, C, 4]) as tf.Tensor3D, 1, 'valid'), v(`encoder/conv${l}/width${w}/b`));
      }), 2)) as tf.Tensor3D;
    }
    return tf.mul(x, mask) as tf.Tensor3D;
  };
  const R = tf.tensor3d(Float32Array.from({ length: B * T * 12 }, (_, i) => Math.sin(i)), [B, T, 12]);
  const ours = () => tf.sum(tf.mul(model.encoder.apply(ctxOf(ids, T, false)).tokens!, R)) as tf.Scalar;
  const theirs = () => tf.sum(tf.mul(reference(), R)) as tf.Scalar;
  const a = model.encoder.apply(ctxOf(ids, T, false)).tokens!.dataSync(), b = reference().dataSync();
  assert.equal(a.length, B * T * 12, 'token width = filters x widths');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `value ${i}: ${a[i]} vs ${b[i]}`);
  const vars = model.encoder.variables.map((x) => x.variable);
  const g1 = tf.variableGrads(ours, vars).grads, g2 = tf.variableGrads(theirs, vars).grads;
  for (const x of model.encoder.variables) {
    const d1 = g1[x.variable.name].dataSync(), d2 = g2[x.variable.name].dataSync();
    let norm = 0;
    for (let i = 0; i < d1.length; i++) { assert.ok(Math.abs(d1[i] - d2[i]) < 1e-4, `${x.name}[${i}]: ${d1[i]} vs ${d2[i]}`); norm += Math.abs(d1[i]); }
    assert.ok(norm > 0, `${x.name} gets a gradient`);
  }
  model.dispose();
});

/** Central finite differences of f at a few entries of each variable, against tfjs's gradient. */
function checkGradients(f: () => tf.Scalar, vars: { name: string; variable: tf.Variable }[], perVariable = 3): void {
  const g = tf.variableGrads(f, vars.map((v) => v.variable)).grads;
  const eps = 1e-3;
  for (const { name, variable } of vars) {
    const grad = g[variable.name].dataSync();
    const values = variable.dataSync().slice();
    // The entries with the largest gradient (the padding rows of an embedding have none).
    const order = Array.from(grad.keys()).sort((i, j) => Math.abs(grad[j]) - Math.abs(grad[i])).slice(0, perVariable);
    for (const i of order) {
      const at = (delta: number) => { const w = values.slice(); w[i] += delta; variable.assign(tf.tensor(w, variable.shape)); return f().dataSync()[0]; };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      variable.assign(tf.tensor(values, variable.shape));
      assert.ok(Math.abs(grad[i] - fd) < 1e-2 * Math.max(1, Math.abs(fd)), `${name}[${i}]: tfjs ${grad[i]} vs finite differences ${fd}`);
    }
  }
}

test('transformer encoder: the gradient of every weight matches central finite differences', () => {
  const model = modelWith({ ...TRANSFORMER, dropout: 0 } as EncoderSpec);
  const T = 6;
  const ids = tokenIds(T, () => 0);
  const R = tf.tensor3d(Float32Array.from({ length: B * T * 8 }, (_, i) => Math.cos(i)), [B, T, 8]);
  // The token states only: the sentence vector's max pooling has kinks that finite differences straddle.
  const f = () => tf.tidy(() => tf.sum(tf.mul(model.encoder.apply(ctxOf(ids, T, false)).tokens!, R)) as tf.Scalar);
  // At the start embeddings and learned positions are ~0.05, so the first layer norm divides by a
  // tiny spread and f curves too sharply for finite differences; check at a point of unit scale.
  const rng = new Rng(21);
  for (const v of model.encoder.variables) {
    if (/embedding|positions/.test(v.name)) v.variable.assign(tf.tensor(Float32Array.from({ length: v.variable.size }, () => rng.normal()), v.variable.shape));
  }
  const names = model.encoder.variables.map((v) => v.name);
  for (const part of ['embedding', 'input/W', 'positions', 'layer1/norm1/gain', 'layer1/attention/query/W', 'layer1/attention/key/W', 'layer2/attention/value/W', 'layer2/attention/output/b', 'layer2/ffn1/W', 'layer2/ffn2/W', 'norm/bias']) {
    assert.ok(names.includes(`encoder/${part}`), `encoder/${part} exists (${names.join(', ')})`);
  }
  checkGradients(f, model.encoder.variables.filter((v) => !v.name.startsWith('encoder/layer1/norm2')));
  model.dispose();
});

test('transformer block: padding-independent, zero at padding, feedback enters, gradient matches finite differences', () => {
  const T = 6, D = 4, E = 3;
  const scope = ParamScope.root(3).scope('tasks/slots/block1');
  const block = blocks.get('transformer')({ type: 'transformer', units: 6, heads: 2, ffn: 7 }, { level: 'token', inDim: D, extraDim: E, site: 'slots/block1' }, scope);
  assert.equal(block.outDim, 6);
  const mask = tf.tensor2d(lengthMask(lengths.map((n) => Math.min(n, T)), T), [B, T]);
  const ctx: ForwardCtx = { training: false, batch: { size: B, seqLen: T, mask }, dropout: new Dropout(null, 'shared'), iteration: 1 };
  const rng = new Rng(8);
  const x = Float32Array.from({ length: B * T * D }, () => rng.normal());
  const extra = Float32Array.from({ length: B * T * E }, () => rng.normal());
  const junk = (a: Float32Array, w: number) => a.map((v, i) => (Math.floor(i / w) % T >= Math.min(lengths[Math.floor(i / (w * T))], T) ? 50 * Math.sin(i) : v));
  tf.tidy(() => {
    const run = (xs: Float32Array, es: Float32Array | null) => block.apply(tf.tensor3d(xs, [B, T, D]), es && tf.tensor3d(es, [B, T, E]), ctx).arraySync() as number[][][];
    const a = run(x, extra), b = run(junk(x, D), junk(extra, E));
    lengths.forEach((n, i) => {
      for (let t = 0; t < T; t++) for (let d = 0; d < 6; d++) {
        if (t < Math.min(n, T)) assert.ok(Math.abs(a[i][t][d] - b[i][t][d]) <= 1e-6, `[${i}][${t}][${d}]`);
        else assert.ok(b[i][t][d] === 0, `padded output [${i}][${t}][${d}] is zero`);
      }
    });
    const none = run(x, null), zeros = run(x, new Float32Array(extra.length));
    assertRealTokensEqual(none, zeros, 1e-6, 'no feedback = zero feedback');
    assert.ok(Math.abs(none[0][0][0] - a[0][0][0]) > 1e-4, 'the feedback changes the output');
  });
  const R = tf.tensor3d(Float32Array.from({ length: B * T * 6 }, (_, i) => Math.cos(i)), [B, T, 6]);
  const xT = tf.tensor3d(x, [B, T, D]), eT = tf.tensor3d(extra, [B, T, E]);
  checkGradients(() => tf.tidy(() => tf.sum(tf.mul(block.apply(xT, eT, ctx), R)) as tf.Scalar), [...block.variables]);
  for (const v of block.variables) v.variable.dispose();
});

test('sentence-level tasks refuse a transformer block with a clear message', () => {
  assert.throws(() => blocks.get('transformer')({ type: 'transformer', units: 4 }, { level: 'sentence', inDim: 4, extraDim: 0, site: 'intent/block1' }, ParamScope.root(1)),
    /block type 'transformer' runs over tokens, but intent\/block1 belongs to a sentence-level task/);
});

for (const [name, spec] of [['cnn', CNN], ['transformer', TRANSFORMER]] as const) {
  test(`${name}: a checkpoint saved through the file store loads into a model of another seed, which then answers exactly the same`, async () => {
    const exp = () => textExperiment([arrow('i2s', 'intent', 'slots', { injection: 1 })], [{ type: 'transformer', units: 6, heads: 2 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0 }]);
    const a = modelWith(spec, exp(), 1), b = modelWith(spec, exp(), 2);
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-enc-')), 'checkpoints');
    await new FileCheckpointStore(root).save('last', { weights: a.getWeights(), optimizer: [], epoch: 1, step: 5 });
    const back = await loadCheckpoint(path.join(root, 'last'));
    const [batch] = batchesOf(data.valid, data, 5);
    const probs = (m: FeedbackModel) => tf.tidy(() => m.forward(batch, { training: false }).tasks.slots.iterates.at(-1)!.dataSync());
    assert.notDeepEqual(probs(b), probs(a), 'different seeds start apart');
    b.setWeights(back.weights);
    assert.deepEqual(probs(b), probs(a));
    tf.dispose(back.weights.map((w) => w.tensor));
    a.dispose(); b.dispose();
  });
}

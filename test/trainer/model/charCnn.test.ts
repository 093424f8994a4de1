/**
 * Character features (`charCnn.ts`) and word dropout: values and gradients against tfjs's own
 * conv1d + max formulation, independence from the batch's character padding, what word dropout
 * touches, and a smoke run of a text model with both (finite, falling loss).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS bundle registers no gradients; see gru.test.ts.
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { charFeatures, validateExperiment } from '../../../src/shared/experiment';
import type { EncoderSpec } from '../../../src/shared/experimentTypes';
import type { StepEvent, TrainerEvent } from '../../../src/shared/trainerProtocol';
import { makeBatches } from '../../../src/data/batches';
import { UNK_ID } from '../../../src/data/types';
import { buildCharVocab, encodeChars } from '../../../src/data/vocab';
import { CharCnn } from '../../../src/trainer/model/charCnn';
import { buildModel, dropWords, trainingTokenIds } from '../../../src/trainer/model/feedbackModel';
import { lengthMask } from '../../../src/trainer/model/layers';
import { ParamScope } from '../../../src/trainer/model/params';
import { Rng } from '../../../src/shared/rng';
import { train } from '../../../src/trainer/train';
import { arrow, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); await tf.ready(); });

const spec = { embeddingDim: 3, filters: 4, widths: [1, 2, 3], maxWordLength: 20 };

/** The same features written with tfjs's conv1d ('same' padding) and a masked max. */
function reference(cnn: CharCnn, chars: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  const vars = (cnn as unknown as { embedding: tf.Variable; kernels: { width: number; w: tf.Variable; b: tf.Variable }[] });
  const e = tf.mul(tf.gather(vars.embedding, chars), tf.expandDims(mask, 2)) as tf.Tensor3D;
  const parts = vars.kernels.map(({ width, w, b }) => {
    const C = e.shape[2];
    const left = Math.floor((width - 1) / 2);
    const padded = tf.pad(e, [[0, 0], [left, width - 1 - left], [0, 0]]) as tf.Tensor3D;
    const conv = tf.add(tf.conv1d(padded, tf.reshape(w, [width, C, -1]) as tf.Tensor3D, 1, 'valid'), b);
    return tf.max(tf.add(conv, tf.mul(tf.sub(tf.expandDims(mask, 2), 1), 1e9)), 1);
  });
  return tf.tanh(tf.concat(parts, 1)) as tf.Tensor2D;
}

test('char CNN: values and gradients equal tfjs conv1d + masked max', () => {
  const cnn = new CharCnn(spec, 7, ParamScope.root(5).scope('chars'));
  const rng = new Rng(9);
  const N = 4, L = 6, lens = [6, 3, 1, 4];
  const ids = new Int32Array(N * L);
  lens.forEach((n, i) => { for (let j = 0; j < n; j++) ids[i * L + j] = 1 + rng.int(6); });
  const chars = tf.tensor2d(ids, [N, L], 'int32');
  const mask = tf.tensor2d(lengthMask(lens, L), [N, L]);
  const w = tf.tensor2d(Float32Array.from({ length: N * cnn.outDim }, () => rng.normal()), [N, cnn.outDim]);
  const a = cnn.apply(chars, mask), b = reference(cnn, chars, mask);
  assert.deepEqual(a.shape, [N, 12]);
  const av = a.dataSync(), bv = b.dataSync();
  for (let i = 0; i < av.length; i++) assert.ok(Math.abs(av[i] - bv[i]) < 1e-5, `value ${i}: ${av[i]} vs ${bv[i]}`);
  const vars = (cnn as unknown as { embedding: tf.Variable; kernels: { w: tf.Variable; b: tf.Variable }[] });
  const list = [vars.embedding, ...vars.kernels.flatMap((k) => [k.w, k.b])];
  const g1 = tf.variableGrads(() => tf.sum(tf.mul(cnn.apply(chars, mask), w)) as tf.Scalar, list);
  const g2 = tf.variableGrads(() => tf.sum(tf.mul(reference(cnn, chars, mask), w)) as tf.Scalar, list);
  for (const v of list) {
    const x = g1.grads[v.name].dataSync(), y = g2.grads[v.name].dataSync();
    let norm = 0;
    for (let i = 0; i < x.length; i++) { assert.ok(Math.abs(x[i] - y[i]) < 1e-4, `grad ${v.name}[${i}]: ${x[i]} vs ${y[i]}`); norm += x[i] * x[i]; }
    assert.ok(norm > 0, `gradient of ${v.name} is not all zero`);
  }
  list.forEach((v) => v.dispose());
});

test('char CNN: a word gets the same features whatever the batch pads its characters to', () => {
  const cnn = new CharCnn(spec, 7, ParamScope.root(5).scope('chars'));
  const word = [3, 1, 4, 1, 5];
  const at = (L: number) => {
    const ids = new Int32Array(L); ids.set(word);
    return cnn.apply(tf.tensor2d(ids, [1, L], 'int32'), tf.tensor2d(lengthMask([word.length], L), [1, L])).dataSync();
  };
  const a = at(5), b = at(12);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `feature ${i}: ${a[i]} vs ${b[i]}`);
});

test('char vocabulary and ids: code points, lower-cased, unknown -> <unk>, cut to maxWordLength', () => {
  const v = buildCharVocab([['Play', 'pop'], ['PoP']], true);
  assert.deepEqual(v.tokens.slice(0, 2), ['<pad>', '<unk>']);
  assert.deepEqual(v.tokens.slice(2), ['p', 'o', 'a', 'l', 'y']); // p 5, o 2, then a/l/y by code point
  assert.deepEqual([...encodeChars('Plaza', v, true, 20)], [2, 5, 4, 1, 4]);
  assert.deepEqual([...encodeChars('Plaza', v, true, 3)], [2, 5, 4]);
  assert.deepEqual([...encodeChars('é😀', buildCharVocab([['é😀']], true), true, 20)], [2, 3]); // code points, not UTF-16 units
});

test('batches carry character ids per token slot; padding tokens have none', () => {
  const data = textData(20);
  const exp = textExperiment();
  exp.encoder = { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0, chars: { maxWordLength: 2 } };
  const [b] = makeBatches(data.train, data, exp, { batchSize: 4, shuffle: false, seed: 1 });
  assert.equal(b.wordLen, 2); // every word is 'w' + one or two digits, cut to 2
  for (let i = 0; i < b.size; i++) {
    const words = data.train.words![b.indices[i]];
    for (let t = 0; t < b.seqLen; t++) {
      const slot = i * b.seqLen + t;
      if (t >= b.lengths![i]) { assert.equal(b.charLengths![slot], 0); assert.deepEqual([...b.chars!.subarray(slot * 2, slot * 2 + 2)], [0, 0]); continue; }
      assert.deepEqual([...b.chars!.subarray(slot * 2, slot * 2 + 2)], [...encodeChars(words[t], data.charVocab!, true, 2)]);
    }
  }
  const plain = makeBatches(data.train, data, textExperiment(), { batchSize: 4, shuffle: false, seed: 1 })[0];
  assert.equal(plain.chars, undefined, 'no character ids without encoder.chars');
});

test('word dropout replaces about `rate` of the real tokens by <unk>, never padding, same for the same seed', () => {
  const B = 50, T = 10;
  const lengths = Int32Array.from({ length: B }, (_, i) => 3 + (i % 8));
  const tokens = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) tokens[b * T + t] = 5 + t;
  const out = dropWords(tokens, lengths, T, 0.25, new Rng(4));
  let real = 0, dropped = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (t >= lengths[b]) { assert.equal(out[i], 0, 'padding untouched'); continue; }
      real++;
      if (out[i] === UNK_ID) dropped++; else assert.equal(out[i], tokens[i]);
    }
  }
  assert.ok(Math.abs(dropped / real - 0.25) < 0.06, `dropped ${dropped} of ${real}`);
  assert.deepEqual(dropWords(tokens, lengths, T, 0.25, new Rng(4)), out);
  assert.equal(tokens[0], 5, 'the batch itself is not modified');
});

// The character features and word dropout are input options of every text encoder (`textInput.ts`).
const withChars: EncoderSpec[] = [
  { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0.1, chars: { embeddingDim: 4, filters: 6, widths: [2, 3] }, wordDropout: 0.2 },
  { type: 'cnn', embeddingDim: 8, filters: 6, widths: [3], dropout: 0.1, chars: { embeddingDim: 4, filters: 6, widths: [2, 3] }, wordDropout: 0.2 },
  { type: 'transformer', embeddingDim: 8, width: 8, heads: 2, layers: 1, dropout: 0.1, chars: { embeddingDim: 4, filters: 6, widths: [2, 3] }, wordDropout: 0.2 },
];
for (const encoder of withChars) {
  test(`a text model (${encoder.type} encoder) with character features and word dropout trains (finite, falling loss)`, async () => {
    const data = textData(96);
    const exp = textExperiment([arrow('i2s', 'intent', 'slots')]);
    exp.encoder = encoder;
    exp.training.epochs = 4;
    assert.deepEqual(validateExperiment(exp).filter((i) => i.severity === 'error'), []);
    const model = buildModel(exp, data, 3);
    assert.ok(model.namedVariables.some((v) => v.name === 'encoder/chars/conv3/W'), 'char CNN weights are named parameters');
    assert.equal(model.encoder.wordDropout, 0.2);
    model.dispose();
    const events: TrainerEvent[] = [];
    await train(exp, data, { runId: 'r', onEvent: (e) => events.push(e), backend: { name: 'cpu', package: '', gpu: false, skipped: [] }, experimentPath: '/x', runDir: '/tmp/x' });
    const st = events.filter((e): e is StepEvent => e.type === 'run/step').map((e) => e.total);
    assert.ok(st.every(Number.isFinite));
    const head = st.slice(0, 4).reduce((a, b) => a + b) / 4, tail = st.slice(-4).reduce((a, b) => a + b) / 4;
    assert.ok(tail < head * 0.8, `loss ${head} -> ${tail}`);
    assert.equal(charFeatures(exp)?.maxWordLength, 20, 'defaults fill what the file leaves out');
  });
}

test('a training step feeds the encoder the ids trainingTokenIds gives for its seed and step (what the PyTorch twin is fed); eval: the batch ids', () => {
  const data = textData(64);
  const exp = textExperiment();
  exp.encoder = { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0.1, wordDropout: 0.3 };
  const model = buildModel(exp, data, 5);
  try {
    const batch = makeBatches(data.train, data, exp, { batchSize: 16, shuffle: true, seed: 2 })[0];
    const ids = (step: number | undefined, training: boolean) => tf.tidy(() => Array.from(model.forward(batch, { training, step, tau: 1 }).batch.tokens!.dataSync()));
    const expected = Array.from(trainingTokenIds(batch, 0.3, 5, 7));
    assert.deepEqual(ids(7, true), expected);
    assert.ok(expected.some((v, i) => v !== batch.tokens![i]), 'some words dropped');
    assert.notDeepEqual(Array.from(trainingTokenIds(batch, 0.3, 5, 8)), expected, 'another step draws again');
    assert.deepEqual(ids(undefined, false), Array.from(batch.tokens!), 'no word dropout in eval');
  } finally {
    model.dispose();
  }
});

test('validate: located errors for wrong character and word-dropout options', () => {
  const exp = textExperiment() as unknown as Record<string, Record<string, unknown>>;
  exp.encoder.chars = { widths: [], filters: 0, embedingDim: 3 };
  exp.encoder.wordDropout = 1;
  const issues = validateExperiment(exp);
  const at = (p: string) => issues.filter((i) => i.pathText === p).map((i) => i.message).join(' | ');
  assert.match(at('encoder.chars.widths'), /at least one window width/);
  assert.match(at('encoder.chars.filters'), />= 1/);
  assert.match(at('encoder.chars.embedingDim'), /did you mean 'embeddingDim'/);
  assert.match(at('encoder.wordDropout'), /< 1/);
});

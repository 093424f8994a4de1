/**
 * The `language-model` task kind: next-word targets, perplexity = exp(mean token cross-entropy)
 * (recomputed here from the logits, independently of the trainer), causality (changing the words
 * after t never changes the prediction at t, unless an arrow from a task that read the whole
 * sentence leaks them in), a short training that lowers the loss, and the predictions file's
 * perplexity equal to the run's.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Experiment, TaskSpec } from '../../../src/shared/experimentTypes';
import { END_OF_SENTENCE } from '../../../src/shared/experimentTypes';
import type { EncodedSplit, PreparedData } from '../../../src/data/types';
import { nextWordTargets } from '../../../src/data/vocab';
import { makeBatches } from '../../../src/data/batches';
import { buildModel } from '../../../src/trainer/model/feedbackModel';
import { evaluate } from '../../../src/trainer/evaluate';
import { buildPredictions } from '../../../src/trainer/predictionsFile';
import { metricsOfPredictions } from '../../../src/shared/predictions/score';
import { train } from '../../../src/trainer/train';
import type { StepEvent, TrainerEvent } from '../../../src/shared/trainerProtocol';
import { arrow, batchesOf, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const LM: TaskSpec = { id: 'lm', kind: 'language-model', lossWeight: 1, blocks: [{ type: 'dense', units: 8, activation: 'relu', dropout: 0 }] };

/** The synthetic text data with a language-model task added as `prepare.ts` adds it. */
function lmData(n = 64): PreparedData {
  const d = textData(n);
  const add = (s: EncodedSplit) => {
    const targets = s.tokens!.map(nextWordTargets);
    s.labels.lm = { kind: 'tags', values: targets };
    s.rawLabels.lm = targets.map((r) => Array.from(r, (c) => (c === 0 ? END_OF_SENTENCE : d.vocab!.tokens[c])));
  };
  add(d.train); add(d.valid);
  d.labelNames.lm = [END_OF_SENTENCE, ...d.vocab!.tokens.slice(1)];
  return d;
}

function lmExperiment(over: (e: Experiment) => void = () => undefined): Experiment {
  const e = textExperiment();
  e.tasks.push(structuredClone(LM));
  e.iterations = 0;
  over(e);
  return e;
}

const logSoftmaxRow = (r: ArrayLike<number>) => {
  let m = -Infinity;
  for (let i = 0; i < r.length; i++) m = Math.max(m, r[i]);
  let z = 0;
  for (let i = 0; i < r.length; i++) z += Math.exp(r[i] - m);
  const lz = Math.log(z) + m;
  return Array.from(r, (x) => x - lz);
};

test('targets: token t predicts token t + 1, the last token the end of sentence (class 0)', () => {
  assert.deepEqual([...nextWordTargets(Int32Array.from([5, 7, 1, 9]))], [7, 1, 9, 0]);
  assert.deepEqual([...nextWordTargets(Int32Array.from([4]))], [0]);
});

test('perplexity = exp(mean token cross-entropy over every real target of the split), recomputed from the logits', () => {
  const data = lmData();
  const exp = lmExperiment((e) => { e.feedback = [arrow('lm-to-slots', 'lm', 'slots')]; e.iterations = 2; });
  const model = buildModel(exp, data, 7);
  try {
    const r = evaluate(model, data, exp, 'valid');
    let sum = 0, n = 0, right = 0, unk = 0;
    for (const b of batchesOf(data.valid, data, 5)) {
      const logits = tf.tidy(() => model.forward(b, { training: false }).tasks.lm.logits.arraySync() as number[][][]);
      const V = data.labelNames.lm.length;
      for (let i = 0; i < b.size; i++) {
        const target = (data.valid.labels.lm as { values: Int32Array[] }).values[b.indices[i]];
        assert.equal(target.length, b.lengths![i]);
        for (let t = 0; t < target.length; t++) {
          const row = logits[i][t];
          assert.equal(row.length, V);
          sum -= logSoftmaxRow(row)[target[t]];
          n++;
          if (row.indexOf(Math.max(...row)) === target[t]) right++;
          if (target[t] === 1) unk++;
        }
      }
    }
    const expected = Math.exp(sum / n);
    const got = r.metrics.lm.perplexity;
    assert.ok(Math.abs(got - expected) / expected < 1e-4, `perplexity ${got} vs ${expected}`);
    // The reported loss is the same mean cross-entropy.
    assert.ok(Math.abs(r.losses.lm - sum / n) < 1e-4, `loss ${r.losses.lm} vs ${sum / n}`);
    assert.ok(Math.abs(r.metrics.lm.tokenAccuracy - right / n) < 1e-9);
    assert.equal(r.metrics.lm.unkRate, unk / n);
    // An untrained model is near uniform: perplexity near the number of classes, not 1, not a fraction.
    assert.ok(got > 0.5 * data.labelNames.lm.length && got < 2 * data.labelNames.lm.length, String(got));
  } finally {
    model.dispose();
  }
});

/** LM logits [T][V] of sentence `ids` run alone, in eval mode. */
function lmLogits(model: ReturnType<typeof buildModel>, data: PreparedData, ids: number[]): number[][] {
  const split: EncodedSplit = {
    name: 'probe', size: 1, tokens: [Int32Array.from(ids)], words: [ids.map((i) => data.vocab!.tokens[i])],
    labels: { intent: { kind: 'class', values: Int32Array.from([0]) }, slots: { kind: 'tags', values: [new Int32Array(ids.length)] }, lm: { kind: 'tags', values: [nextWordTargets(Int32Array.from(ids))] } },
    rawLabels: {},
  };
  const [b] = makeBatches(split, data, model.exp, { batchSize: 1, shuffle: false, seed: 1 });
  return tf.tidy(() => (model.forward(b, { training: false }).tasks.lm.logits.arraySync() as number[][][])[0]);
}

/** Max |difference| of the LM logits at positions 0..upTo between two sentences. */
function maxDiff(a: number[][], b: number[][], from: number, to: number): number {
  let m = 0;
  for (let t = from; t <= to; t++) for (let v = 0; v < a[t].length; v++) m = Math.max(m, Math.abs(a[t][v] - b[t][v]));
  return m;
}

const sentenceA = [3, 4, 5, 6, 7, 8];
const sentenceB = [3, 4, 5, 15, 2, 11]; // the same first three words, then others
const sentenceC = [3, 4, 5]; // only the first three words

for (const [name, encoder, sharing] of [
  ['BiGRU', { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0 }, undefined],
  ['BiLSTM, 2 layers + attention, character features', { type: 'bilstm', embeddingDim: 8, hidden: 6, layers: 2, dropout: 0, attention: { heads: 2, dim: 4 }, chars: { embeddingDim: 4, filters: 4 } }, undefined],
  ['BiGRU, soft sharing: the LM reads its own encoder copy', { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0 }, { type: 'soft', l2: 0.1 }],
] as const) {
  test(`causality (${name}): changing or removing the words after t never changes the prediction at t; feedback from the LM into the other tasks is allowed`, () => {
    const data = lmData();
    const exp = lmExperiment((e) => {
      e.encoder = structuredClone(encoder) as Experiment['encoder'];
      if (sharing) (e as { sharing?: unknown }).sharing = { ...sharing };
      e.feedback = [arrow('lm-to-slots', 'lm', 'slots'), arrow('lm-to-intent', 'lm', 'intent'), arrow('slots-to-intent', 'slots', 'intent')];
      e.iterations = 2;
    });
    const model = buildModel(exp, data, 11);
    try {
      const a = lmLogits(model, data, sentenceA), b = lmLogits(model, data, sentenceB), c = lmLogits(model, data, sentenceC);
      assert.ok(maxDiff(a, b, 0, 2) < 1e-6, `positions 0..2 changed by ${maxDiff(a, b, 0, 2)}`);
      assert.ok(maxDiff(a, c, 0, 2) < 1e-6, `a shorter sentence changed positions 0..2 by ${maxDiff(a, c, 0, 2)}`);
      // The probe can see a change: position 3 reads a different word.
      assert.ok(maxDiff(a, b, 3, 3) > 1e-4, 'position 3 should differ');
    } finally {
      model.dispose();
    }
  });
}

test('causality probe fails when an arrow from a whole-sentence task feeds the LM (the leak validation warns about)', () => {
  const data = lmData();
  const exp = lmExperiment((e) => { e.feedback = [arrow('intent-to-lm', 'intent', 'lm')]; e.iterations = 1; });
  const model = buildModel(exp, data, 11);
  try {
    const a = lmLogits(model, data, sentenceA), b = lmLogits(model, data, sentenceB);
    assert.ok(maxDiff(a, b, 0, 2) > 1e-5, 'the intent signal carries the later words into positions 0..2');
  } finally {
    model.dispose();
  }
});

test('the model refuses a non-causal LM tower: encoder without causal states, a recurrent block', () => {
  const data = lmData();
  assert.throws(() => buildModel(lmExperiment((e) => { e.encoder = { type: 'cnn', embeddingDim: 8, filters: 4 }; }), data, 1), /language model.*must not see the word it predicts.*'cnn'/);
  assert.throws(() => buildModel(lmExperiment((e) => { e.tasks[2].blocks = [{ type: 'bigru', units: 4 }]; }), data, 1), /block 1: a 'bigru' block reads the whole sentence/);
});

test('smoke: 3 epochs with the LM as a feedback source and target (Gumbel), finite falling LM loss; predictions file perplexity = the run\'s', async () => {
  const data = lmData(96);
  const exp = lmExperiment((e) => {
    e.feedback = [arrow('lm-to-intent', 'lm', 'intent', { injection: 'gumbel', candidates: [1, 2] }), arrow('lm-to-slots', 'lm', 'slots'), arrow('slots-to-lm', 'slots', 'lm', { injection: 1 }), arrow('intent-to-slots', 'intent', 'slots')];
    e.iterations = 2;
    e.training.epochs = 3;
    e.training.logEvery = 1;
  });
  const events: TrainerEvent[] = [];
  const backend = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, skipped: [] };
  const summary = await train(exp, data, { runId: 'r', onEvent: (e) => events.push(e), backend, experimentPath: '/x.fmtl.json', runDir: '/tmp/r' });
  const steps = events.filter((e): e is StepEvent => e.type === 'run/step');
  const lm = steps.map((s) => s.losses.lm);
  assert.ok(lm.every(Number.isFinite), 'finite LM losses');
  const head = lm.slice(0, 3).reduce((a, x) => a + x, 0) / 3, tail = lm.slice(-3).reduce((a, x) => a + x, 0) / 3;
  assert.ok(tail < head - 0.1, `LM loss should fall: ${head} -> ${tail}`);
  assert.ok(Number.isFinite(summary.best.valid.lm.perplexity));
  // The Gumbel gate over the intent blocks learned a preference from the LM's signal.
  assert.deepEqual(summary.gates['lm-to-intent'].blocks, [1, 2]);
  // The LM received feedback: its convergence term is reported and finite.
  assert.ok(steps.every((s) => Number.isFinite(s.convergence.lm)));
  // The predictions file carries -ln p(next word) per token: its perplexity is the evaluation's.
  const model = buildModel(exp, data, 5);
  try {
    const r = evaluate(model, data, exp, 'valid', { iterations: true });
    const file = buildPredictions(r, model.tasks, data, data.valid, { runId: 'r', checkpoint: { kind: 'best', epoch: 1, step: 1 }, iterations: model.iterations });
    const again = metricsOfPredictions(file);
    assert.ok(Math.abs(again.lm.perplexity - r.metrics.lm.perplexity) < 1e-9 * r.metrics.lm.perplexity, `${again.lm.perplexity} vs ${r.metrics.lm.perplexity}`);
    assert.equal(again.lm.tokenAccuracy, r.metrics.lm.tokenAccuracy);
    const ex = file.examples[0];
    assert.equal((ex.gold.lm as string[]).at(-1), END_OF_SENTENCE);
    assert.equal((ex.pred.lm[0] as { tags: string[] }).tags.length, ex.tokens!.length);
  } finally {
    model.dispose();
  }
});

/**
 * One smoke test per plug-in (encoder, block type, amplifier, injection, combine mode, task kind):
 * the model trains 2 epochs on tiny synthetic data and its objective is finite and falls.
 * The loop here is deliberately minimal (the real one, train.ts, has its own tests).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Experiment } from '../../../src/shared/experimentTypes';
import type { Batch, PreparedData } from '../../../src/data/types';
import { buildModel, type FeedbackModel } from '../../../src/trainer/model/feedbackModel';
import { objective } from '../../../src/trainer/model/objective';
import { arrow, batchesOf, tabularData, tabularExperiment, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

function meanObjective(model: FeedbackModel, batches: Batch[]): number {
  let s = 0;
  for (const b of batches) s += tf.tidy(() => objective(model, model.forward(b, { training: false }), b).total.dataSync()[0]);
  return s / batches.length;
}

/** Trains 2 epochs; returns the mean eval objective before and after. */
function fit2(exp: Experiment, data: PreparedData): { before: number; after: number; model: FeedbackModel } {
  const model = buildModel(exp, data, 7);
  const batches = batchesOf(data.train, data, exp.training.batchSize);
  const before = meanObjective(model, batches);
  const opt = tf.train.adam(exp.training.learningRate);
  let step = 0;
  for (let e = 0; e < 2; e++) {
    for (const b of batches) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => objective(model, model.forward(b, { training: true, tau: 1, step }), b).total, model.variables);
        assert.ok(Number.isFinite(value.dataSync()[0]), `loss finite at step ${step}`);
        opt.applyGradients(model.variables.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      });
      step++;
    }
  }
  opt.dispose();
  return { before, after: meanObjective(model, batches), model };
}

const tab = tabularData(64);
const txt = textData(48);

const cases: [string, () => Experiment, PreparedData][] = [
  ['mlp encoder, dense blocks, classification + regression, no feedback', () => tabularExperiment([]), tab],
  ['amplifier linear, fixed block, concat', () => tabularExperiment([arrow('a', 'cls', 'bin', { injection: 2 })]), tab],
  ['amplifier mlp', () => tabularExperiment([arrow('a', 'cls', 'reg', { amplifier: { type: 'mlp', units: 4, hidden: 6, activation: 'gelu' } })]), tab],
  ['amplifier label-embedding', () => tabularExperiment([arrow('a', 'bin', 'cls', { amplifier: { type: 'label-embedding', units: 5 } })]), tab],
  ['regression source', () => tabularExperiment([arrow('a', 'reg', 'cls', { amplifier: { type: 'linear', units: 3, activation: 'tanh' } })]), tab],
  ['combine add', () => tabularExperiment([arrow('a', 'cls', 'bin', { combine: 'add', injection: 2, amplifier: { type: 'linear', units: 8 } })]), tab],
  ['gumbel injection (soft)', () => tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel', candidates: [1, 2] }), arrow('b', 'bin', 'cls', { injection: 'gumbel' })]), tab],
  ['gumbel injection (hard, straight-through), fresh dropout', () => {
    const e = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel' })]);
    e.gumbel.hard = true; e.convergence.dropoutMasks = 'fresh';
    e.tasks[1].blocks[0].dropout = 0.2; e.encoder = { type: 'mlp', hidden: [16], activation: 'sigmoid', dropout: 0.1 };
    return e;
  }, tab],
  ['bigru encoder, tagging + classification, sentence->token and token->sentence', () => textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 2 })]), txt],
  ['bigru block (token level) with feedback into it', () => textExperiment([arrow('i2s', 'intent', 'slots', { injection: 'gumbel' })], [
    { type: 'bigru', units: 4, dropout: 0.1 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0 }]), txt],
  ['crf output on the tagging task, with feedback both ways', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 2 })]);
    e.tasks[1].output = 'crf';
    return e;
  }, txt],
  ['token-level intent (majority vote) with a bigru block, feedback both ways', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 2 })]);
    e.tasks[0].tokenLevel = true; e.tasks[0].vote = 'majority';
    e.tasks[0].blocks[0] = { type: 'bigru', units: 4, dropout: 0.1 };
    return e;
  }, txt],
  ['self-attention over the encoder states (concat, 2 heads, dropout)', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots')]);
    e.encoder = { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0, attention: { heads: 2, dim: 8, dropout: 0.1 } };
    return e;
  }, txt],
  ['self-attention, residual add', () => {
    const e = textExperiment([arrow('s2i', 'slots', 'intent', { injection: 2 })]);
    e.encoder = { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0, attention: { heads: 3, dim: 6, combine: 'add' } };
    return e;
  }, txt],
  ['bilstm encoder (2 layers) and a bilstm block with feedback into it', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots', { injection: 1 }), arrow('s2i', 'slots', 'intent', { injection: 2 })],
      [{ type: 'bilstm', units: 4, dropout: 0.1 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0 }]);
    e.encoder = { type: 'bilstm', embeddingDim: 8, hidden: 6, layers: 2, dropout: 0.1 };
    return e;
  }, txt],
  ['cnn encoder (2 layers, widths 1/3/5, dropout), feedback both ways (with characters: charCnn.test.ts)', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 2 })]);
    e.encoder = { type: 'cnn', embeddingDim: 8, filters: 4, widths: [1, 3, 5], layers: 2, dropout: 0.1 };
    return e;
  }, txt],
  ['transformer encoder (2 layers, 2 heads, sinusoidal positions, dropout), feedback both ways', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 2 })]);
    e.encoder = { type: 'transformer', embeddingDim: 8, width: 8, heads: 2, layers: 2, ffn: 16, dropout: 0.1 };
    return e;
  }, txt],
  ['transformer encoder (learned positions) and a transformer block with Gumbel feedback into it', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots', { injection: 'gumbel' })], [
      { type: 'transformer', units: 8, heads: 2, ffn: 12, dropout: 0.1 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0 }]);
    e.encoder = { type: 'transformer', embeddingDim: 6, width: 8, heads: 4, layers: 1, positions: 'learned' };
    return e;
  }, txt],
];

for (const [name, mk, data] of cases) {
  test(`trains 2 epochs: ${name}`, () => {
    const { before, after, model } = fit2(mk(), data);
    model.dispose();
    assert.ok(Number.isFinite(before) && Number.isFinite(after), `finite: ${before} -> ${after}`);
    assert.ok(after < before, `objective falls: ${before} -> ${after}`);
  });
}

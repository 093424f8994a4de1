/**
 * The learning-rate schedule: warm-up, linear / cosine decay to the floor at the stated horizon,
 * plateau reductions and their checkpointed state; and in training: the streamed `lr` of every step
 * is the schedule's, and tfjs's optimizers really use it.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { StepEvent, TrainerEvent } from '../../src/shared/trainerProtocol';
import { LrSchedule, setLearningRate } from '../../src/trainer/lrSchedule';
import { gumbelTau } from '../../src/trainer/model/injection';
import { train } from '../../src/trainer/train';
import { arrow, tabularData, tabularExperiment } from './synthetic';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('warm-up rises linearly to the base rate, then none keeps it', () => {
  const s = new LrSchedule({ learningRate: 0.01, epochs: 10, lrSchedule: { warmupSteps: 4 } }, 10);
  [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01].forEach((v, i) => close(s.rate(i), v, `step ${i}`));
  close(new LrSchedule({ learningRate: 0.01, epochs: 10 }, 10).rate(57), 0.01, 'no schedule');
});

test('linear and cosine decay reach learningRate x minFactor at decayEpochs and stay there', () => {
  const lin = new LrSchedule({ learningRate: 1, epochs: 50, lrSchedule: { decay: 'linear', decayEpochs: 2, minFactor: 0.1 } }, 10);
  close(lin.rate(0), 1, 'start');
  close(lin.rate(10), 0.55, 'half way');
  close(lin.rate(20), 0.1, 'horizon');
  close(lin.rate(400), 0.1, 'after');
  const cos = new LrSchedule({ learningRate: 1, epochs: 2, lrSchedule: { decay: 'cosine', warmupSteps: 5 } }, 10);
  close(cos.rate(4), 1, 'end of warm-up');
  close(cos.rate(5 + 7.5), 0.05 + 0.95 * 0.5, 'cosine midpoint (default horizon: training.epochs)');
  close(cos.rate(20), 0.05, 'floor (default minFactor 0.05)');
});

test('plateau: x factor after `patience` epochs without improvement, floored, state restorable', () => {
  const s = new LrSchedule({ learningRate: 1, epochs: 9, lrSchedule: { decay: 'plateau', factor: 0.5, patience: 2, minFactor: 0.2 } }, 10);
  assert.equal(s.onEpochEnd(false), false);
  assert.equal(s.onEpochEnd(true), false); // an improvement resets the count
  assert.equal(s.onEpochEnd(false), false);
  assert.equal(s.onEpochEnd(false), true);
  close(s.rate(99), 0.5, 'one reduction');
  const saved = s.state();
  s.onEpochEnd(false); s.onEpochEnd(false); s.onEpochEnd(false); s.onEpochEnd(false);
  close(s.rate(99), 0.2, 'never below the floor');
  const r = new LrSchedule({ learningRate: 1, epochs: 9, lrSchedule: { decay: 'plateau', factor: 0.5, patience: 2, minFactor: 0.2 } }, 10);
  r.restore(saved);
  close(r.rate(0), 0.5, 'restored');
});

test('setLearningRate reaches what tfjs optimizers use (adam, rmsprop: field; sgd: its cached scalar)', () => {
  for (const make of [() => tf.train.adam(0.1), () => tf.train.rmsprop(0.1), () => tf.train.sgd(0.1)]) {
    const v = tf.variable(tf.scalar(1));
    const opt = make();
    setLearningRate(opt, 0);
    opt.applyGradients([{ name: v.name, tensor: tf.scalar(1) }]);
    assert.equal(v.dataSync()[0], 1, `${opt.getClassName()} with rate 0 does not move`);
    setLearningRate(opt, 0.1);
    opt.applyGradients([{ name: v.name, tensor: tf.scalar(1) }]);
    assert.ok(v.dataSync()[0] < 1, `${opt.getClassName()} with rate 0.1 moves`);
    opt.dispose(); v.dispose();
  }
});

test('Gumbel tau follows gumbel.annealEpochs: at tauMin after that many epochs, then flat', async () => {
  await tf.setBackend('cpu');
  const data = tabularData(64); // 4 steps per epoch at batch 16
  const exp = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel' })]);
  exp.training.epochs = 4;
  exp.gumbel = { tau0: 1, tauMin: 0.25, anneal: 'exp', hard: false, annealEpochs: 2 };
  exp.training.lrSchedule = { warmupSteps: 3, decay: 'linear', decayEpochs: 3, minFactor: 0.5 };
  const events: TrainerEvent[] = [];
  await train(exp, data, { runId: 'r', onEvent: (e) => events.push(e), backend: { name: 'cpu', package: '', gpu: false, skipped: [] }, experimentPath: '/x', runDir: '/tmp/x' });
  const st = events.filter((e): e is StepEvent => e.type === 'run/step');
  assert.equal(st.length, 16);
  close(st[0].tau!, 1, 'first step');
  close(st[7].tau!, 0.25, 'step 8 = end of epoch 2');
  close(st[15].tau!, 0.25, 'stays');
  close(st[6].tau!, gumbelTau(exp.gumbel, 6, 8), 'in between');
  const sched = new LrSchedule(exp.training, 4);
  st.forEach((e, i) => close(e.lr, sched.rate(i), `lr of step ${i + 1}`));
  close(st[0].lr, exp.training.learningRate / 3, 'warm-up');
  close(st[15].lr, exp.training.learningRate * 0.5, 'floor after decayEpochs');
});

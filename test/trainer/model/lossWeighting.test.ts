/**
 * Loss weighting plug-ins (uncertainty, dwa, dtp, gradnorm): a smoke test each through the real
 * training loop (2 epochs, tiny data: finite, falling loss; weights streamed every step), the
 * defining property of each, and exact resume (the weighting's state travels in checkpoints).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Experiment, LossWeightingSpec } from '../../../src/shared/experimentTypes';
import type { StepEvent, TrainerEvent } from '../../../src/shared/trainerProtocol';
import type { EncodedSplit, PreparedData } from '../../../src/data/types';
import { buildModel } from '../../../src/trainer/model/feedbackModel';
import { lossWeightings } from '../../../src/trainer/model/lossWeighting';
import { dwaWeights } from '../../../src/trainer/model/dwaWeighting';
import { dtpWeight } from '../../../src/trainer/model/dtpWeighting';
import { gradNormLayer, gradNormStep, taskGradNorms } from '../../../src/trainer/model/gradNormWeighting';
import { batchAccuracy } from '../../../src/trainer/model/batchAccuracy';
import { ParamScope } from '../../../src/trainer/model/params';
import { train, type CheckpointStore, type TrainState } from '../../../src/trainer/train';
import { Rng } from '../../../src/shared/rng';
import { batchesOf, tabularData, tabularExperiment, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const backend = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, skipped: [] };

class MemoryStore implements CheckpointStore {
  saved: { kind: 'best' | 'last'; state: TrainState }[] = [];
  async save(kind: 'best' | 'last', state: TrainState): Promise<string> {
    const copy = (l: TrainState['weights']) => l.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    this.saved.push({ kind, state: { ...state, weights: copy(state.weights), optimizer: copy(state.optimizer), weighting: state.weighting && JSON.parse(JSON.stringify(state.weighting)) } });
    return `mem://${kind}/${this.saved.length}`;
  }
  last(): TrainState { return [...this.saved].reverse().find((s) => s.kind === 'last')!.state; }
  dispose(): void { for (const s of this.saved) for (const w of [...s.state.weights, ...s.state.optimizer]) w.tensor.dispose(); }
}

async function run(exp: Experiment, data: PreparedData, extra: { checkpoints?: CheckpointStore; resume?: TrainState } = {}): Promise<TrainerEvent[]> {
  const events: TrainerEvent[] = [];
  await train(exp, data, { runId: 'r', onEvent: (e) => events.push(e), backend, experimentPath: '/x.fmtl.json', runDir: '/tmp/r', ...extra });
  return events;
}
const steps = (ev: TrainerEvent[]) => ev.filter((e): e is StepEvent => e.type === 'run/step');
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

const tab = tabularData(64);
const txt = textData(48);

function withWeighting(exp: Experiment, spec: LossWeightingSpec): Experiment {
  exp.lossWeighting = spec;
  return exp;
}

/** Tabular without the regression task (dtp needs an accuracy per task). */
function classificationOnly(): Experiment {
  const e = tabularExperiment([]);
  e.tasks = e.tasks.filter((t) => t.kind !== 'regression');
  return e;
}

const smoke: [string, () => Experiment, PreparedData][] = [
  ['uncertainty', () => withWeighting(tabularExperiment([]), { type: 'uncertainty' }), tab],
  ['dwa', () => withWeighting(tabularExperiment([]), { type: 'dwa', temperature: 2 }), tab],
  ['dtp (text: classification + tagging)', () => withWeighting(textExperiment([]), { type: 'dtp', gamma: 1, alpha: 0.2 }), txt],
  ['gradnorm', () => withWeighting(tabularExperiment([]), { type: 'gradnorm', alpha: 1.5, learningRate: 0.025 }), tab],
];

for (const [name, make, data] of smoke) {
  test(`smoke: ${name} trains 2 epochs with a finite, falling loss and streams its weights every step`, async () => {
    const exp = make();
    exp.training.epochs = 2;
    const ev = await run(exp, data);
    const st = steps(ev);
    assert.ok(st.length >= 6);
    for (const s of st) {
      assert.ok(Number.isFinite(s.total), `total finite at step ${s.step}`);
      assert.deepEqual(Object.keys(s.weights!), exp.tasks.map((t) => t.id));
      for (const w of Object.values(s.weights!)) assert.ok(Number.isFinite(w) && w >= 0, `weight finite at step ${s.step}`);
    }
    const half = Math.floor(st.length / 2);
    const unweighted = st.map((s) => sum(s.losses));
    assert.ok(mean(unweighted.slice(half)) < mean(unweighted.slice(0, half)), `${name}: the task losses fall`);
    const log = ev.filter((e) => e.type === 'run/log').map((e) => (e as { message: string }).message);
    assert.ok(log.some((m) => m.startsWith(`loss weighting ${exp.lossWeighting.type}`)), 'the run log names the weighting');
    if (exp.lossWeighting.type === 'gradnorm') assert.ok(log.some((m) => /gradnorm: gradient norms on the encoder's top layer W = encoder\/dense1\/W, encoder\/dense1\/b/.test(m)), 'the run log names W');
  });
}

/** Two regression tasks on the same signal, `clean` with label noise 0.05 and `noisy` with 2. */
function noisyRegression(n = 64, seed = 5): PreparedData {
  const rng = new Rng(seed);
  const mk = (name: string, size: number): EncodedSplit => {
    const features: Float32Array[] = [];
    const clean = new Float32Array(size), noisy = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const x = new Float32Array(4).map(() => rng.normal());
      features.push(x);
      clean[i] = x[0] - x[1] + 0.05 * rng.normal();
      noisy[i] = x[0] - x[1] + 2 * rng.normal();
    }
    return {
      name, size, features,
      labels: { clean: { kind: 'real', values: clean }, noisy: { kind: 'real', values: noisy } },
      rawLabels: { clean: [...clean].map(String), noisy: [...noisy].map(String) },
    };
  };
  return { kind: 'tabular', featureDim: 4, labelNames: { clean: [], noisy: [] }, targetScale: { clean: { mean: 0, std: 1 }, noisy: { mean: 0, std: 1 } }, train: mk('train', n), valid: mk('valid', 16) };
}

function twoRegressionExperiment(spec: LossWeightingSpec): Experiment {
  const e = tabularExperiment([]);
  e.tasks = ['clean', 'noisy'].map((id) => ({ id, kind: 'regression', label: id, lossWeight: 1, blocks: [{ type: 'dense', units: 8, activation: 'relu', dropout: 0 }] }));
  e.lossWeighting = spec;
  return e;
}

test('uncertainty: the noisier task is weighed down (its weight falls below its start and below the clean task\'s)', async () => {
  const exp = twoRegressionExperiment({ type: 'uncertainty' });
  exp.training.epochs = 8;
  exp.training.learningRate = 0.05;
  const st = steps(await run(exp, noisyRegression()));
  // Regression starts at exp(-0)/2 = 0.5 for both.
  assert.ok(Math.abs(st[0].weights!.clean - 0.5) < 1e-6 && Math.abs(st[0].weights!.noisy - 0.5) < 1e-6);
  const last = st.at(-1)!.weights!;
  assert.ok(last.noisy < 0.4, `noisy weight fell: ${last.noisy}`);
  assert.ok(last.clean > 0.6, `clean weight rose: ${last.clean}`);
  // The learned weight heads for its optimum 1/(2 L): the noisy one's is near 1/(2 * its loss).
  const noisyLoss = mean(st.slice(-4).map((s) => s.losses.noisy));
  assert.ok(last.noisy > 1 / (2 * noisyLoss) * 0.5 && last.noisy < 0.5, `noisy weight ${last.noisy} between its optimum ${1 / (2 * noisyLoss)} and 0.5`);
});

test('uncertainty: the objective is the paper\'s (exp(-s) L + s/2; regression exp(-s) L / 2 + s/2) and s is a model variable', () => {
  const scope = ParamScope.root(1);
  const w = lossWeightings.get('uncertainty')({ type: 'uncertainty' }, { tasks: [{ id: 'c', kind: 'classification', lossWeight: 1 }, { id: 'r', kind: 'regression', lossWeight: 1 }], scope: scope.scope('lossWeighting') });
  const v = scope.allVariables;
  assert.deepEqual(v.map((x) => x.name), ['lossWeighting/logVariance']);
  v[0].variable.assign(tf.tensor1d([0.3, -0.7]));
  const { total, weights } = w.combine([tf.scalar(2), tf.scalar(5)]);
  const want = Math.exp(-0.3) * 2 + 0.15 + (Math.exp(0.7) * 5) / 2 - 0.35;
  assert.ok(Math.abs(total.dataSync()[0] - want) < 1e-5);
  assert.deepEqual(Array.from(weights.dataSync()).map((x) => +x.toFixed(5)), [+Math.exp(-0.3).toFixed(5), +(Math.exp(0.7) / 2).toFixed(5)]);
  v[0].variable.dispose();
});

test('dwa: equal weights when the losses fall alike; the slower-falling task gets the larger weight; sum = T', () => {
  assert.deepEqual(dwaWeights([0.5, 2, 8], [1, 4, 16], 2), [1, 1, 1]);
  const w = dwaWeights([0.9, 0.5], [1, 1], 2); // task 0 fell 10 %, task 1 fell 50 %
  assert.ok(w[0] > 1 && w[1] < 1);
  assert.ok(Math.abs(w[0] + w[1] - 2) < 1e-12);
  assert.ok(Math.abs(w[0] - (2 * Math.exp(0.45)) / (Math.exp(0.45) + Math.exp(0.25))) < 1e-12);
  // A higher temperature flattens them.
  const flat = dwaWeights([0.9, 0.5], [1, 1], 50);
  assert.ok(flat[0] - 1 < w[0] - 1);
  assert.deepEqual(dwaWeights([1, 1], null, 2), []);
});

test('dwa in training: weights 1 in epochs 1-2, then T softmax(r/temp) of the streamed epoch-mean losses, constant within an epoch', async () => {
  const exp = withWeighting(tabularExperiment([]), { type: 'dwa', temperature: 2 });
  exp.training.epochs = 4;
  const st = steps(await run(exp, tab));
  const ids = exp.tasks.map((t) => t.id);
  const byEpoch = (e: number) => st.filter((s) => s.epoch === e);
  for (const e of [1, 2]) for (const s of byEpoch(e)) assert.deepEqual(Object.values(s.weights!), [1, 1, 1]);
  for (const e of [3, 4]) {
    const lbar = (k: number) => ids.map((id) => mean(byEpoch(k).map((s) => s.losses[id])));
    const want = dwaWeights(lbar(e - 1), lbar(e - 2), 2);
    for (const s of byEpoch(e)) {
      ids.forEach((id, i) => assert.ok(Math.abs(s.weights![id] - want[i]) < 1e-4, `epoch ${e} ${id}: ${s.weights![id]} vs ${want[i]}`));
    }
    assert.ok(Math.abs(sum(byEpoch(e)[0].weights!) - 3) < 1e-4);
  }
});

test('dtp: the lower-KPI task gets the larger weight; kappa is the stated moving average', () => {
  assert.ok(dtpWeight(0.3, 1) > dtpWeight(0.9, 1));
  assert.ok(dtpWeight(0.3, 2) > dtpWeight(0.9, 2));
  assert.equal(dtpWeight(1, 1), 0);
  assert.ok(Number.isFinite(dtpWeight(0, 1)));
  const w = lossWeightings.get('dtp')({ type: 'dtp', gamma: 2, alpha: 0.5 }, { tasks: [{ id: 'a', kind: 'classification', lossWeight: 1 }, { id: 'b', kind: 'tagging', lossWeight: 1 }], scope: ParamScope.root(1) });
  const weightsNow = () => tf.tidy(() => Array.from(w.combine([tf.scalar(1), tf.scalar(1)]).weights.dataSync()));
  assert.deepEqual(weightsNow(), [1, 1]);
  w.observe({ losses: [1, 1], accuracy: [0.9, 0.2] });
  w.observe({ losses: [1, 1], accuracy: [0.7, 0.4] });
  const kappa = [0.5 * 0.7 + 0.5 * 0.9, 0.5 * 0.4 + 0.5 * 0.2];
  const got = weightsNow();
  assert.ok(Math.abs(got[0] - dtpWeight(kappa[0], 2)) < 1e-6 && Math.abs(got[1] - dtpWeight(kappa[1], 2)) < 1e-6);
  assert.ok(got[1] > got[0], 'the task with the lower accuracy weighs more');
  assert.deepEqual(w.state(), { kappa });
});

test('batchAccuracy: sentences for classification, labelled tokens for tagging (padding and unknown tags left out)', () => {
  const batch = { size: 2, seqLen: 3, featureDim: 0, indices: new Int32Array(2), targets: { c: Int32Array.from([1, 0]), t: Int32Array.from([0, 2, -1, 1, -1, -1]) } };
  assert.equal(batchAccuracy({ id: 'c', kind: 'classification' }, Float32Array.from([1, 1]), batch), 0.5);
  assert.equal(batchAccuracy({ id: 't', kind: 'tagging' }, Float32Array.from([0, 2, 2, 0, 1, 1]), batch), 2 / 3);
  assert.ok(Number.isNaN(batchAccuracy({ id: 'c', kind: 'regression' }, Float32Array.from([1, 1]), batch)));
});

test('dtp in training: the task with the lower training accuracy carries the larger weight at the end', async () => {
  // intent (sentence has a number) is learned faster than slots; compare with their valid accuracy too.
  const exp = withWeighting(textExperiment([]), { type: 'dtp', gamma: 1, alpha: 0.3 });
  exp.training.epochs = 3;
  const ev = await run(exp, txt);
  const last = steps(ev).at(-1)!.weights!;
  const ep = ev.filter((e) => e.type === 'run/epoch').at(-1) as Extract<TrainerEvent, { type: 'run/epoch' }>;
  const accIntent = ep.train.intent.accuracy, accSlots = ep.train.slots.accuracy ?? ep.train.slots.tokenAccuracy;
  assert.ok(accIntent !== undefined && accSlots !== undefined, JSON.stringify(ep.train));
  assert.notEqual(last.intent, last.slots);
  assert.equal(last.intent > last.slots, accIntent < accSlots, `weights ${JSON.stringify(last)} vs train accuracy intent ${accIntent} slots ${accSlots}`);
});

test('gradnorm update: pushes the larger weighted gradient norm down, keeps sum T, floors the weights', () => {
  let st = { weights: [1, 1], initial: [] as number[], m: [0, 0], v: [0, 0], t: 0 };
  st = gradNormStep(st, [1, 1], [10, 1], 0, 0.1);
  assert.ok(st.weights[0] < 1 && st.weights[1] > 1);
  assert.ok(Math.abs(st.weights[0] + st.weights[1] - 2) < 1e-12);
  assert.deepEqual(st.initial, [1, 1]);
  for (let i = 0; i < 200; i++) st = gradNormStep(st, [1, 1], [10, 1], 0, 0.1);
  // Equal G = w n: w0 * 10 = w1 * 1 with w0 + w1 = 2 -> w0 = 2/11.
  assert.ok(Math.abs(st.weights[0] - 2 / 11) < 0.05, `w0 ${st.weights[0]}`);
});

test('gradnorm in training: the weighted gradient norms on W start unequal and end close to equal (alpha 0)', async () => {
  // Two regression tasks on one signal; `big` has targets 10x larger, so its gradient norm on W is ~10x.
  const data = noisyRegression(64, 9);
  for (const split of [data.train, data.valid]) {
    const c = split.labels.clean as { kind: 'real'; values: Float32Array };
    const n = split.labels.noisy as { kind: 'real'; values: Float32Array };
    n.values = Float32Array.from(c.values, (v) => 10 * v);
  }
  const exp = twoRegressionExperiment({ type: 'gradnorm', alpha: 0, learningRate: 0.05 });
  exp.training.epochs = 12;
  exp.training.learningRate = 0.003;
  const store = new MemoryStore();
  const st = steps(await run(exp, data, { checkpoints: store }));
  const batch = batchesOf(data.train, data, 64)[0];
  const ratio = (weights: number[], model: ReturnType<typeof buildModel>): number => {
    const n = tf.tidy(() => Array.from(taskGradNorms(model, batch, { training: false }, gradNormLayer(model.encoder.variables)).dataSync()));
    const G = n.map((x, i) => x * weights[i]);
    return Math.max(...G) / Math.min(...G);
  };
  const m0 = buildModel(exp, data, exp.training.seed);
  const start = ratio([1, 1], m0);
  m0.setWeights(store.last().weights);
  const end = ratio(Object.values(st.at(-1)!.weights!), m0);
  m0.dispose();
  store.dispose();
  assert.ok(start > 4, `unequal at the start: ratio ${start}`);
  assert.ok(end < 1.5, `close to equal at the end: ratio ${end}`);
  assert.ok(st.at(-1)!.weights!.noisy < st.at(-1)!.weights!.clean, 'the task with the larger gradients is weighed down');
});

for (const [name, make, data] of [
  ['uncertainty', () => withWeighting(tabularExperiment([]), { type: 'uncertainty' }), tab],
  ['dwa', () => withWeighting(tabularExperiment([]), { type: 'dwa' }), tab],
  ['dtp', () => withWeighting(classificationOnly(), { type: 'dtp' }), tab],
  ['gradnorm', () => withWeighting(tabularExperiment([]), { type: 'gradnorm' }), tab],
] as [string, () => Experiment, PreparedData][]) {
  test(`resume is exact with ${name}: epochs 1-3 straight equal 2 epochs + resume to 3 (weights and losses)`, async () => {
    const full = make(); full.training.epochs = 3;
    const straight = steps(await run(full, data));
    const store = new MemoryStore();
    const part = make(); part.training.epochs = 2;
    await run(part, data, { checkpoints: store });
    const saved = store.last();
    if (name !== 'uncertainty') assert.equal(saved.weighting?.type, name);
    const again = make(); again.training.epochs = 3;
    const resumed = steps(await run(again, data, { resume: saved }));
    store.dispose();
    const third = straight.filter((s) => s.epoch === 3);
    assert.equal(resumed.filter((s) => s.epoch === 3).length, third.length);
    resumed.filter((s) => s.epoch === 3).forEach((s, i) => {
      assert.deepEqual(s.weights, third[i].weights, `step ${s.step} weights`);
      assert.deepEqual(s.losses, third[i].losses, `step ${s.step} losses`);
    });
  });
}

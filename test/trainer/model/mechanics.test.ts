/**
 * The mechanics of the feedback model: convergence loss and its gradient, Gumbel gates and their
 * annealing, level alignment, stop-gradient, dropout mask policy, weights by name, registries.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel } from '../../../src/trainer/model/feedbackModel';
import { convergenceLoss, convergenceWeights, iterationDeltas } from '../../../src/trainer/model/convergence';
import { gumbelTau, injections } from '../../../src/trainer/model/injection';
import { maskedMean, maskedMax } from '../../../src/trainer/model/layers';
import { objective } from '../../../src/trainer/model/objective';
import { ParamScope } from '../../../src/trainer/model/params';
import { Registry } from '../../../src/trainer/model/registry';
import { Rng } from '../../../src/shared/rng';
import { arrow, makeBatch, tabularData, tabularExperiment, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const tab = tabularData(32);

test('convergence loss: value by hand, weights beta^(K-k) from startK', () => {
  assert.deepEqual(convergenceWeights(3, 0.5, 1), [0, 0.25, 0.5]);
  assert.deepEqual(convergenceWeights(3, 0.5, 0), [0.125, 0.25, 0.5]);
  // Two examples, two classes, K = 2.
  const ys = [[[1, 0], [0.5, 0.5]], [[0.6, 0.4], [0.5, 0.5]], [[0.6, 0.4], [0.2, 0.8]]].map((a) => tf.tensor2d(a));
  const d = iterationDeltas(ys).arraySync();
  const n = (a: number, b: number) => Math.hypot(a, b);
  const d0 = (n(0.4, 0.4) + 0) / 2, d1 = (0 + n(0.3, 0.3)) / 2;
  assert.ok(Math.abs(d[0] - d0) < 1e-5 && Math.abs(d[1] - d1) < 1e-5, `${d}`);
  const L = convergenceLoss(tf.tensor1d(d), 0.5, 1).arraySync();
  assert.ok(Math.abs(L - 0.5 * d1) < 1e-5); // only k = 1 (beta^(2-1))
  assert.equal(convergenceLoss(tf.tensor1d([0.3]), 0.5, 1).arraySync(), 0); // K = 1, startK = 1: empty sum
});

test('convergence loss gradient matches central differences (token level, masked)', () => {
  const rng = new Rng(5);
  const K = 3, B = 2, T = 3, C = 4;
  const theta0 = Float32Array.from({ length: (K + 1) * B * T * C }, () => rng.normal());
  const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1]]);
  const f = (theta: tf.Tensor) => {
    const logits = tf.reshape(theta, [K + 1, B, T, C]);
    const ys = tf.unstack(tf.softmax(logits));
    return convergenceLoss(iterationDeltas(ys, mask), 0.6, 0);
  };
  const analytic = tf.grad(f)(tf.tensor1d(theta0)).dataSync();
  const h = 1e-2;
  let maxErr = 0;
  for (let i = 0; i < theta0.length; i++) {
    const p = Float32Array.from(theta0); p[i] += h;
    const m = Float32Array.from(theta0); m[i] -= h;
    const num = (f(tf.tensor1d(p)).dataSync()[0] - f(tf.tensor1d(m)).dataSync()[0]) / (2 * h);
    maxErr = Math.max(maxErr, Math.abs(num - analytic[i]));
  }
  assert.ok(maxErr < 2e-3, `max |numeric - analytic| = ${maxErr}`);
  // Padding (example 0, token 2) gets exactly zero gradient.
  for (let k = 0; k <= K; k++) for (let c = 0; c < C; c++) assert.ok(analytic[((k * B + 0) * T + 2) * C + c] === 0);
});

test('coinciding iterates: deltas are exactly 0 (no epsilon floor) and the gradient is finite', () => {
  const x0 = tf.tensor2d([[0.2, 0.8]]);
  assert.deepEqual(Array.from(iterationDeltas([x0, x0, x0]).dataSync()), [0, 0]);
  const g = tf.grad((x: tf.Tensor) => convergenceLoss(iterationDeltas([x, x, x]), 0.5, 0))(x0);
  for (const v of g.dataSync()) assert.ok(Number.isFinite(v));
});

test('Gumbel gate: samples sum to 1, anneal start/end, hard = one-hot forward with soft gradient, eval = argmax', () => {
  const scope = ParamScope.root(1);
  const gumbel = { tau0: 2, tauMin: 0.5, anneal: 'exp' as const, hard: false };
  const gate = injections.get('gumbel')({ candidates: [1, 2, 3], gumbel }, scope);
  const logits = scope.variables[0].variable;
  logits.assign(tf.tensor1d([0.1, 1.5, -0.3]));
  const rng = new Rng(3);
  for (let i = 0; i < 20; i++) {
    const p = gate.gate({ training: true, tau: 1, rng })!.dataSync();
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-5);
    assert.ok(p.every((x) => x >= 0));
  }
  const probs = gate.probs()!.dataSync();
  assert.ok(Math.abs(Array.from(probs).reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.deepEqual(Array.from(gate.gate({ training: false, tau: 1, rng: null })!.dataSync()), [0, 1, 0]);

  assert.equal(gumbelTau(gumbel, 0, 100), 2);
  assert.ok(Math.abs(gumbelTau(gumbel, 99, 100) - 0.5) < 1e-12);
  assert.ok(Math.abs(gumbelTau(gumbel, 49.5, 100) - 1) < 1e-12); // geometric midpoint
  assert.ok(Math.abs(gumbelTau({ ...gumbel, anneal: 'linear' }, 49.5, 100) - 1.25) < 1e-12);
  assert.equal(gumbelTau({ ...gumbel, anneal: 'none' }, 99, 100), 2);

  const hardGate = injections.get('gumbel')({ candidates: [1, 2, 3], gumbel: { ...gumbel, hard: true } }, ParamScope.root(2));
  const hard = hardGate.gate({ training: true, tau: 1, rng: new Rng(4) })!.dataSync();
  assert.deepEqual(Array.from(hard).map((x) => Math.round(x * 1e6) / 1e6).sort(), [0, 0, 1]);
  const hl = hardGate.variables[0].variable;
  const vg = tf.variableGrads(() => tf.sum(tf.mul(hardGate.gate({ training: true, tau: 1, rng: new Rng(4) })!, tf.tensor1d([1, 2, 3]))) as tf.Scalar, [hl]);
  assert.ok(vg.grads[hl.name].dataSync().some((x) => x !== 0), 'straight-through gives the soft gradient');
});

test('a Gumbel gate over a single block is the constant 1 in training and eval, and its gradient is defined', () => {
  const gumbel = { tau0: 1, tauMin: 0.5, anneal: 'exp' as const, hard: true };
  const scope = ParamScope.root(5);
  const gate = injections.get('gumbel')({ candidates: [2], gumbel }, scope);
  assert.deepEqual(Array.from(gate.gate({ training: false, tau: 1, rng: null })!.dataSync()), [1]);
  assert.deepEqual(Array.from(gate.gate({ training: true, tau: 1, rng: new Rng(1) })!.dataSync()), [1]);
  const v = scope.variables[0].variable;
  const g = tf.variableGrads(() => tf.sum(gate.gate({ training: true, tau: 1, rng: new Rng(1) })!) as tf.Scalar, [v]);
  for (const x of g.grads[v.name].dataSync()) assert.ok(Number.isFinite(x));
});

test('masked pooling ignores padding', () => {
  const mask = tf.tensor2d([[1, 1, 0, 0]]);
  const a = tf.tensor3d([[[1, 2], [3, 4], [100, -100], [7, 7]]]);
  const b = tf.tensor3d([[[1, 2], [3, 4], [-5, 50], [0, 0]]]);
  assert.deepEqual(maskedMean(a, mask).arraySync(), [[2, 3]]);
  assert.deepEqual(maskedMean(b, mask).arraySync(), [[2, 3]]);
  assert.deepEqual(maskedMax(a, mask).arraySync(), [[3, 4]]);
});

test('model: extra padding changes nothing (token->sentence pooling and the BiGRU ignore pads)', () => {
  const data = textData(16);
  const exp = textExperiment([arrow('s2i', 'slots', 'intent'), arrow('i2s', 'intent', 'slots')]);
  const model = buildModel(exp, data, 1);
  const b = makeBatch(data.train, [0, 1, 2, 3], data);
  const T = b.seqLen, P = T + 3;
  const tokens = new Int32Array(4 * P);
  const slots = new Int32Array(4 * P).fill(-1);
  for (let i = 0; i < 4; i++) {
    tokens.set(b.tokens!.subarray(i * T, (i + 1) * T), i * P);
    slots.set((b.targets.slots as Int32Array).subarray(i * T, (i + 1) * T), i * P);
  }
  const padded = { ...b, seqLen: P, tokens, targets: { ...b.targets, slots } };
  const [x, y] = [b, padded].map((bb) => tf.tidy(() => {
    const r = model.forward(bb, { training: false });
    return { intent: r.tasks.intent.iterates.map((t) => t.arraySync()), loss: objective(model, r, bb).total.arraySync() };
  }));
  for (let k = 0; k < x.intent.length; k++) {
    const a = (x.intent[k] as number[][]).flat(), c = (y.intent[k] as number[][]).flat();
    a.forEach((v, i) => assert.ok(Math.abs(v - c[i]) < 1e-5, `iterate ${k}`));
  }
  assert.ok(Math.abs(x.loss - y.loss) < 1e-5);
  model.dispose();
});

test('the encoder runs once per forward; iterates y^0..y^K; y^0 has zero feedback', () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
  exp.iterations = 3;
  const model = buildModel(exp, tab, 1);
  let calls = 0;
  const enc = model.encoder as { apply: typeof model.encoder.apply };
  const orig = enc.apply.bind(model.encoder);
  enc.apply = (ctx) => { calls++; return orig(ctx); };
  const b = makeBatch(tab.train, [0, 1, 2], tab);
  tf.tidy(() => {
    const r = model.forward(b, { training: true, tau: 1, step: 0 });
    assert.equal(calls, 1);
    assert.equal(r.tasks.bin.iterates.length, 4);
    // Same model without the arrow: its bin output equals this model's y^0 (zero feedback = no arrow).
    const staticModel = buildModel(tabularExperiment([]), tab, 1);
    const s = staticModel.forward(b, { training: true, tau: 1, step: 0 });
    assert.deepEqual(s.tasks.bin.iterates[0].arraySync(), r.tasks.bin.iterates[0].arraySync());
    assert.notDeepEqual(r.tasks.bin.iterates[1].arraySync(), r.tasks.bin.iterates[0].arraySync());
    staticModel.dispose();
  });
  model.dispose();
});

test('stopGradient: no gradient from the target task loss into the source head through feedback', () => {
  const grads = (stop: boolean) => {
    const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
    exp.training.stopGradient = stop;
    const model = buildModel(exp, tab, 1);
    const b = makeBatch(tab.train, [0, 1, 2, 3], tab);
    const w = model.namedVariables.find((v) => v.name === 'tasks/cls/head/W')!.variable;
    const g = tf.tidy(() => {
      const { grads: gr } = tf.variableGrads(() => {
        const r = model.forward(b, { training: true, tau: 1, step: 0 });
        return objective(model, r, b).taskLosses[1]; // bin
      }, [w]);
      return Array.from(gr[w.name].dataSync());
    });
    model.dispose();
    return g;
  };
  assert.ok(grads(false).some((x) => x !== 0), 'gradient flows through the fed-back output');
  assert.ok(grads(true).every((x) => x === 0), 'stopped');
});

test('dropout masks: shared across iterations (zero deltas when feedback is silenced), fresh per iteration; seeded by step', () => {
  const run = (mode: 'shared' | 'fresh', step: number) => {
    const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
    exp.convergence.dropoutMasks = mode;
    exp.tasks[1].blocks[0].dropout = 0.5;
    const model = buildModel(exp, tab, 1);
    // Silence the amplifier: the feedback signal is exactly zero.
    for (const v of model.namedVariables) if (v.name.startsWith('feedback/')) v.variable.assign(tf.zerosLike(v.variable));
    const b = makeBatch(tab.train, [0, 1, 2, 3], tab);
    const out = tf.tidy(() => {
      const r = model.forward(b, { training: true, tau: 1, step });
      return { deltas: Array.from(objective(model, r, b).deltas[1].dataSync()), y0: Array.from(r.tasks.bin.iterates[0].dataSync()) };
    });
    model.dispose();
    return out;
  };
  const shared = run('shared', 0);
  assert.ok(shared.deltas.every((d) => d < 1e-5), `shared: ${shared.deltas}`);
  const fresh = run('fresh', 0);
  assert.ok(fresh.deltas.some((d) => d > 1e-3), `fresh: ${fresh.deltas}`);
  assert.deepEqual(run('shared', 0).y0, shared.y0);
  assert.notDeepEqual(run('shared', 1).y0, shared.y0);
});

test('weights by name round-trip; a mismatched checkpoint is a clear error', () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel' })]);
  const a = buildModel(exp, tab, 1), b = buildModel(exp, tab, 2);
  const names = a.getWeights().map((w) => w.name);
  assert.ok(names.includes('encoder/dense1/W') && names.includes('feedback/a/gate/logits') && names.includes('tasks/bin/block1/Wf'));
  b.setWeights(a.getWeights());
  for (const [i, w] of a.getWeights().entries()) assert.deepEqual(w.tensor.dataSync(), b.getWeights()[i].tensor.dataSync());
  const other = buildModel(tabularExperiment([]), tab, 1);
  assert.throws(() => other.setWeights(a.getWeights().map((w) => (w.name === 'encoder/dense1/W' ? { name: w.name, tensor: tf.zeros([2, 2]) } : w))), /encoder\/dense1\/W' has shape \[2,2\]/);
  assert.throws(() => a.setWeights(other.getWeights()), /missing .*feedback\/a\/amplifier\/W/);
  [a, b, other].forEach((m) => m.dispose());
});

test('clear build errors: unknown plug-in names, add width, label-embedding from regression', () => {
  const r = new Registry<number>('widget').register('a', 1).register('b', 2);
  assert.throws(() => r.get('c'), /unknown widget 'c' \(known: a, b\)/);
  const before = tf.memory().numTensors;
  const bad = tabularExperiment([arrow('x', 'cls', 'bin', { amplifier: { type: 'cubic' as 'linear', units: 4 } })]);
  assert.throws(() => buildModel(bad, tab, 1), /unknown amplifier 'cubic' \(known: linear, mlp, label-embedding\)/);
  assert.throws(() => buildModel(tabularExperiment([arrow('x', 'cls', 'bin', { combine: 'add', injection: 1, amplifier: { type: 'linear', units: 5 } })]), tab, 1),
    /combine 'add' needs amplifier.units = the input width of bin block 1 \(16\), got 5/);
  assert.throws(() => buildModel(tabularExperiment([arrow('x', 'reg', 'bin', { amplifier: { type: 'label-embedding', units: 3 } })]), tab, 1),
    /label-embedding.*regression/);
  assert.equal(tf.memory().numTensors, before, 'a failed build leaks no variables');
});

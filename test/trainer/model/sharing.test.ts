/**
 * Soft parameter sharing (per-task encoder copies tied by an L2 penalty) and cross-stitch units
 * between the task towers: the penalty and its gradient, the copies' own parameters and dropout,
 * cross-stitch against the model without it and against a pass-by-pass reference, gradients,
 * checkpoints, and training on tiny data.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Experiment } from '../../../src/shared/experimentTypes';
import { withDefaults } from '../../../src/shared/experiment';
import { Rng } from '../../../src/shared/rng';
import { buildModel, type FeedbackModel, type ForwardResult } from '../../../src/trainer/model/feedbackModel';
import { Dropout } from '../../../src/trainer/model/context';
import { objective } from '../../../src/trainer/model/objective';
import { tiePenalty } from '../../../src/trainer/model/softSharing';
import { broadcastTokens } from '../../../src/trainer/model/layers';
import type { Batch } from '../../../src/data/types';
import { arrow, batchesOf, makeBatch, tabularData, tabularExperiment, textData, textExperiment } from '../synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const tab = tabularData(48);
const txt = textData(32);

const soft = (e: Experiment, l2 = 0.01): Experiment => ({ ...e, sharing: { type: 'soft', l2 } });
const tabBatch = (n = 8): Batch => makeBatch(tab.train, Array.from({ length: n }, (_, i) => i), tab);
const txtBatch = (n = 8): Batch => makeBatch(txt.train, Array.from({ length: n }, (_, i) => i), txt);
const values = (t: tf.Tensor) => Array.from(t.dataSync());
const maxDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
/** Every pass's iterate of every task, flattened (eval mode). */
function iterates(model: FeedbackModel, b: Batch, opts = { training: false as boolean, step: 0 }): Record<string, number[][]> {
  return tf.tidy(() => {
    const r = model.forward(b, opts);
    return Object.fromEntries(model.tasks.map((t) => [t.id, r.tasks[t.id].iterates.map(values)]));
  });
}
/** Adds noise to every variable whose name starts with `prefix` (the copies then differ). */
function perturb(model: FeedbackModel, prefix: string, seed: number, scale = 0.05): void {
  const rng = new Rng(seed);
  for (const v of model.namedVariables) {
    if (!v.name.startsWith(prefix)) continue;
    const w = v.variable.dataSync().map((x) => x + scale * rng.normal());
    v.variable.assign(tf.tensor(w, v.variable.shape));
  }
}

test('soft sharing: one encoder copy per task with its own parameters, all starting from the hard encoder\'s values', () => {
  const hard = buildModel(withDefaults(tabularExperiment()), tab, 5);
  const s = buildModel(withDefaults(soft(tabularExperiment())), tab, 5);
  assert.deepEqual(s.encoders.map((c) => c.scope), ['encoders/cls', 'encoders/bin', 'encoders/reg']);
  assert.deepEqual(s.tasks.map((t) => s.encoders.findIndex((c) => c.encoder === t.encoder)), [0, 1, 2]);
  const hardEnc = hard.encoder.variables;
  for (const c of s.encoders) {
    assert.deepEqual(c.encoder.variables.map((v) => v.name), hardEnc.map((v) => v.name.replace(/^encoder\//, `${c.scope}/`)));
    c.encoder.variables.forEach((v, i) => assert.deepEqual(values(v.variable), values(hardEnc[i].variable), v.name));
  }
  assert.equal(s.parameterCount - hard.parameterCount, 2 * hardEnc.reduce((n, v) => n + v.variable.size, 0));
  // Same start, same everything else: the soft model answers as the hard one until the copies move.
  const b = tabBatch();
  assert.deepEqual(iterates(s, b), iterates(hard, b));
  perturb(s, 'encoders/bin/', 1);
  assert.deepEqual(iterates(s, b).cls, iterates(hard, b).cls, 'the cls copy is untouched');
  assert.ok(maxDiff(iterates(s, b).bin[0], iterates(hard, b).bin[0]) > 1e-4, 'bin reads its own copy');
  hard.dispose(); s.dispose();
});

test('soft sharing: the copies draw their own dropout masks', () => {
  const e = soft(textExperiment());
  e.encoder = { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0.5 };
  const m = buildModel(withDefaults(e), txt, 3);
  const bt = m.forward(txtBatch(), { training: false }).batch;
  const run = (training: boolean) => {
    const d = new Dropout(training ? new Rng(9) : null, 'shared');
    return m.encoders.map((c) => values(c.encoder.apply({ training, batch: bt, dropout: d.under(`${c.scope}/`), iteration: 0 }).tokens!));
  };
  const [a, b] = run(false);
  assert.deepEqual(a, b, 'equal weights, no dropout: equal states');
  const [x, y] = run(true);
  assert.ok(maxDiff(x, y) > 1e-3, 'training: different masks per copy');
  m.dispose();
});

test('tie penalty: 0 for equal copies, l2 * sum of squared differences otherwise, gradient 2 l2 (theta_i - theta_j)', () => {
  const m = buildModel(withDefaults(soft(textExperiment(), 0.01)), txt, 2);
  assert.equal(tf.tidy(() => m.tie()!.dataSync()[0]), 0);
  perturb(m, 'encoders/slots/', 4);
  const [a, b] = m.encoders.map((c) => c.encoder.variables.map((v) => v.variable));
  let sq = 0;
  a.forEach((p, i) => { const x = p.dataSync(), y = b[i].dataSync(); for (let j = 0; j < x.length; j++) sq += (x[j] - y[j]) ** 2; });
  const tie = tf.tidy(() => m.tie()!.dataSync()[0]);
  assert.ok(Math.abs(tie - 0.01 * sq) < 1e-6 * Math.max(1, tie), `${tie} vs ${0.01 * sq}`);
  // The gradient: tfjs's, the formula, and central finite differences at one entry.
  const { grads } = tf.variableGrads(() => m.tie()!, [...a, ...b]);
  a.forEach((p, i) => {
    const want = p.dataSync().map((x, j) => 2 * 0.01 * (x - b[i].dataSync()[j]));
    assert.ok(maxDiff(values(grads[p.name]), Array.from(want)) < 1e-6, 'dTie/dtheta_intent');
    assert.ok(maxDiff(values(grads[b[i].name]), Array.from(want, (x) => -x)) < 1e-6, 'dTie/dtheta_slots');
  });
  const p = a[0], w0 = p.dataSync().slice(), j = 3, eps = 1e-2;
  const at = (d: number) => { const w = w0.slice(); w[j] += d; p.assign(tf.tensor(w, p.shape)); return tf.tidy(() => m.tie()!.dataSync()[0]); };
  const fd = (at(eps) - at(-eps)) / (2 * eps);
  p.assign(tf.tensor(w0, p.shape));
  assert.ok(Math.abs(fd - grads[p.name].dataSync()[j]) < 1e-3, `finite differences ${fd} vs ${grads[p.name].dataSync()[j]}`);
  // One SGD step on the penalty alone brings the copies closer.
  const opt = tf.train.sgd(1);
  opt.applyGradients(grads);
  const after = tf.tidy(() => m.tie()!.dataSync()[0]);
  assert.ok(after < tie * 0.99, `${tie} -> ${after}`);
  // Exactly: theta_i - theta_j shrinks by the factor 1 - 4 l2 lr, so the penalty by its square.
  assert.ok(Math.abs(after - tie * (1 - 0.04) ** 2) < 1e-4 * tie, `${after} vs ${tie * 0.96 ** 2}`);
  opt.dispose(); tf.dispose(grads); m.dispose();
});

test('tie penalty over three copies sums every pair; it is part of the objective and the readout', () => {
  const [x, y, z] = [[1, 2], [0, 0], [3, -1]].map((v) => [tf.tensor1d(v)]);
  const pen = tiePenalty([x, y, z], 0.5).dataSync()[0];
  // |x-y|^2 = 5, |x-z|^2 = 13, |y-z|^2 = 10
  assert.equal(pen, 0.5 * 28);
  const m = buildModel(withDefaults(soft(tabularExperiment(), 0.1)), tab, 2);
  perturb(m, 'encoders/reg/', 2);
  const b = tabBatch();
  const [total, withoutTie, tie] = tf.tidy(() => {
    const o = objective(m, m.forward(b, { training: false }), b);
    // No arrows: K = 0, so the total is the weighted task losses plus the tie.
    const weighted = tf.sum(tf.mul(o.weights, tf.stack(o.taskLosses)));
    return [o.total.dataSync()[0], weighted.dataSync()[0], o.tie!.dataSync()[0]];
  });
  assert.ok(tie > 0);
  assert.ok(Math.abs(total - (withoutTie + tie)) < 1e-4, `${total} = ${withoutTie} + ${tie}`);
  m.dispose();
});

/** Three tabular tasks, two dense blocks each (all sentence level, width 8): stitchable at 1 and 2. */
function stitched(after: number[], feedback = [arrow('a', 'cls', 'bin', { injection: 2 })], self?: number): Experiment {
  return { ...tabularExperiment(feedback), sharing: { type: 'hard', crossStitch: { after, ...(self !== undefined ? { self } : {}) } } };
}

test('cross-stitch: alpha starts at self on the diagonal, (1 - self) / (T - 1) elsewhere', () => {
  const m = buildModel(withDefaults(stitched([1, 2], [], 0.8)), tab, 1);
  assert.deepEqual([...m.crossStitch.keys()], [1, 2]);
  const a = values(m.crossStitch.get(1)!.alpha).map((x) => Math.round(x * 1e6) / 1e6);
  assert.deepEqual(a, [0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8]);
  assert.deepEqual(m.namedVariables.filter((v) => v.name.startsWith('crossStitch')).map((v) => v.name), ['crossStitch/after1/alpha', 'crossStitch/after2/alpha']);
  m.dispose();
});

test('cross-stitch with identity alpha equals the model without it (feedback, every pass)', () => {
  const plain = buildModel(withDefaults(tabularExperiment([arrow('a', 'cls', 'bin', { injection: 2 })])), tab, 6);
  const m = buildModel(withDefaults(stitched([1, 2])), tab, 6);
  for (const u of m.crossStitch.values()) u.alpha.assign(tf.eye(3));
  const b = tabBatch();
  const A = iterates(m, b), B = iterates(plain, b);
  for (const t of ['cls', 'bin', 'reg']) A[t].forEach((y, k) => assert.ok(maxDiff(y, B[t][k]) < 1e-6, `${t} pass ${k}`));
  // The stitched model runs every task in every pass: the unit after block 2 joins cls and reg to
  // bin (fed at block 2), so their heads' inputs change from pass to pass.
  assert.deepEqual(m.tasks.map((t) => [t.receivesFeedback, t.firstFedBlock]), [[true, 3], [true, 2], [true, 3]]);
  assert.ok(maxDiff(A.cls[0], A.cls[2]) === 0, 'identity alpha: cls does not see bin');
  for (const u of m.crossStitch.values()) u.alpha.assign(tf.tensor2d([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]));
  const C = iterates(m, b);
  assert.ok(maxDiff(C.cls[0], C.cls[2]) > 1e-6, 'stitched: cls changes with the feedback into bin');
  plain.dispose(); m.dispose();
});

test('cross-stitch: towers in lock-step equal a pass-by-pass reference that recomputes everything (text, token level, feedback both ways)', () => {
  const e = textExperiment([arrow('i2s', 'intent', 'slots', { injection: 2 }), arrow('s2i', 'slots', 'intent', { injection: 2 })],
    [{ type: 'dense', units: 8, activation: 'relu', dropout: 0 }, { type: 'dense', units: 8, activation: 'tanh', dropout: 0 }]);
  e.tasks[0].tokenLevel = true;
  e.sharing = { type: 'soft', l2: 0.01, crossStitch: { after: [1, 2], self: 0.7 } };
  e.iterations = 3;
  const m = buildModel(withDefaults(e), txt, 8);
  perturb(m, 'encoders/slots/', 3);
  const b = txtBatch();
  const got = iterates(m, b);
  const want = tf.tidy(() => {
    const bt = m.forward(b, { training: false }).batch;
    const d = new Dropout(null, 'shared');
    const enc = m.encoders.map((c) => c.encoder.apply({ training: false, batch: bt, dropout: d, iteration: 0 }).tokens!);
    const out: Record<string, number[][]> = { intent: [], slots: [] };
    let prev: tf.Tensor[] | null = null;
    for (let k = 0; k <= m.iterations; k++) {
      let h: tf.Tensor[] = [...enc];
      for (let l = 1; l <= 2; l++) {
        h = m.tasks.map((t, i) => {
          let extra: tf.Tensor | null = null;
          const a = m.arrows.find((x) => x.to === t && x.injection.candidates.includes(l));
          if (prev && a) {
            const src = m.tasks.indexOf(a.from);
            const s = a.amplifier.apply(prev[src]);
            extra = a.from.level === 'sentence' ? broadcastTokens(s, bt.seqLen) : s;
          }
          return t.blocks[l - 1].apply(h[i], extra, { training: false, batch: bt, dropout: d, iteration: k });
        });
        const alpha = m.crossStitch.get(l)!.alpha.arraySync() as number[][];
        h = h.map((_, i) => tf.addN(h.map((x, j) => tf.mul(x, alpha[i][j]))));
      }
      prev = m.tasks.map((t, i) => t.head.output(t.head.logits(h[i]), bt.mask));
      m.tasks.forEach((t, i) => out[t.id].push(values(prev![i])));
    }
    return out;
  });
  for (const t of ['intent', 'slots']) got[t].forEach((y, k) => assert.ok(maxDiff(y, want[t][k]) < 1e-5, `${t} pass ${k}: ${maxDiff(y, want[t][k])}`));
  assert.ok(maxDiff(got.intent[0], got.intent[3]) > 1e-5, 'the passes differ');
  m.dispose();
});

test('cross-stitch: the gradient of alpha and of the blocks matches central finite differences', () => {
  const m = buildModel(withDefaults(stitched([1], [arrow('a', 'cls', 'bin', { injection: 2 })], 0.6)), tab, 4);
  const b = tabBatch(6);
  const f = () => tf.tidy(() => objective(m, m.forward(b, { training: false }), b).total);
  const check = m.namedVariables.filter((v) => v.name === 'crossStitch/after1/alpha' || v.name === 'tasks/reg/block1/W' || v.name === 'encoder/dense1/W');
  assert.equal(check.length, 3);
  const g = tf.variableGrads(f, check.map((v) => v.variable)).grads;
  const eps = 1e-3;
  for (const { name, variable } of check) {
    const grad = g[variable.name].dataSync();
    const w0 = variable.dataSync().slice();
    const order = Array.from(grad.keys()).sort((i, j) => Math.abs(grad[j]) - Math.abs(grad[i])).slice(0, name.includes('alpha') ? 9 : 3);
    for (const i of order) {
      const at = (dl: number) => { const w = w0.slice(); w[i] += dl; variable.assign(tf.tensor(w, variable.shape)); return f().dataSync()[0]; };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      variable.assign(tf.tensor(w0, variable.shape));
      assert.ok(Math.abs(grad[i] - fd) < 2e-2 * Math.max(1, Math.abs(fd)), `${name}[${i}]: tfjs ${grad[i]} vs finite differences ${fd}`);
    }
    assert.ok(grad.some((x) => Math.abs(x) > 1e-6), `${name} gets a gradient`);
  }
  tf.dispose(g); m.dispose();
});

test('cross-stitch: the trainer refuses towers it cannot stitch, naming both tasks\' blocks', () => {
  assert.throws(() => buildModel(withDefaults({ ...textExperiment(), sharing: { type: 'hard', crossStitch: { after: [1] } } }), txt, 1),
    /crossStitch\.after 1: intent block 1 \(sentence level, width 8\) and slots block 1 \(token level, width 8\) cannot be stitched/);
  assert.throws(() => buildModel(withDefaults(stitched([3])), tab, 1), /after 3: task 'cls' has 2 blocks/);
});

test('checkpoints: weights by name round-trip a soft, cross-stitched model; a hard checkpoint does not fit it', () => {
  const e = withDefaults({ ...stitched([1]), sharing: { type: 'soft', l2: 0.01, crossStitch: { after: [1] } } });
  const a = buildModel(e, tab, 1);
  perturb(a, '', 7, 0.02);
  const b = buildModel(e, tab, 2);
  const batch = tabBatch();
  assert.notDeepEqual(iterates(a, batch), iterates(b, batch));
  const saved = a.getWeights().map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
  b.setWeights(saved);
  assert.deepEqual(iterates(b, batch), iterates(a, batch));
  assert.equal(tf.tidy(() => b.tie()!.dataSync()[0]), tf.tidy(() => a.tie()!.dataSync()[0]));
  const hard = buildModel(withDefaults(tabularExperiment()), tab, 1);
  assert.throws(() => b.setWeights(hard.getWeights()), /the checkpoint does not fit this model: missing encoders\/cls\/dense1\/W/);
  tf.dispose(saved.map((w) => w.tensor)); a.dispose(); b.dispose(); hard.dispose();
});

/** Trains 2 epochs with Adam; the mean eval objective before and after. */
function fit2(exp: Experiment, data: typeof tab): { before: number; after: number; tie: number[] } {
  const model = buildModel(withDefaults(exp), data, 7);
  const batches = batchesOf(data.train, data, exp.training.batchSize);
  const mean = () => batches.reduce((s, b) => s + tf.tidy(() => objective(model, model.forward(b, { training: false }), b).total.dataSync()[0]), 0) / batches.length;
  const before = mean();
  const opt = tf.train.adam(exp.training.learningRate);
  const tie: number[] = [];
  let step = 0;
  for (let ep = 0; ep < 2; ep++) {
    for (const b of batches) {
      tf.tidy(() => {
        let t = 0;
        const { value, grads } = tf.variableGrads(() => {
          const o = objective(model, model.forward(b, { training: true, tau: 1, step }), b);
          if (o.tie) t = o.tie.dataSync()[0];
          return o.total;
        }, model.variables);
        assert.ok(Number.isFinite(value.dataSync()[0]), `loss finite at step ${step}`);
        opt.applyGradients(model.variables.map((v) => ({ name: v.name, tensor: grads[v.name] })));
        tie.push(t);
      });
      step++;
    }
  }
  const after = mean();
  opt.dispose(); model.dispose();
  return { before, after, tie };
}

const smoke: [string, () => Experiment, typeof tab][] = [
  ['soft sharing (mlp encoders, feedback)', () => soft(tabularExperiment([arrow('a', 'cls', 'bin', { injection: 2 })]), 0.01), tab],
  ['soft sharing (bigru encoders with dropout, feedback both ways)', () => {
    const e = soft(textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 2 })]), 0.001);
    e.encoder = { type: 'bigru', embeddingDim: 8, hidden: 6, layers: 1, dropout: 0.2 };
    return e;
  }, txt],
  ['cross-stitch after blocks 1 and 2, hard sharing, Gumbel feedback', () => stitched([1, 2], [arrow('a', 'cls', 'bin', { injection: 'gumbel' })]), tab],
  ['soft sharing + cross-stitch, token-level intent, feedback both ways, fresh dropout masks', () => {
    const e = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 2 })],
      [{ type: 'bigru', units: 4, dropout: 0.1 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0.1 }]);
    e.tasks[0].tokenLevel = true;
    e.tasks[0].blocks[0] = { type: 'bigru', units: 4, dropout: 0.1 };
    e.sharing = { type: 'soft', l2: 0.01, crossStitch: { after: [1, 2] } };
    e.convergence.dropoutMasks = 'fresh';
    return e;
  }, txt],
];
for (const [name, mk, data] of smoke) {
  test(`trains 2 epochs: ${name}`, () => {
    const exp = mk();
    const { before, after, tie } = fit2(exp, data);
    assert.ok(Number.isFinite(before) && Number.isFinite(after), `finite: ${before} -> ${after}`);
    assert.ok(after < before, `objective falls: ${before} -> ${after}`);
    if (exp.sharing?.type === 'soft') {
      assert.equal(tie[0], 0, 'the copies start equal');
      assert.ok(tie.at(-1)! > 0 && tie.every(Number.isFinite), 'the copies move apart under their own tasks and dropout');
    }
  });
}

test('ForwardResult shape is unchanged by sharing (every task has K + 1 iterates)', () => {
  const m = buildModel(withDefaults({ ...stitched([2]), sharing: { type: 'soft', crossStitch: { after: [2] } } }), tab, 1);
  const r: ForwardResult = m.forward(tabBatch(), { training: false });
  for (const t of m.tasks) assert.equal(r.tasks[t.id].iterates.length, m.iterations + 1);
  m.dispose();
});

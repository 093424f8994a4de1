import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Experiment } from '../../src/shared/experimentTypes';
import type { RunSummary, StepEvent, TrainerEvent } from '../../src/shared/trainerProtocol';
import type { PreparedData } from '../../src/data/types';
import { train, type CheckpointStore, type TrainOptions, type TrainState } from '../../src/trainer/train';
import { arrow, tabularData, tabularExperiment, textData, textExperiment } from './synthetic';

test.before(async () => { await tf.setBackend('cpu'); });

const backend = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, skipped: [] };

/** In-memory checkpoint store that keeps copies of what it is given. */
class MemoryStore implements CheckpointStore {
  saved: { kind: 'best' | 'last'; state: TrainState }[] = [];
  async save(kind: 'best' | 'last', state: TrainState): Promise<string> {
    const copy = (l: TrainState['weights']) => l.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    this.saved.push({ kind, state: { ...state, weights: copy(state.weights), optimizer: copy(state.optimizer) } });
    return `mem://${kind}/${this.saved.length}`;
  }
  last(): TrainState | undefined { return [...this.saved].reverse().find((s) => s.kind === 'last')?.state; }
  dispose(): void { for (const s of this.saved) for (const w of [...s.state.weights, ...s.state.optimizer]) w.tensor.dispose(); }
}

async function run(exp: Experiment, data: PreparedData, over: Partial<TrainOptions> = {}): Promise<{ events: TrainerEvent[]; summary: RunSummary }> {
  const events: TrainerEvent[] = [];
  const summary = await train(exp, data, { runId: 'r', onEvent: (e) => events.push(e), backend, experimentPath: '/x.fmtl.json', runDir: '/tmp/r', ...over });
  return { events, summary };
}
const steps = (ev: TrainerEvent[]) => ev.filter((e): e is StepEvent => e.type === 'run/step');

const tab = tabularData(64);

test('emits the run events in order and trains (loss falls)', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel' }), arrow('b', 'reg', 'cls', { injection: 2 })]);
  exp.training.epochs = 3;
  const store = new MemoryStore();
  const { events, summary } = await run(exp, tab, { checkpoints: store });
  assert.equal(events[0].type, 'run/start');
  assert.equal(events.at(-1)!.type, 'run/done');
  const start = events[0] as Extract<TrainerEvent, { type: 'run/start' }>;
  assert.equal(start.sizes.stepsPerEpoch, 4);
  assert.ok(start.sizes.parameters > 100);
  assert.deepEqual(start.sizes.labels, { cls: 3, bin: 2 });
  const st = steps(events);
  assert.equal(st.length, 12);
  assert.deepEqual(st.map((s) => s.step), [...Array(12).keys()].map((i) => i + 1));
  for (const s of st) {
    assert.ok(Number.isFinite(s.total));
    assert.deepEqual(Object.keys(s.losses), ['cls', 'bin', 'reg']);
  }
  const mean = (a: StepEvent[]) => a.reduce((x, s) => x + s.total, 0) / a.length;
  assert.ok(mean(st.slice(8)) < mean(st.slice(0, 4)), 'loss falls');
  // Train deltas/gates every logEvery (2) steps, plus one valid set per epoch.
  const deltas = events.filter((e) => e.type === 'run/iterationDeltas');
  assert.equal(deltas.filter((e) => e.split === 'train').length, 6);
  assert.equal(deltas.filter((e) => e.split === 'valid').length, 3);
  for (const d of deltas) assert.equal(d.deltas.cls.length, 2);
  const gates = events.filter((e) => e.type === 'run/gates');
  assert.equal(gates.length, 6 + 3);
  for (const g of gates) {
    assert.deepEqual(g.gates.a.blocks, [1, 2]);
    assert.ok(Math.abs(g.gates.a.probs[0] + g.gates.a.probs[1] - 1) < 1e-5);
  }
  const epochs = events.filter((e) => e.type === 'run/epoch');
  assert.equal(epochs.length, 3);
  for (const e of epochs) {
    assert.ok(e.valid.cls.accuracy >= 0 && e.valid.cls.accuracy <= 1);
    assert.ok('macroF1' in e.train.bin && 'rmse' in e.valid.reg && 'mae' in e.valid.reg);
    assert.equal(e.monitor!.metric, 'cls.accuracy');
  }
  assert.equal(summary.status, 'completed');
  assert.equal(summary.steps, 12);
  assert.ok(summary.gates.a.block === 1 || summary.gates.a.block === 2);
  assert.equal(store.saved.filter((s) => s.kind === 'last').length, 3);
  assert.ok(store.saved.some((s) => s.kind === 'best'));
  const cps = events.filter((e) => e.type === 'run/checkpoint');
  assert.equal(cps.length, store.saved.length);
  store.dispose();
});

test('same seed => identical loss sequence; different seed => different', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel' })]);
  exp.tasks[1].blocks[0].dropout = 0.3;
  const a = steps((await run(exp, tab)).events).map((s) => s.total);
  const b = steps((await run(exp, tab)).events).map((s) => s.total);
  const c = steps((await run(exp, tab, { seed: 99 })).events).map((s) => s.total);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('numTensors stays flat across steps and nothing leaks after the run', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel' }), arrow('b', 'bin', 'reg')]);
  exp.training.epochs = 3;
  exp.training.clipNorm = 1;
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await run(exp, tab, { onEvent: (e) => { if (e.type === 'run/step') counts.push(tf.memory().numTensors); } });
  // From step 2 on (the optimizer creates its slots in step 1) the count must not move within an epoch.
  assert.ok(counts.length === 12);
  assert.equal(new Set(counts.slice(1)).size, 1, `tensor counts: ${counts.join(',')}`);
  assert.equal(tf.memory().numTensors, before);
});

test('abort finishes the step, saves last, returns stopped; resume continues the same sequence', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
  exp.training.epochs = 2;
  exp.tasks[0].blocks[0].dropout = 0.2;
  const full = steps((await run(exp, tab)).events).map((s) => s.total);

  const ac = new AbortController();
  const store = new MemoryStore();
  const events2: TrainerEvent[] = [];
  const { summary } = await run(exp, tab, {
    signal: ac.signal, checkpoints: store,
    onEvent: (e) => { events2.push(e); if (e.type === 'run/step' && e.step === 6) ac.abort(); },
  });
  assert.equal(summary.status, 'stopped');
  assert.equal(summary.steps, 6);
  assert.equal(steps(events2).length, 6);
  const last = store.last()!;
  assert.ok(last, 'a last checkpoint was saved');
  assert.equal(last.step, 6);
  assert.equal(last.epoch, 1);
  assert.ok(events2.some((e) => e.type === 'run/checkpoint' && e.kind === 'last' && e.step === 6));
  assert.equal(events2.at(-1)!.type, 'run/done');

  const resumed = steps((await run(exp, tab, { resume: last })).events);
  assert.deepEqual(resumed.map((s) => s.step), [7, 8]);
  const r = resumed.map((s) => s.total);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(r[i] - full[6 + i]) < 1e-5, `step ${7 + i}: ${r[i]} vs ${full[6 + i]}`);
  store.dispose();
});

test('early stopping stops after patience epochs without improvement', async () => {
  const exp = tabularExperiment([]);
  exp.training.epochs = 30;
  exp.training.learningRate = 0; // nothing improves after epoch 1
  exp.training.optimizer = 'sgd';
  exp.training.earlyStopping = { metric: 'reg.rmse', mode: 'min', patience: 2 };
  const { events, summary } = await run(exp, tab);
  assert.equal(summary.status, 'early-stopped');
  // patience 2: two epochs in a row without improvement, then stop (not a third).
  assert.equal(summary.epochs, 3);
  assert.equal(summary.bestEpoch, 1);
  const ep = events.filter((e) => e.type === 'run/epoch');
  assert.deepEqual(ep.map((e) => e.monitor!.improved), [true, false, false]);
});

test('rmsprop and sgd optimizers train; a bad monitor metric is a clear error', async () => {
  for (const o of ['rmsprop', 'sgd'] as const) {
    const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
    exp.training.optimizer = o; exp.training.learningRate = o === 'sgd' ? 0.1 : 0.01; exp.training.epochs = 3;
    const st = steps((await run(exp, tab)).events);
    assert.ok(st.at(-1)!.total < st[0].total, `${o}: ${st[0].total} -> ${st.at(-1)!.total}`);
  }
  const exp = tabularExperiment([]);
  exp.training.earlyStopping = { metric: 'cls.f1', patience: 1 };
  await assert.rejects(run(exp, tab), /earlyStopping.metric 'cls.f1'.*cls.accuracy/);
});

test('SLU-style text run reports tagging metrics and overall accuracy', async () => {
  const data = textData(40);
  const exp = textExperiment([arrow('i2s', 'intent', 'slots'), arrow('s2i', 'slots', 'intent', { injection: 'gumbel' })]);
  const { events, summary } = await run(exp, data);
  const ep = events.filter((e) => e.type === 'run/epoch');
  assert.equal(ep.length, 2);
  const v = ep[1].valid;
  for (const k of ['f1', 'precision', 'recall', 'tokenAccuracy']) assert.ok(v.slots[k] >= 0 && v.slots[k] <= 1, k);
  assert.ok(v._overall.accuracy >= 0 && v._overall.accuracy <= 1);
  assert.equal(ep[1].monitor!.metric, 'overall');
  assert.equal(summary.status, 'completed');
});

test('the wasm backend (with the project kernels) gives the cpu loss sequence', async () => {
  const data = textData(32);
  const exp = textExperiment([arrow('i2s', 'intent', 'slots', { injection: 'gumbel' }), arrow('s2i', 'slots', 'intent')], [
    { type: 'bigru', units: 4, dropout: 0.1 }, { type: 'dense', units: 8, activation: 'relu', dropout: 0 }]);
  exp.training.epochs = 1;
  const cpu = steps((await run(exp, data)).events).map((s) => s.total);
  const { initBackend } = await import('../../src/trainer/backend');
  const info = await initBackend('wasm');
  try {
    const wasm = steps((await run(exp, data, { backend: info })).events).map((s) => s.total);
    assert.equal(wasm.length, cpu.length);
    wasm.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]) < 1e-3 * Math.max(1, Math.abs(cpu[i])), `step ${i + 1}: wasm ${v} vs cpu ${cpu[i]}`));
  } finally {
    await tf.setBackend('cpu');
  }
});

test('resume after epoch 2 continues exactly like the straight run: losses, early stopping, best epoch', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 'gumbel' })]);
  exp.training.epochs = 6;
  exp.tasks[0].blocks[0].dropout = 0.2;
  // A monitor that favours early epochs (rmse falls while training, mode max calls that worse), so
  // the best epoch lies before the interruption and patience runs out after it.
  exp.training.earlyStopping = { metric: 'reg.rmse', mode: 'max', patience: 2 };
  const straight = await run(exp, tab);
  assert.equal(straight.summary.status, 'early-stopped');
  assert.ok(straight.summary.bestEpoch <= 2, `best epoch ${straight.summary.bestEpoch}`);

  const ac = new AbortController();
  const store = new MemoryStore();
  const firstEvents: TrainerEvent[] = [];
  const first = await run(exp, tab, {
    signal: ac.signal, checkpoints: store,
    onEvent: (e) => { firstEvents.push(e); if (e.type === 'run/epoch' && e.epoch === 2) ac.abort(); },
  });
  first.events.push(...firstEvents);
  assert.equal(first.summary.status, 'stopped');
  const last = store.last()!;
  assert.equal(last.epoch, 2);
  assert.equal(last.monitor?.metric, 'reg.rmse');
  assert.equal(last.monitor?.bestEpoch, straight.summary.bestEpoch);

  const second = await run(exp, tab, { resume: last });
  const losses = [...steps(first.events), ...steps(second.events)].map((s) => s.total);
  const want = steps(straight.events).map((s) => s.total);
  assert.equal(losses.length, want.length);
  losses.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `step ${i + 1}: ${v} vs ${want[i]}`));
  assert.equal(second.summary.status, straight.summary.status);
  assert.equal(second.summary.bestEpoch, straight.summary.bestEpoch);
  assert.equal(second.summary.epochs, straight.summary.epochs);
  assert.deepEqual(second.summary.best.valid, straight.summary.best.valid);
  const improved = (ev: TrainerEvent[]) => ev.flatMap((e) => (e.type === 'run/epoch' ? [[e.epoch, e.monitor!.improved, e.monitor!.best]] : []));
  assert.deepEqual(improved(second.events), improved(straight.events).slice(2));
  store.dispose();
});

test('a NaN loss stops the run with a clear error, keeps a finite last checkpoint, emits no run/error itself', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
  exp.training.epochs = 5;
  exp.training.learningRate = 1e6;
  exp.training.optimizer = 'sgd';
  const store = new MemoryStore();
  const events: TrainerEvent[] = [];
  await assert.rejects(
    run(exp, tab, { checkpoints: store, onEvent: (e) => events.push(e) }),
    (err: Error & { where?: string }) => {
      assert.match(err.message, /the (loss|gradient norm) became (NaN|Infinity|-Infinity) at epoch \d+ step \d+/);
      assert.match(err.message, /lower training\.learningRate \(now 1000000\)/);
      assert.equal(err.where, 'training.learningRate');
      return true;
    });
  assert.equal(events.filter((e) => e.type === 'run/error').length, 0);
  assert.equal(events.filter((e) => e.type === 'run/done').length, 0);
  const st = steps(events);
  for (const s of st) assert.ok(Number.isFinite(s.total), 'no non-finite step is reported');
  const saved = store.saved.filter((s) => s.kind === 'last');
  for (const s of saved) for (const w of s.state.weights) assert.ok((w.tensor.dataSync() as Float32Array).every(Number.isFinite), `${w.name} finite`);
  // Either the failure's checkpoint holds the steps done, or the weights were already non-finite and
  // it says so; here sgd with lr 1e6 blows the loss up within a few steps while weights stay finite.
  assert.ok(saved.length > 0);
  assert.equal(saved.at(-1)!.state.step, st.length);
  assert.ok(events.some((e) => e.type === 'run/checkpoint' && e.kind === 'last' && e.step === st.length));
  store.dispose();
});

test('an exception in step N keeps the progress in last and is rethrown unchanged', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
  exp.training.epochs = 3;
  const store = new MemoryStore();
  const boom = new Error('injected failure');
  const events: TrainerEvent[] = [];
  await assert.rejects(run(exp, tab, {
    checkpoints: store,
    onEvent: (e) => { events.push(e); if (e.type === 'run/step' && e.step === 6) throw boom; },
  }), (err) => err === boom);
  const last = store.last()!;
  assert.equal(last.step, 6);
  assert.equal(last.epoch, 1);
  assert.equal(events.filter((e) => e.type === 'run/error').length, 0);
  store.dispose();
});

test('train metrics are eval-mode metrics on fixed training examples (dropout does not move them)', async () => {
  const exp = tabularExperiment([arrow('a', 'cls', 'bin')]);
  exp.training.epochs = 3;
  exp.training.learningRate = 0;
  exp.training.optimizer = 'sgd';
  exp.tasks[0].blocks[0].dropout = 0.5;
  exp.tasks[1].blocks[0].dropout = 0.5;
  const { events } = await run(exp, tab);
  const ep = events.filter((e) => e.type === 'run/epoch');
  assert.equal(ep.length, 3);
  assert.deepEqual(ep[1].train, ep[0].train);
  assert.deepEqual(ep[2].train, ep[0].train);
  // The step losses still vary with the dropout masks, so the train loss of an epoch does.
  assert.notDeepEqual(ep[1].trainLoss, ep[0].trainLoss);
  const log = events.find((e) => e.type === 'run/log');
  assert.match(log && log.type === 'run/log' ? log.message : '', /train metrics: all 64 training examples, eval mode/);
});

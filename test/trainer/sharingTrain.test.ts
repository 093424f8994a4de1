/**
 * Soft sharing and cross-stitch through the real training loop (`train.ts`): the tie penalty is
 * streamed every step, GradNorm measures its W on every encoder copy, and a resumed run continues
 * exactly (weights by name, optimizer state, loss weighting state).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Experiment } from '../../src/shared/experimentTypes';
import type { StepEvent, TrainerEvent } from '../../src/shared/trainerProtocol';
import type { PreparedData } from '../../src/data/types';
import { train, type CheckpointStore, type TrainState } from '../../src/trainer/train';
import { arrow, tabularData, tabularExperiment } from './synthetic';

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
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

const tab = tabularData(64);

/** Soft sharing with cross-stitch after block 1, an arrow into block 2, GradNorm, encoder dropout. */
function softStitched(epochs: number): Experiment {
  const e = tabularExperiment([arrow('a', 'cls', 'bin', { injection: 2 })]);
  e.encoder = { type: 'mlp', hidden: [16], activation: 'relu', dropout: 0.1 };
  e.sharing = { type: 'soft', l2: 0.01, crossStitch: { after: [1] } };
  e.lossWeighting = { type: 'gradnorm' };
  e.training.epochs = epochs;
  return e;
}

test('soft sharing + cross-stitch + gradnorm: the tie is streamed every step, W is every copy\'s top layer, the loss falls', async () => {
  const ev = await run(softStitched(3), tab);
  const st = steps(ev);
  assert.equal(st.length, 12);
  assert.equal(st[0].tie, 0, 'the copies start equal (the tie is read before the first update)');
  for (const s of st.slice(1)) assert.ok(Number.isFinite(s.tie) && s.tie! > 0, `tie at step ${s.step}: ${s.tie}`);
  const log = ev.filter((e) => e.type === 'run/log').map((e) => (e as { message: string }).message);
  assert.ok(log.some((m) => m.includes('W = encoders/cls/dense1/W, encoders/cls/dense1/b, encoders/bin/dense1/W, encoders/bin/dense1/b, encoders/reg/dense1/W, encoders/reg/dense1/b') && m.includes('soft sharing: the top layers of all encoder copies')), log.join('\n'));
  const losses = st.map((s) => Object.values(s.losses).reduce((a, b) => a + b, 0));
  assert.ok(mean(losses.slice(8)) < mean(losses.slice(0, 4)), 'the task losses fall');
  const start = ev[0] as Extract<TrainerEvent, { type: 'run/start' }>;
  assert.ok(start.sizes.parameters > 0);
});

test('hard sharing streams no tie', async () => {
  const e = tabularExperiment([]);
  e.training.epochs = 1;
  for (const s of steps(await run(e, tab))) assert.equal('tie' in s, false);
});

test('resume is exact with soft sharing + cross-stitch: epochs 1-3 straight equal 2 epochs + resume to 3', async () => {
  const straight = steps(await run(softStitched(3), tab));
  const store = new MemoryStore();
  await run(softStitched(2), tab, { checkpoints: store });
  const saved = store.last();
  assert.ok(saved.weights.some((w) => w.name === 'crossStitch/after1/alpha') && saved.weights.some((w) => w.name === 'encoders/reg/dense1/W'));
  const resumed = steps(await run(softStitched(3), tab, { resume: saved }));
  store.dispose();
  const third = straight.filter((s) => s.epoch === 3);
  const again = resumed.filter((s) => s.epoch === 3);
  assert.equal(again.length, third.length);
  again.forEach((s, i) => {
    assert.deepEqual(s.losses, third[i].losses, `step ${s.step} losses`);
    assert.equal(s.tie, third[i].tie, `step ${s.step} tie`);
    assert.deepEqual(s.weights, third[i].weights, `step ${s.step} loss weights`);
  });
});

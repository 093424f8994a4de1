// foldResumes: a run folder's log with resumed sessions reads as one run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { foldResumes } from '../../src/shared/resumeFold';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

const start = (t: number, resumed?: { step: number; epoch: number }) => ({
  type: 'run/start', runId: 'r', t, experimentPath: 'x', runDir: 'd', config: {}, backend: { name: 'cpu' }, sizes: {}, seed: 1,
  ...(resumed ? { resumedFrom: 'd', resumed: { ...resumed, checkpoint: 'last', redoneSteps: 0 } } : {}),
}) as unknown as TrainerEvent;
const step = (s: number, t = s) => ({ type: 'run/step', runId: 'r', t, step: s, epoch: Math.ceil(s / 4), losses: {}, convergence: {}, total: s, lr: 1, tau: 1, ms: 1 }) as TrainerEvent;
const epoch = (e: number) => ({ type: 'run/epoch', runId: 'r', t: e * 4, epoch: e, step: e * 4, train: {}, valid: {}, trainLoss: {}, validLoss: {}, ms: 1 }) as TrainerEvent;
const ckpt = (s: number) => ({ type: 'run/checkpoint', runId: 'r', t: s, kind: 'last', epoch: Math.floor(s / 4), step: s, path: 'p' }) as TrainerEvent;
const done = (t: number) => ({ type: 'run/done', runId: 'r', t, summary: { status: 'stopped' } }) as unknown as TrainerEvent;
const deltas = (split: 'train' | 'valid', s: number, e: number) => ({ type: 'run/iterationDeltas', runId: 'r', t: s, step: s, epoch: e, split, deltas: {} }) as TrainerEvent;

test('a log without resumes is unchanged', () => {
  const log = [start(0), step(1), step(2), ckpt(2), done(3)];
  assert.deepEqual(foldResumes(log), log);
});

test('a resume drops what the interrupted session logged after its checkpoint, and its end', () => {
  // Session 1: epoch 1 (steps 1-4) checkpointed, steps 5-6 logged, killed before saving step 6's state;
  // a stop at step 6 would have saved, but here the newest checkpoint is the epoch's (step 4).
  const log = [
    start(0), step(1), step(2), step(3), step(4), deltas('train', 4, 1), deltas('valid', 4, 1), epoch(1), ckpt(4),
    step(5), step(6), deltas('train', 6, 2), done(7),
    start(8, { step: 4, epoch: 1 }), step(5, 9), step(6, 10), step(7, 11), step(8, 12), epoch(2), ckpt(8), done(13),
  ];
  const out = foldResumes(log);
  const steps = out.filter((e) => e.type === 'run/step');
  assert.deepEqual(steps.map((e) => e.type === 'run/step' && [e.step, e.t]), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 9], [6, 10], [7, 11], [8, 12]]);
  assert.deepEqual(out.filter((e) => e.type === 'run/done').map((e) => e.t), [13], 'only the last session\'s end');
  assert.equal(out.filter((e) => e.type === 'run/iterationDeltas').length, 2, 'deltas up to the checkpoint stay');
  assert.deepEqual(out.filter((e) => e.type === 'run/checkpoint').map((e) => e.type === 'run/checkpoint' && e.step), [4, 8]);
  assert.deepEqual(out.filter((e) => e.type === 'run/start').map((e) => e.t), [0, 8], 'the resume marker is kept');
  assert.equal(log.length, 21, 'input not modified');
});

test('two resumes fold in order; epochs after the resume point are replaced', () => {
  const log = [
    start(0), step(1), step(2), step(3), step(4), epoch(1), ckpt(4), step(5),
    start(6, { step: 4, epoch: 1 }), step(5, 7), step(6, 8), ckpt(6), step(7, 9), step(8, 10), epoch(2),
    start(11, { step: 6, epoch: 1 }), step(7, 12), step(8, 13), epoch(2),
  ];
  const out = foldResumes(log);
  assert.deepEqual(out.filter((e) => e.type === 'run/step').map((e) => e.t), [1, 2, 3, 4, 7, 8, 12, 13]);
  assert.equal(out.filter((e) => e.type === 'run/epoch').length, 2);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { RunModel, GateGrid, metricNames, metricSeries, epochLossSeries } from '../../../src/shared/series/runModel';
import { syntheticRun } from '../../../bench/framesSynthetic';
import type { TrainerEvent } from '../../../src/shared/trainerProtocol';

const small = () => [...syntheticRun({ epochs: 3, stepsPerEpoch: 20, logEvery: 5, iterations: 3 })];

test('derives per-task loss, convergence, epochs and metrics from events', () => {
  const m = RunModel.from('synthetic', small());
  assert.deepEqual(m.tasks, ['intent', 'slots']);
  assert.equal(m.steps, 60);
  assert.equal(m.loss.get('slots')!.length, 60);
  assert.equal(m.convergence.get('intent')!.length, 60);
  assert.equal(m.epochs.length, 3);
  assert.equal(m.status, 'completed');
  assert.deepEqual(metricNames(m).get('slots'), ['f1', 'precision', 'recall', 'tokenAccuracy']);
  assert.deepEqual(metricSeries(m, 'intent', 'accuracy', 'valid').x, [1, 2, 3]);
  assert.deepEqual(epochLossSeries(m, 'slots', 'valid').x, [20, 40, 60]);
  assert.equal(m.iterations, 3);
});

test('iteration deltas: mean vector per epoch and split, one series per k over steps', () => {
  const ev = (step: number, epoch: number, split: 'train' | 'valid', d: number[]): TrainerEvent =>
    ({ type: 'run/iterationDeltas', runId: 'r', t: step, step, epoch, split, deltas: { slots: d } });
  const m = RunModel.from('r', [ev(1, 1, 'train', [0.4, 0.02]), ev(2, 1, 'train', [0.2, 0.04]), ev(3, 2, 'train', [0.1, 0.01]), ev(3, 1, 'valid', [0.3, 0.003])]);
  const curves = m.deltaCurves('slots');
  assert.equal(curves.length, 2);
  assert.deepEqual(curves[0].epoch, 1);
  assert.ok(Math.abs(curves[0].deltas[0] - 0.3) < 1e-12 && Math.abs(curves[0].deltas[1] - 0.03) < 1e-12);
  assert.deepEqual(m.deltaCurves('slots', 'valid'), [{ epoch: 1, n: 1, deltas: [0.3, 0.003] }]);
  const lines = m.deltasOverTime.get('slots')!;
  assert.equal(lines.length, 2);
  assert.deepEqual(Array.from(lines[1].x), [1, 2, 3]);
  assert.deepEqual(m.deltaTasks, ['slots']);
});

test('gate grid stays bounded and averages neighbours when full', () => {
  const g = new GateGrid([1, 2], 4);
  for (let s = 1; s <= 5; s++) g.push(s, [1 - s / 10, s / 10], 1);
  assert.equal(g.length, 3);
  assert.deepEqual(Array.from(g.steps), [2, 4, 5]);
  assert.ok(Math.abs(g.probs[1] - 0.15) < 1e-6);
  assert.equal(g.at(4.5)!.step, 4);
  assert.equal(g.at()!.step, 5);
  assert.equal(g.total, 5);
});

test('memory stays bounded on a long run', () => {
  const m = new RunModel('long', { seriesCapacity: 256, gateCapacity: 64 });
  for (const e of syntheticRun({ epochs: 5, stepsPerEpoch: 2000, logEvery: 10 })) m.ingest(e);
  assert.equal(m.steps, 10_000);
  assert.ok(m.loss.get('slots')!.length <= 256);
  assert.ok(m.deltasOverTime.get('slots')![0].length <= 256);
  assert.ok(m.gates.get('intent2slots')!.length <= 64);
  assert.equal(m.gates.get('intent2slots')!.total, 1000);
});

test('errors and logs are kept; a resent epoch replaces the old row', () => {
  const m = new RunModel('r');
  const epoch = (v: number): TrainerEvent => ({ type: 'run/epoch', runId: 'r', t: 1, epoch: 1, step: 10, train: {}, valid: { a: { accuracy: v } }, trainLoss: {}, validLoss: {}, ms: 1 });
  m.ingest(epoch(0.5));
  m.ingest(epoch(0.7));
  m.ingest({ type: 'run/error', runId: 'r', t: 2, message: 'bad label', where: 'data.csv:3' });
  assert.equal(m.epochs.length, 1);
  assert.equal(m.epochs[0].valid.a.accuracy, 0.7);
  assert.equal(m.status, 'failed');
  assert.equal(m.logs[0].message, 'data.csv:3: bad label');
});

test('events repeated across a snapshot and the next batch are dropped once', () => {
  const events = small();
  const m = RunModel.from('synthetic', events.slice(0, 40));
  for (const e of events.slice(30)) m.ingest(e);
  const ref = RunModel.from('synthetic', events);
  assert.equal(m.steps, ref.steps);
  assert.equal(m.loss.get('slots')!.length, 60);
  assert.ok(m.duplicates > 0);
  assert.deepEqual(m.deltaCurves('slots'), ref.deltaCurves('slots'));
});

test('loss weights: one series per task from run/step, none for events without weights', () => {
  const step = (s: number, w?: Record<string, number>): TrainerEvent => ({ type: 'run/step', runId: 'r', t: s, step: s, epoch: 1, losses: { a: 1, b: 2 }, convergence: {}, ...(w ? { weights: w } : {}), total: 3, lr: 1e-3, tau: 1, ms: 1 });
  const m = RunModel.from('r', [step(1, { a: 1, b: 1 }), step(2, { a: 1.2, b: 0.8 }), step(3, { a: 1.4, b: 0.6 })]);
  assert.deepEqual(Array.from(m.weights.get('b')!.y), [1, 0.8, 0.6]);
  assert.deepEqual(Array.from(m.weights.get('a')!.x), [1, 2, 3]);
  assert.equal(RunModel.from('r', [step(1), step(2)]).weights.size, 0);
});

test('tie penalty: one series from run/step when soft sharing streams it, empty otherwise', () => {
  const step = (s: number, tie?: number): TrainerEvent => ({ type: 'run/step', runId: 'r', t: s, step: s, epoch: 1, losses: { a: 1 }, convergence: {}, ...(tie !== undefined ? { tie } : {}), total: 3, lr: 1e-3, tau: 1, ms: 1 });
  const m = RunModel.from('r', [step(1, 0), step(2, 0.25), step(3, 0.5)]);
  assert.deepEqual(Array.from(m.tie.x), [1, 2, 3]);
  assert.deepEqual(Array.from(m.tie.y), [0, 0.25, 0.5]);
  assert.equal(RunModel.from('r', [step(1), step(2)]).tie.length, 0);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { csvField, metricsCsv, metricsJson } from '../../../src/shared/series/exportData';
import { RunModel } from '../../../src/shared/series/runModel';

test('tidy CSV rows of losses and metrics, quoted when needed', () => {
  const m = RunModel.from('r', [{
    type: 'run/epoch', runId: 'r', t: 1, epoch: 1, step: 10, ms: 1,
    train: {}, valid: { a: { accuracy: 0.5 } }, trainLoss: { a: 0.25 }, validLoss: {},
  }]);
  assert.equal(metricsCsv([{ name: 'run, "one"', model: m }]),
    'run,epoch,step,split,task,metric,value\n'
    + '"run, ""one""",1,10,train,a,loss,0.25\n'
    + '"run, ""one""",1,10,valid,a,accuracy,0.5\n');
  assert.equal(csvField(NaN), '');
  const json = JSON.parse(metricsJson([{ name: 'x', model: m }]));
  assert.equal(json.runs[0].epochs[0].valid.a.accuracy, 0.5);
  assert.equal(json.runs[0].status, 'running');
});

test('JSON export holds the streamed loss weights per task', () => {
  const m = RunModel.from('r', [1, 2].map((step) => ({
    type: 'run/step' as const, runId: 'r', t: step, step, epoch: 1, losses: { a: 1 }, convergence: {}, weights: { a: step / 2 }, total: 1, lr: 1e-3, tau: 1, ms: 1,
  })));
  const json = JSON.parse(metricsJson([{ name: 'x', model: m }]));
  assert.deepEqual(json.runs[0].lossWeights.a, { x: [1, 2], y: [0.5, 1] });
});

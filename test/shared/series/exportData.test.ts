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

import test from 'node:test';
import assert from 'node:assert/strict';
import { thinEvents } from '../../../src/shared/series/thinEvents';
import { syntheticRun } from '../../../bench/framesSynthetic';

test('thinEvents bounds high-rate events, keeps the last and all rare ones', () => {
  const ev = [...syntheticRun({ epochs: 2, stepsPerEpoch: 500, logEvery: 1 })];
  const out = thinEvents(ev, { steps: 100, deltas: 50, gates: 50 });
  const steps = out.filter((e) => e.type === 'run/step');
  assert.equal(steps.length, 100);
  assert.equal((steps[steps.length - 1] as { step: number }).step, 1000);
  assert.equal(out.filter((e) => e.type === 'run/epoch').length, 2);
  assert.equal(out.filter((e) => e.type === 'run/iterationDeltas' && e.split === 'valid').length, 2);
});

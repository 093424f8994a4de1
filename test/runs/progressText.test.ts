import test from 'node:test';
import assert from 'node:assert/strict';
import { etaMs, progressMessage, statusBarText, type ProgressState } from '../../src/runs/progressText';

const base: ProgressState = { name: 'penguins', stepsSeen: 0, msSinceFirstStep: 0, phase: 'training' };

test('progress message: epoch, step, ETA from the step rate', () => {
  // 11 steps seen over 1 s -> 100 ms/step; 1200 planned, 120 done -> 1080 left -> 108 s.
  const s = { ...base, epoch: 3, epochs: 30, step: 120, plannedSteps: 1200, stepsSeen: 11, msSinceFirstStep: 1000 };
  assert.equal(progressMessage(s), 'penguins — epoch 3/30, step 120/1200, ETA 1m 48s');
  assert.equal(etaMs(s), 108_000);
  assert.equal(progressMessage({ ...base, phase: 'starting' }), 'penguins — starting trainer…');
  assert.equal(progressMessage({ ...base, label: 'ablation 1/3: static' }), 'penguins [ablation 1/3: static] — preparing data…');
  assert.equal(etaMs({ ...s, stepsSeen: 1 }), undefined, 'no rate from one step');
});

test('status bar text starts with the pulse and FMTL', () => {
  assert.equal(statusBarText({ ...base, epoch: 1, epochs: 2, loss: 0.41234 }), '$(pulse) FMTL penguins · epoch 1/2 · loss 0.412');
  assert.equal(statusBarText({ ...base, phase: 'starting' }), '$(pulse) FMTL penguins · starting');
});

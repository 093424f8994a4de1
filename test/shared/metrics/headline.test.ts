import test from 'node:test';
import assert from 'node:assert/strict';
import { headlineText, runHeadline } from '../../../src/shared/metrics/headline';

const kinds = { species: 'classification', mass: 'regression' } as const;
const ep = (epoch: number, acc: number, rmse: number, improved: boolean) => ({ epoch, valid: { species: { accuracy: acc }, mass: { rmse } }, monitor: { improved } });

test('finished run: the best-validation checkpoint of the summary, its test scores, and where they come from', () => {
  const h = runHeadline({
    summary: { bestEpoch: 3, best: { valid: { species: { accuracy: 0.942 }, mass: { rmse: 331 } }, test: { species: { accuracy: 0.93 }, mass: { rmse: 340 } } }, last: { valid: { species: { accuracy: 0.9 }, mass: { rmse: 325 } } } },
    // an epoch with a lower RMSE than the checkpoint's: not the headline (each metric's own best is not a checkpoint)
    epochs: [ep(1, 0.8, 325, true), ep(3, 0.942, 331, true)],
  }, kinds)!;
  assert.equal(h.checkpoint, 'best');
  assert.equal(h.epoch, 3);
  assert.equal(h.live, false);
  assert.equal(h.where, 'valid, best epoch 3');
  assert.equal(h.tasks.mass.valid, 331);
  assert.equal(h.tasks.mass.test, 340);
  assert.equal(headlineText(h.tasks.species, true), 'accuracy 94.2 · test 93.0');
  assert.equal(headlineText(h.tasks.mass), 'RMSE 331');
});

test('live run: the newest epoch that improved the monitor, not the newest epoch', () => {
  const h = runHeadline({ epochs: [ep(2, 0.9, 300, true), ep(1, 0.8, 400, true), ep(3, 0.85, 290, false)] }, kinds)!;
  assert.equal(h.epoch, 2);
  assert.equal(h.where, 'valid, best epoch so far 2');
  assert.equal(h.tasks.species.valid, 0.9);
  assert.equal(h.test, undefined);
});

test('no improving epoch: the last epoch, said so; nothing yet: undefined; tasks not in kinds are left out', () => {
  const h = runHeadline({ epochs: [ep(1, 0.5, 9, false), ep(2, 0.6, 8, false)] }, { species: 'classification' })!;
  assert.equal(h.checkpoint, 'last');
  assert.equal(h.where, 'valid, last epoch 2');
  assert.deepEqual(Object.keys(h.tasks), ['species']);
  assert.equal(runHeadline({ epochs: [] }, kinds), undefined);
  // a failed run's summary without a best checkpoint falls back to its last validation metrics
  const failed = runHeadline({ summary: { bestEpoch: 0, best: { valid: {} }, last: { valid: { species: { accuracy: 0.4 } } } } }, kinds)!;
  assert.equal(failed.checkpoint, 'last');
  assert.equal(failed.tasks.species.valid, 0.4);
});

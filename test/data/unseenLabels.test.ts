import test from 'node:test';
import assert from 'node:assert/strict';
import { unseenLabels, unseenLabelsText } from '../../src/data/unseenLabels';
import { textData } from '../trainer/synthetic';

test('labels only in valid/test are found per task and split, counted, and explained', () => {
  const data = textData(16);
  (data.valid.rawLabels.intent as string[])[0] = 'BookRestaurant2';
  (data.valid.rawLabels.intent as string[])[1] = 'BookRestaurant2';
  (data.valid.rawLabels.slots as string[][])[2][0] = 'B-city';
  assert.deepEqual(unseenLabels(data), [
    { task: 'intent', split: 'valid', label: 'BookRestaurant2', count: 2 },
    { task: 'slots', split: 'valid', label: 'B-city', count: 1 },
  ]);
  const text = unseenLabelsText(unseenLabels(data), data);
  assert.equal(text[0], 'valid: 1 intent label never seen in training on 2 examples (BookRestaurant2 ×2); the model cannot predict it, so they count as errors in every intent metric');
  assert.match(text[1], /^valid: 1 slots label never seen in training on 1 token \(B-city ×1\)/);
  assert.deepEqual(unseenLabels(textData(16)), []);
});

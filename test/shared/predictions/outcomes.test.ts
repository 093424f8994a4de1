import test from 'node:test';
import assert from 'node:assert/strict';
import type { ExamplePrediction, PredictionsFile } from '../../../src/shared/predictions/format';
import { compareRuns, confusionMatrix, filterExamples, outcomeCounts, outcomeOf, typeScores } from '../../../src/shared/predictions/outcomes';
import { predictionLines, wordSpans } from '../../../src/shared/predictions/answerText';

const ex = (i: number, tokens: string[], intentGold: string, intents: string[], slotGold: string[], slots: string[][]): ExamplePrediction => ({
  i, tokens, gold: { intent: intentGold, slots: slotGold },
  pred: { intent: intents.map((label) => ({ label, p: 0.9 })), slots: slots.map((tags) => ({ tags, p: tags.map(() => 0.9) })) },
});

const file = (examples: ExamplePrediction[]): PredictionsFile => ({
  header: {
    format: 'fmtl-predictions', version: 1, runId: 'r', split: 'test', checkpoint: { kind: 'best', epoch: 1, step: 1 }, iterations: 1, input: 'text',
    tasks: [{ id: 'intent', kind: 'classification', labels: ['Play', 'Rate'] }, { id: 'slots', kind: 'tagging', labels: ['B-artist', 'I-artist', 'O'] }],
    gates: {}, examples: examples.length,
  },
  examples,
});

const f = file([
  ex(0, ['play', 'adele'], 'Play', ['Rate', 'Play'], ['O', 'B-artist'], [['O', 'O'], ['O', 'B-artist']]), // both corrected
  ex(1, ['rate', 'it'], 'Rate', ['Rate', 'Play'], ['O', 'O'], [['O', 'O'], ['O', 'O']]), // intent broken, slots right
  ex(2, ['play', 'x'], 'Play', ['Rate', 'Rate'], ['O', 'B-artist'], [['O', 'O'], ['B-artist', 'O']]), // intent wrong; slots wrong (changed)
]);

test('outcomes: corrected, broken, right, wrong relative to y0; counts per task', () => {
  assert.deepEqual([0, 1, 2].map((i) => outcomeOf(f.examples[i], 'intent')), ['corrected', 'broken', 'wrong']);
  assert.deepEqual([0, 1, 2].map((i) => outcomeOf(f.examples[i], 'slots')), ['corrected', 'right', 'wrong']);
  assert.deepEqual(outcomeCounts(f), { intent: { corrected: 1, broken: 1, right: 0, wrong: 1 }, slots: { corrected: 1, broken: 0, right: 1, wrong: 1 } });
  const reg: ExamplePrediction = { i: 0, row: 1, gold: { m: 10 }, pred: { m: [{ value: 7 }, { value: 9 }] } };
  assert.equal(outcomeOf(reg, 'm'), 'corrected');
  assert.equal(outcomeOf({ ...reg, gold: { m: null } }, 'm'), undefined);
});

test('filters: outcome, changed, gold / predicted class or slot type, text', () => {
  assert.deepEqual(filterExamples(f, { task: 'intent', outcome: 'broken' }), [1]);
  assert.deepEqual(filterExamples(f, { task: 'slots', outcome: 'changed' }), [0, 2]);
  assert.deepEqual(filterExamples(f, { task: 'intent', gold: 'Play', predicted: 'Rate' }), [2]);
  assert.deepEqual(filterExamples(f, { task: 'slots', gold: 'artist' }), [0, 2]);
  assert.deepEqual(filterExamples(f, { task: 'slots', predicted: 'artist' }), [0, 2]);
  assert.deepEqual(filterExamples(f, { task: 'slots', outcome: 'wrong', predicted: 'artist' }), [2]);
  assert.deepEqual(filterExamples(f, { task: 'intent', text: 'ADELE' }), [0]);
});

test('confusion matrix (rows gold, columns predicted) and per-type span scores at y^K', () => {
  assert.deepEqual(confusionMatrix(f, 'intent'), { labels: ['Play', 'Rate'], counts: [[1, 1], [1, 0]] });
  assert.deepEqual(confusionMatrix(f, 'intent', 0).counts, [[0, 2], [0, 1]]);
  const s = typeScores(f, 'slots');
  assert.deepEqual({ correct: s.artist.correct, predicted: s.artist.predicted, gold: s.artist.gold }, { correct: 1, predicted: 2, gold: 2 });
});

test('compare two runs: right in one and wrong in the other, both directions; other data is refused', () => {
  const g = file([f.examples[0], ex(1, ['rate', 'it'], 'Rate', ['Rate', 'Rate'], ['O', 'O'], [['O', 'O'], ['O', 'O']]), f.examples[2]]);
  assert.deepEqual(compareRuns(f, g, 'intent'), { onlyA: [], onlyB: [1], bothRight: 1, bothWrong: 1 });
  assert.deepEqual(compareRuns(g, f, 'intent'), { onlyA: [1], onlyB: [], bothRight: 1, bothWrong: 1 });
  assert.throws(() => compareRuns(f, file(f.examples.slice(0, 2)), 'intent'), /not of the same examples/);
});

test('answer text: slot spans with their words, passes marked unchanged or changed', () => {
  assert.deepEqual(wordSpans(['play', 'the', 'new', 'adele'], ['O', 'O', 'B-sort', 'B-artist']).map((s) => `${s.type}:${s.text}`), ['sort:new', 'artist:adele']);
  const e = f.examples[0];
  assert.deepEqual(predictionLines([{ id: 'intent' }, { id: 'slots' }], e.pred, e.tokens, true), [
    'intent  y0  Rate 0.90', '        y1  Play 0.90   <- changed', 'slots   y0  no spans', '        y1  [artist: adele]   <- changed',
  ]);
  assert.deepEqual(predictionLines([{ id: 'intent' }], e.pred, e.tokens), ['intent  Play 0.90']);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareData } from '../../src/data/prepare';
import { DataError } from '../../src/data/dataError';
import { UNK_ID } from '../../src/data/types';
import { makeExp, writeTree } from './fixtures';

const SLU_TASKS = [
  { id: 'intent', kind: 'classification' as const, label: 'label' },
  { id: 'slots', kind: 'tagging' as const, label: 'seq.out' },
];

function sluTree(): string {
  return writeTree({
    'exp/x.fmtl.json': '{}',
    'data/train/seq.in': 'play jazz now \nplay rock \nbook a table \n',
    'data/train/seq.out': 'O B-genre O \nO B-genre \nO O B-object \n',
    'data/train/label': 'PlayMusic\nPlayMusic\nBook\n',
    'data/valid/seq.in': 'play Blues tomorrow \n',
    'data/valid/seq.out': 'O B-genre B-time \n',
    'data/valid/label': 'GetWeather\n',
  });
}

test('SLU: vocab and label maps from train; OOV -> <unk>; unseen intent/tag -> -1 with raw strings kept', async () => {
  const root = sluTree();
  const exp = makeExp({ format: 'slu', path: '../data', splits: { train: 'train', valid: 'valid' } }, SLU_TASKS);
  const d = await prepareData(exp, path.join(root, 'exp'));
  assert.equal(d.kind, 'text');
  assert.equal(d.test, undefined);
  assert.deepEqual(d.vocab!.tokens, ['<pad>', '<unk>', 'play', 'a', 'book', 'jazz', 'now', 'rock', 'table']);
  assert.deepEqual(d.labelNames.intent, ['Book', 'PlayMusic']);
  assert.deepEqual(d.labelNames.slots, ['B-genre', 'B-object', 'O']);
  assert.equal(d.train.size, 3);
  assert.deepEqual([...d.train.tokens![0]], [2, 5, 6]);
  const v = d.valid;
  assert.deepEqual([...v.tokens![0]], [2, UNK_ID, UNK_ID], "'Blues' lowercased is still unseen");
  assert.deepEqual(v.words, [['play', 'Blues', 'tomorrow']]);
  const intent = v.labels.intent;
  assert.ok(intent.kind === 'class');
  assert.deepEqual([...intent.values], [-1]);
  assert.deepEqual(v.rawLabels.intent, ['GetWeather']);
  const slots = v.labels.slots;
  assert.ok(slots.kind === 'tags');
  assert.deepEqual([...slots.values[0]], [2, 0, -1]);
  assert.deepEqual(v.rawLabels.slots, [['O', 'B-genre', 'B-time']]);
});

test('SLU: limitTrain and minFreq shape the vocabulary; one class left, or a missing split folder, is a DataError', async () => {
  const root = sluTree();
  const data = { format: 'slu' as const, path: '../data', splits: { train: 'train', valid: 'valid' }, limitTrain: 2, minFreq: 2 };
  const d = await prepareData(makeExp(data, SLU_TASKS.slice(1)), path.join(root, 'exp'));
  assert.equal(d.train.size, 2);
  assert.deepEqual(d.vocab!.tokens, ['<pad>', '<unk>', 'play']);
  assert.deepEqual(d.labelNames.slots, ['B-genre', 'O']);
  // The first two sentences are both PlayMusic: a one-class classifier is refused, naming the label file.
  await assert.rejects(prepareData(makeExp(data, SLU_TASKS), path.join(root, 'exp')),
    (e: unknown) => e instanceof DataError && e.where === path.join(root, 'data', 'train', 'label') && /task 'intent' has one class in the training sentences \('PlayMusic'\); a classifier needs at least two/.test(e.message));
  const withTest = makeExp({ format: 'slu', path: '../data', splits: { train: 'train', valid: 'valid', test: 'test' } }, SLU_TASKS);
  await assert.rejects(prepareData(withTest, path.join(root, 'exp')), (e: unknown) => e instanceof DataError && /data file not found: .*test.seq\.in/.test(e.message));
});

test('CSV: features, one-hot, labels per task, seeded split; NA handled; same seed -> same split', async () => {
  const lines = ['species,island,bill,mass,sex'];
  const islands = ['Biscoe', 'Dream', 'Torgersen'];
  for (let i = 0; i < 60; i++) {
    lines.push(`${i % 3 === 0 ? 'Adelie' : 'Gentoo'},"${islands[i % 3]}",${i % 7 === 0 ? 'NA' : 30 + i / 2},${3000 + 10 * i},${i % 5 === 0 ? 'NA' : i % 2 ? 'male' : 'female'}`);
  }
  const root = writeTree({ 'p.csv': lines.join('\r\n') + '\r\n' });
  const exp = makeExp({ format: 'csv', path: 'p.csv', features: ['bill'], categorical: ['island'], split: { valid: 0.2, test: 0.1, seed: 3 }, missing: ['NA'] },
    [{ id: 'species', kind: 'classification', label: 'species' }, { id: 'sex', kind: 'classification', label: 'sex' }, { id: 'mass', kind: 'regression', label: 'mass' }]);
  const d = await prepareData(exp, root);
  assert.equal(d.kind, 'tabular');
  assert.equal(d.featureDim, 4);
  assert.deepEqual([d.train.size, d.valid.size, d.test!.size], [42, 12, 6]);
  assert.deepEqual({ ...d.labelNames }, { species: ['Adelie', 'Gentoo'], sex: ['female', 'male'], mass: [] });
  const sex = d.train.labels.sex;
  assert.ok(sex.kind === 'class');
  const raw = d.train.rawLabels.sex as (string | null)[];
  for (let i = 0; i < d.train.size; i++) assert.equal(sex.values[i] === -1, raw[i] === null);
  assert.ok(raw.some((r) => r === null), 'some NA sexes in train');
  const mass = d.train.labels.mass;
  assert.ok(mass.kind === 'real');
  assert.ok(d.targetScale.mass.std > 0);
  const again = await prepareData(exp, root);
  assert.deepEqual(again.valid.features, d.valid.features);
});

test('CSV: missing file and unknown column are DataErrors naming the file', async () => {
  const root = writeTree({ 'p.csv': 'a,b\n1,x\n' });
  const mk = (features: string[], file = 'p.csv') => makeExp({ format: 'csv', path: file, features, split: { valid: 0, test: 0 } }, [{ id: 't', kind: 'classification', label: 'b' }]);
  await assert.rejects(prepareData(mk(['a'], 'nope.csv'), root), (e: unknown) => e instanceof DataError && e.where === path.join(root, 'nope.csv'));
  await assert.rejects(prepareData(mk(['c']), root), (e: unknown) => e instanceof DataError && e.message.includes(`${path.join(root, 'p.csv')}: unknown column 'c'`));
});

test('real SNIPS: 13084 train, 700 valid and 700 test sentences, tags aligned', async (t) => {
  const repo = path.resolve(__dirname, '../../..'); // out/test/data -> repo root
  const snips = path.resolve(repo, '../shared/data/snips');
  if (!fs.existsSync(path.join(snips, 'train', 'seq.in'))) return t.skip(`SNIPS not found at ${snips} (../shared/data/snips beside the repo)`);
  const exp = makeExp({ format: 'slu', path: snips, splits: { train: 'train', valid: 'valid', test: 'test' }, lowercase: true, minFreq: 1, maxLength: 64 }, SLU_TASKS);
  const t0 = performance.now();
  const d = await prepareData(exp, '/');
  const ms = performance.now() - t0;
  t.diagnostic(`SNIPS prepare: ${ms.toFixed(0)} ms, vocab ${d.vocab!.tokens.length}, intents ${d.labelNames.intent.length}, tags ${d.labelNames.slots.length}`);
  assert.equal(d.train.size, 13084);
  assert.equal(d.valid.size, 700);
  assert.equal(d.test!.size, 700);
  assert.equal(d.labelNames.intent.length, 7);
  assert.ok(d.labelNames.slots.includes('O') && d.labelNames.slots.length > 50);
  for (let i = 0; i < d.train.size; i += 997) {
    const tags = d.train.labels.slots;
    assert.ok(tags.kind === 'tags');
    assert.equal(tags.values[i].length, d.train.tokens![i].length);
  }
});

import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { prepareData } from '../../src/data/prepare';
import { DataError } from '../../src/data/dataError';
import type { JsonlDataSpec, TaskSpec } from '../../src/shared/experimentTypes';
import { makeExp, writeTree } from './fixtures';

const TASKS: Pick<TaskSpec, 'id' | 'kind' | 'label'>[] = [
  { id: 'intent', kind: 'classification', label: 'intent' },
  { id: 'slots', kind: 'tagging', label: 'slots' },
];

const rec = (o: unknown) => JSON.stringify(o);
const GOOD = [
  rec({ text: 'play jazz now', intent: 'PlayMusic', slots: ['O', 'B-genre', 'O'] }),
  '',
  rec({ text: ['book', 'a', 'table'], intent: 'Book', slots: ['O', 'O', 'B-object'] }),
  '   ',
  rec({ text: 'play rock', intent: null, slots: ['O', 'B-genre'] }),
].join('\n') + '\n';

/** `{ path, splits }` over a folder with train.jsonl and valid.jsonl. */
function spec(extra: Partial<JsonlDataSpec> = {}): JsonlDataSpec {
  return { format: 'jsonl', path: 'd', splits: { train: 'train.jsonl', valid: 'valid.jsonl' }, text: 'text', ...extra };
}

test('JSONL text: string or token-array text, tags aligned, blank lines skipped, null class masked, lines kept', async () => {
  const root = writeTree({ 'd/train.jsonl': GOOD, 'd/valid.jsonl': rec({ text: 'play Blues', intent: 'GetWeather', slots: ['O', 'B-genre'] }) + '\n' });
  const d = await prepareData(makeExp(spec(), TASKS), root);
  assert.equal(d.kind, 'text');
  assert.equal(d.train.size, 3);
  assert.deepEqual(d.train.words, [['play', 'jazz', 'now'], ['book', 'a', 'table'], ['play', 'rock']]);
  assert.deepEqual(d.train.lines, [1, 3, 5]);
  assert.deepEqual(d.labelNames.intent, ['Book', 'PlayMusic']);
  const intent = d.train.labels.intent;
  assert.ok(intent.kind === 'class');
  assert.deepEqual([...intent.values], [1, 0, -1]);
  assert.deepEqual(d.train.rawLabels.intent, ['PlayMusic', 'Book', null]);
  const v = d.valid.labels.slots;
  assert.ok(v.kind === 'tags');
  assert.deepEqual([...v.values[0]], [2, 0]);
});

test('JSONL errors name file:line and the field', async () => {
  const cases: [string, RegExp][] = [
    ['{"text": "a b", "intent": "X", "slots": ["O", "O"]}\n{"text": "a", oops}\n', /train\.jsonl:2: not valid JSON/],
    ['\n[1, 2]\n', /train\.jsonl:2: a line must hold a JSON object .*not an array/],
    ['{"text": "a b", "slots": ["O", "O"]}\n', /train\.jsonl:1: missing field 'intent' \(label of task 'intent'\); this record has 'text', 'slots' \(write null for a missing label\)/],
    ['{"txt": "a b", "intent": "X", "slots": ["O", "O"]}\n', /train\.jsonl:1: missing field 'text' \(the input text, data\.text\)/],
    ['{"text": 3, "intent": "X", "slots": ["O"]}\n', /train\.jsonl:1: field 'text' must be the text \(a string\) or its tokens \(an array of strings\), not a number \(3\)/],
    ['{"text": ["a", 2], "intent": "X", "slots": ["O", "O"]}\n', /train\.jsonl:1: field 'text' item 2 is a number \(2\): tokens must be non-empty strings/],
    ['{"text": "  ", "intent": "X", "slots": []}\n', /train\.jsonl:1: field 'text' is empty/],
    ['{"text": "a b c", "intent": "X", "slots": ["O", "O"]}\n', /train\.jsonl:1: field 'slots' has 2 tags for 3 tokens in field 'text' \(one tag per token\)/],
    ['{"text": "a b", "intent": "X", "slots": "O O"}\n', /train\.jsonl:1: field 'slots' must be an array of tags \(one per token\) for tagging task 'slots', not a string/],
    ['{"text": "a b", "intent": ["X"], "slots": ["O", "O"]}\n', /train\.jsonl:1: field 'intent' must be a class \(a string\) for classification task 'intent', not an array/],
    ['{"text": "a b", "intent": "", "slots": ["O", "O"]}\n', /train\.jsonl:1: field 'intent' is an empty string/],
    ['\n\n', /train\.jsonl: no records/],
    // Not data at all (a passwd file): the message says where, never what the line holds.
    ['root:x:0:0:root:/root:/bin/bash\n', /train\.jsonl:1: not valid JSON(?: \(at column 1\))?; each line holds one JSON object$/],
    ['  {"text": "a", oops}\n', /train\.jsonl:1: not valid JSON \(at column 17\); each line holds one JSON object$/],
    ['"a secret"\n', /train\.jsonl:1: a line must hold a JSON object \(\{"field": value, \.\.\.\}\), not a string$/],
  ];
  for (const [text, re] of cases) {
    const root = writeTree({ 'd/train.jsonl': text, 'd/valid.jsonl': GOOD });
    await assert.rejects(prepareData(makeExp(spec(), TASKS), root), (e: unknown) => {
      assert.ok(e instanceof DataError, String(e));
      assert.match(e.message, re);
      const line = /jsonl:(\d+)/.exec(e.message)?.[1];
      assert.equal(e.where, line ? `${path.join(root, 'd', 'train.jsonl')}:${line}` : path.join(root, 'd', 'train.jsonl'));
      return true;
    }, re.source);
  }
  const root = writeTree({ 'd/train.jsonl': GOOD });
  await assert.rejects(prepareData(makeExp(spec(), TASKS), root), (e: unknown) => e instanceof DataError && /JSONL file not found: .*valid\.jsonl/.test(e.message));
});

test('JSONL text with a regression target: standardised with train statistics, null = NaN; maxLength cuts tokens and tags', async () => {
  const lines = [
    rec({ t: 'a b c d', y: 1, tags: ['X', 'Y', 'X', 'Y'] }),
    rec({ t: 'a b', y: 3, tags: ['X', 'Y'] }),
    rec({ t: 'c', y: null, tags: ['Y'] }),
  ];
  const root = writeTree({ 'd/train.jsonl': lines.join('\n'), 'd/valid.jsonl': rec({ t: 'a', y: 2, tags: ['X'] }) });
  const exp = makeExp(spec({ text: 't', maxLength: 3 }), [{ id: 'score', kind: 'regression', label: 'y' }, { id: 'tags', kind: 'tagging', label: 'tags' }]);
  const d = await prepareData(exp, root);
  assert.deepEqual(d.targetScale.score, { mean: 2, std: 1 });
  const y = d.train.labels.score;
  assert.ok(y.kind === 'real');
  assert.deepEqual([...y.values].map((v) => (Number.isNaN(v) ? 'NaN' : v)), [-1, 1, 'NaN']);
  assert.deepEqual(d.train.rawLabels.score, ['1', '3', null]);
  assert.deepEqual(d.train.words![0], ['a', 'b', 'c']);
  const tags = d.train.labels.tags;
  assert.ok(tags.kind === 'tags');
  assert.equal(tags.values[0].length, 3);
  const bad = writeTree({ 'd/train.jsonl': rec({ t: 'a', y: '2', tags: ['X'] }), 'd/valid.jsonl': lines[0] });
  await assert.rejects(prepareData(exp, bad), /train\.jsonl:1: field 'y' must be a number for regression task 'score', not a string \("2"\)/);
});

test('JSONL tabular: numeric and categorical fields through the CSV encoder, null = missing; split by fractions or files', async () => {
  const rows = Array.from({ length: 40 }, (_, i) => rec({ x: i % 9 === 0 ? null : i, c: i % 2 ? 'a' : 'b', k: i % 3 ? 'yes' : 'no', y: i * 2 }));
  const root = writeTree({ 'all.jsonl': rows.join('\n') + '\n', 'd/train.jsonl': rows.slice(0, 30).join('\n'), 'd/valid.jsonl': rows.slice(30).join('\n') });
  const tasks: Pick<TaskSpec, 'id' | 'kind' | 'label'>[] = [{ id: 'k', kind: 'classification', label: 'k' }, { id: 'y', kind: 'regression', label: 'y' }];
  const one = await prepareData(makeExp({ format: 'jsonl', path: 'all.jsonl', features: ['x'], categorical: ['c'], split: { valid: 0.25, test: 0, seed: 2 } }, tasks), root);
  assert.equal(one.kind, 'tabular');
  assert.equal(one.featureDim, 3);
  assert.deepEqual([one.train.size, one.valid.size, one.test], [30, 10, undefined]);
  assert.deepEqual(one.scaling!.categorical, [{ column: 'c', values: ['a', 'b'] }]);
  const files = await prepareData(makeExp({ format: 'jsonl', path: 'd', splits: { train: 'train.jsonl', valid: 'valid.jsonl' }, features: ['x'], categorical: ['c'] }, tasks), root);
  assert.deepEqual([files.train.size, files.valid.size, files.test], [30, 10, undefined]);
  assert.deepEqual(files.valid.lines, Array.from({ length: 10 }, (_, i) => i + 1), 'lines of the valid file');
  const x = files.train.features!.map((f) => f[0]);
  assert.equal(x[0], 0, 'a null feature is the train mean (0 after standardising)');
  const bad = writeTree({ 'd/train.jsonl': rows[1] + '\n' + rec({ x: 'big', c: 'a', k: 'no', y: 1 }), 'd/valid.jsonl': rows[1] });
  await assert.rejects(prepareData(makeExp({ format: 'jsonl', path: 'd', splits: { train: 'train.jsonl', valid: 'valid.jsonl' }, features: ['x'] }, tasks), bad),
    (e: unknown) => e instanceof DataError && /train\.jsonl:2: field 'x' must be a number \(a numeric input, data\.features\), not a string \("big"\)/.test(e.message) && /train\.jsonl:2$/.test(e.where!));
});

test('JSONL: a task with one class (or no regression value) in the training records is refused, naming the file', async () => {
  const one = [rec({ text: 'a b', intent: 'X', slots: ['O', 'B-x'] }), rec({ text: 'c', intent: 'X', slots: ['O'] })].join('\n');
  const root = writeTree({ 'd/train.jsonl': one, 'd/valid.jsonl': one });
  await assert.rejects(prepareData(makeExp(spec(), TASKS), root), (e: unknown) => e instanceof DataError
    && e.message === `${path.join(root, 'd', 'train.jsonl')}: task 'intent' has one class in the training sentences ('X'); a classifier needs at least two` && e.where === path.join(root, 'd', 'train.jsonl'));
  const none = writeTree({ 'all.jsonl': Array.from({ length: 10 }, (_, i) => rec({ t: `w${i}`, y: null })).join('\n') });
  await assert.rejects(prepareData(makeExp({ format: 'jsonl', path: 'all.jsonl', text: 't', split: { valid: 0.2, test: 0 } }, [{ id: 'score', kind: 'regression', label: 'y' }]), none),
    /all\.jsonl: task 'score' has no value in any training sentence \(field 'y' is null in all of them\)/);
});

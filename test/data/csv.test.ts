import test from 'node:test';
import assert from 'node:assert/strict';
import { encodeCsv, parseCsv, type CsvColumnsSpec } from '../../src/data/csv';
import { splitRows } from '../../src/shared/seededSplit';
import { DataError } from '../../src/data/dataError';

test('parseCsv: quotes, escaped quotes, commas and newlines in quotes, CRLF, BOM, blank lines', () => {
  const text = '\ufeffname,note,n\r\n"Smith, J","said ""hi""",1\r\n\r\nplain,"two\r\nlines",2\nlast,,3';
  const t = parseCsv(text, 'f.csv');
  assert.deepEqual(t.header, ['name', 'note', 'n']);
  assert.deepEqual(t.rows, [['Smith, J', 'said "hi"', '1'], ['plain', 'two\r\nlines', '2'], ['last', '', '3']]);
  assert.deepEqual(t.lines, [2, 4, 6]);
});

test('parseCsv: field-count mismatch and unterminated quote name file:line', () => {
  assert.throws(() => parseCsv('a,b\n1,2\n3\n', 'x.csv'), (e: unknown) => e instanceof DataError && e.message === 'x.csv:3: 1 fields, but the header has 2');
  assert.throws(() => parseCsv('a,b\n1,"oops\n2,3\n', 'x.csv'), /x\.csv:2: unterminated quoted field/);
  assert.throws(() => parseCsv('a,b\n"1"x,2\n', 'x.csv'), /x\.csv:2: unexpected character after a closing quote/);
  assert.throws(() => parseCsv('', 'x.csv'), /empty CSV/);
  assert.throws(() => parseCsv('a,b\n1,x"y\n', 'x.csv'), /x\.csv:2: a quote inside an unquoted field/);
  assert.throws(() => parseCsv('é,b\n\n"ü\nü",2\n3\n', 'u.csv'), /u\.csv:5: 1 fields, but the header has 2/, 'lines counted past multi-byte characters, blank lines and quoted newlines');
  assert.deepEqual(parseCsv('a,b\r1,2\r\n3,4', 'cr.csv').lines, [2, 3], 'lone CR and CRLF both end a line');
});

test('splitRows is seeded, disjoint and complete', () => {
  const a = splitRows(100, 0.15, 0.1, 7);
  assert.deepEqual(a, splitRows(100, 0.15, 0.1, 7));
  assert.notDeepEqual(a.valid, splitRows(100, 0.15, 0.1, 8).valid);
  assert.equal(a.valid.length, 15);
  assert.equal(a.test.length, 10);
  assert.deepEqual([...a.train, ...a.valid, ...a.test].sort((x, y) => x - y), [...Array(100).keys()]);
});

const CSV = [
  'x,color,kind,mass',
  '1,red,A,10',
  '3,blue,B,20',
  'NA,red,A,30',
  '5,,B,NA',
  '"7",green,C,40',
  '2,red,,50',
].join('\n');

function spec(over: Partial<CsvColumnsSpec> = {}): CsvColumnsSpec {
  return {
    features: ['x'], categorical: ['color'],
    labels: [{ task: 'kind', column: 'kind', kind: 'classification' }, { task: 'mass', column: 'mass', kind: 'regression' }],
    missing: ['NA', ''], valid: 0, test: 0, seed: 1, ...over,
  };
}

test('encodeCsv: standardised numeric features with mean imputation, one-hot categorical, labels', () => {
  const d = encodeCsv(parseCsv(CSV, 'p.csv'), 'p.csv', spec());
  // all rows are train here: x = 1,3,5,7,2 (NA excluded) -> mean 3.6
  const xs = [1, 3, 5, 7, 2];
  const mean = xs.reduce((a, b) => a + b) / 5;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / 5);
  assert.equal(d.featureDim, 1 + 3);
  assert.deepEqual(d.labelNames.kind, ['A', 'B', 'C']);
  assert.deepEqual(d.labelNames.mass, []);
  const f = d.train.features;
  assert.ok(Math.abs(f[0][0] - (1 - mean) / std) < 1e-6);
  assert.equal(f[2][0], 0, 'missing numeric -> 0 = train mean after standardisation');
  // color one-hot over sorted train values blue, green, red
  assert.deepEqual([...f[0].subarray(1)], [0, 0, 1]);
  assert.deepEqual([...f[3].subarray(1)], [0, 0, 0], 'missing categorical -> all zeros');
  assert.deepEqual([...d.train.classes.kind], [0, 1, 0, 1, 2, -1]);
  assert.deepEqual(d.train.raw.kind, ['A', 'B', 'A', 'B', 'C', null]);
  const m = d.targetScale.mass;
  assert.ok(Math.abs(m.mean - 30) < 1e-9);
  assert.ok(Number.isNaN(d.train.reals.mass[3]));
  assert.ok(Math.abs(d.train.reals.mass[0] - (10 - 30) / m.std) < 1e-6);
  assert.equal(d.test, undefined);
});

test('encodeCsv: statistics come from train only; classes unseen in train map to -1 with raw kept', () => {
  const rows = ['f,y'];
  for (let i = 0; i < 40; i++) rows.push(`${i},${i % 2 ? 'odd' : 'even'}`);
  rows.push('100,rare');
  const table = parseCsv(rows.join('\n'), 'r.csv');
  // Find a seed that puts the 'rare' row (index 40) in valid.
  let seed = 0;
  while (!splitRows(41, 0.3, 0, seed).valid.includes(40)) seed++;
  const d = encodeCsv(table, 'r.csv', { features: ['f'], labels: [{ task: 'y', column: 'y', kind: 'classification' }], missing: ['NA'], valid: 0.3, test: 0, seed });
  assert.deepEqual(d.labelNames.y, ['even', 'odd']);
  const k = d.valid.rows.indexOf(40);
  assert.equal(d.valid.classes.y[k], -1);
  assert.equal(d.valid.raw.y[k], 'rare');
  // Train features standardised with train stats: mean ~0, std ~1.
  const v = d.train.features.map((x) => x[0]);
  const mean = v.reduce((a, b) => a + b) / v.length;
  assert.ok(Math.abs(mean) < 1e-5);
  assert.ok(Math.abs(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length - 1) < 1e-4);
});

test('encodeCsv: unknown column names the file and column; non-numeric cell names the line', () => {
  const t = parseCsv(CSV, 'p.csv');
  assert.throws(() => encodeCsv(t, 'p.csv', spec({ features: ['x', 'weight'] })),
    (e: unknown) => e instanceof DataError && /^p\.csv: unknown column 'weight' \(data\.features\); the columns are: 'x', 'color', 'kind', 'mass'$/.test(e.message));
  assert.throws(() => encodeCsv(t, 'p.csv', spec({ labels: [{ task: 't', column: 'nope', kind: 'classification' }] })), /unknown column 'nope' \(label of task 't'\)/);
  const bad = parseCsv('x,y\n1,a\nabc,b\n', 'b.csv');
  assert.throws(() => encodeCsv(bad, 'b.csv', { features: ['x'], labels: [{ task: 'y', column: 'y', kind: 'classification' }], missing: ['NA'], valid: 0, test: 0, seed: 1 }),
    (e: unknown) => e instanceof DataError && e.where === 'b.csv:3:1' && /^b\.csv:3:1: column 'x': 'abc' is not a number/.test(e.message));
});

test('parseCsv / encodeCsv: a column named twice, a one-class label and a regression label missing in every training row are refused by file', () => {
  assert.throws(() => parseCsv('x,y,x\n1,a,2\n', 'd.csv'),
    (e: unknown) => e instanceof DataError && e.where === 'd.csv:1' && e.message === "d.csv:1: column 'x' appears twice in the header (columns 1 and 3); rename one");
  const one = parseCsv('x,y\n1,a\n2,a\n3,a\n', 'o.csv');
  assert.throws(() => encodeCsv(one, 'o.csv', { features: ['x'], labels: [{ task: 't', column: 'y', kind: 'classification' }], missing: ['NA'], valid: 0, test: 0, seed: 1 }),
    (e: unknown) => e instanceof DataError && e.where === 'o.csv' && /task 't' has one class in the training rows \('a' in column 'y'\); a classifier needs at least two/.test(e.message));
  const none = parseCsv('x,y\n1,NA\n2,NA\n', 'n.csv');
  assert.throws(() => encodeCsv(none, 'n.csv', { features: ['x'], labels: [{ task: 'm', column: 'y', kind: 'regression' }], missing: ['NA'], valid: 0, test: 0, seed: 1 }),
    /n\.csv: column 'y' \(label of task 'm'\) has no values in the training rows \(every one is missing\)/);
});

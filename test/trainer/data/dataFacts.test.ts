// Data checks on real files in a temp folder, through the validator every consumer uses
// (loadExperimentFile: `fmtl validate`, `fmtl train`, sweeps; the Problems panel calls
// parseExperiment with the same reader). Each check: the JSON path (where the Problems panel puts
// it) and the message (naming the data file and line) asserted exactly.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadExperimentFile } from '../../../src/trainer/experimentFile';
import { cmdValidate, type CliIo } from '../../../src/trainer/cli';
import { runTraining } from '../../../src/trainer/runTraining';
import { readSluSplit } from '../../../src/trainer/data/slu';
import { prepareData } from '../../../src/trainer/data/prepare';
import { DataError } from '../../../src/trainer/data/dataError';
import { DataFactsCache, dataReader } from '../../../src/trainer/data/dataFacts';
import type { DataSpec } from '../../../src/shared/experimentTypes';
import { makeExp, writeTree } from './fixtures';

const PENGUIN_HEADER = 'species,bill,flipper,mass';
/** `n` rows of a small penguin-like CSV. */
function rows(n: number): string {
  const out = [PENGUIN_HEADER];
  for (let i = 0; i < n; i++) out.push(`${['Adelie', 'Gentoo'][i % 2]},${38 + (i % 7)},${180 + i},${3500 + 10 * i}`);
  return out.join('\n') + '\n';
}

const csvSpec = (extra: Partial<Extract<DataSpec, { format: 'csv' }>> = {}): DataSpec => ({ format: 'csv', path: 'p.csv', features: ['bill', 'flipper'], split: { valid: 0.2, test: 0.2 }, ...extra });
const csvTasks = [{ id: 'species', kind: 'classification' as const, label: 'species' }, { id: 'mass', kind: 'regression' as const, label: 'mass' }];
const sluSpec = (extra: Partial<Extract<DataSpec, { format: 'slu' }>> = {}): DataSpec => ({ format: 'slu', path: 'd', splits: { train: 'train', valid: 'valid' }, ...extra });
const sluTasks = [{ id: 'intent', kind: 'classification' as const, label: 'label' }, { id: 'slots', kind: 'tagging' as const, label: 'seq.out' }];

/** An SLU split folder's three files from sentence lines `words|tags|label`. */
function split(dir: string, lines: string[]): Record<string, string> {
  const part = (k: number) => lines.map((l) => l.split('|')[k]).join('\n') + '\n';
  return { [`d/${dir}/seq.in`]: part(0), [`d/${dir}/seq.out`]: part(1), [`d/${dir}/label`]: part(2) };
}
const GOOD = ['play a song|O O B-x|Play', 'book a table|O O B-y|Book', 'play jazz|O B-x|Play'];

/** Write the experiment (and files) into a fresh folder; the issues of loading it, as `path  message`. */
function issuesOf(data: DataSpec, tasks: typeof csvTasks | typeof sluTasks, files: Record<string, string | Buffer>): { dir: string; issues: string[] } {
  const dir = writeTree({});
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  const exp = { ...makeExp(data, tasks), iterations: 0 };
  fs.writeFileSync(path.join(dir, 'e.fmtl.json'), JSON.stringify(exp, null, 2));
  const loaded = loadExperimentFile(path.join(dir, 'e.fmtl.json'));
  return { dir, issues: loaded.issues.map((i) => `${i.pathText}  ${i.message}`) };
}

test('a good CSV and a good SLU folder give no issue', () => {
  assert.deepEqual(issuesOf(csvSpec(), csvTasks, { 'p.csv': rows(20) }).issues, []);
  assert.deepEqual(issuesOf(sluSpec(), sluTasks, { ...split('train', GOOD), ...split('valid', GOOD) }).issues, []);
});

test('CSV: an empty file', () => {
  const { dir, issues } = issuesOf(csvSpec(), csvTasks, { 'p.csv': '' });
  assert.deepEqual(issues, [`data.path  ${path.join(dir, 'p.csv')}: empty CSV file (no header)`]);
});

test('CSV: a header and no row', () => {
  const { dir, issues } = issuesOf(csvSpec(), csvTasks, { 'p.csv': PENGUIN_HEADER + '\n' });
  assert.deepEqual(issues, [`data.path  ${path.join(dir, 'p.csv')}: no data rows, only the header`]);
});

test('CSV: a target column and a feature column the header lacks, each at the setting that names it', () => {
  const { dir, issues } = issuesOf(csvSpec({ features: ['bill', 'wing'] }), [csvTasks[0], { id: 'mass', kind: 'regression', label: 'weight' }], { 'p.csv': rows(20) });
  const f = path.join(dir, 'p.csv');
  assert.deepEqual(issues, [
    `data.features[1]  ${f}: unknown column 'wing' (data.features); the columns are: 'species', 'bill', 'flipper', 'mass'`,
    `tasks[1].label  ${f}: unknown column 'weight' (label of task 'mass'); the columns are: 'species', 'bill', 'flipper', 'mass'`,
  ]);
});

test('CSV: a non-numeric cell in a numeric column at file:line:column, with how many more', () => {
  const text = rows(20).replace('Gentoo,39,181,3510', 'Gentoo,39,"18,1",3510').replace('Adelie,40,182,3520', 'Adelie,40,182,heavy');
  const { dir, issues } = issuesOf(csvSpec(), csvTasks, { 'p.csv': text });
  const f = path.join(dir, 'p.csv');
  assert.deepEqual(issues, [
    `data.features[1]  ${f}:3:11: column 'flipper': '18,1' is not a number (missing values are written as 'NA' or '')`,
    `tasks[1].label  ${f}:4:15: column 'mass': 'heavy' is not a number (missing values are written as 'NA' or '')`,
  ]);
  const many = rows(20).replace(/,3[0-9]{3}\n/g, ',?\n');
  assert.deepEqual(issuesOf(csvSpec(), csvTasks, { 'p.csv': many }).issues.map((i) => i.replace(/^.*?: /, '')), [
    "column 'mass': '?' is not a number (missing values are written as 'NA' or '') (and 19 more rows like it)",
  ]);
});

test('CSV: a ragged row names its line', () => {
  const { dir, issues } = issuesOf(csvSpec(), csvTasks, { 'p.csv': rows(5).replace('Gentoo,39,181,3510', 'Gentoo,39,181') });
  assert.deepEqual(issues, [`data.path  ${path.join(dir, 'p.csv')}:3: 3 fields, but the header has 4`]);
});

test('CSV: Latin-1 bytes are refused with the line and the byte offset', () => {
  const text = rows(4).replace('Gentoo,39,181,3510', 'Gentoo\xe9,39,181,3510');
  const bytes = Buffer.from(text, 'latin1');
  const offset = bytes.indexOf(0xe9);
  const { dir, issues } = issuesOf(csvSpec(), csvTasks, { 'p.csv': bytes });
  assert.deepEqual(issues, [`data.path  ${path.join(dir, 'p.csv')}:3: not UTF-8: byte 0xE9 at byte offset ${offset}; save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)`]);
  assert.equal(offset, PENGUIN_HEADER.length + 1 + 'Adelie,38,180,3500\n'.length + 'Gentoo'.length);
});

test('CSV: split fractions that leave a split with no row name the split and the row count', () => {
  const one = issuesOf(csvSpec({ split: { valid: 0.001, test: 0 } }), csvTasks, { 'p.csv': rows(20) });
  assert.deepEqual(one.issues, [`data.split.valid  ${path.join(one.dir, 'p.csv')}: the valid split gets 0 of 20 rows (20 × 0.001 rounds to 0): no validation metric and no best checkpoint; use valid >= 0.025 for one row`]);
  const two = issuesOf(csvSpec({ split: { valid: 0.2, test: 0.01 } }), csvTasks, { 'p.csv': rows(20) });
  assert.deepEqual(two.issues, [`data.split.test  ${path.join(two.dir, 'p.csv')}: the test split gets 0 of 20 rows (20 × 0.01 rounds to 0); use test >= 0.025 for one row, or test 0 for no test split`]);
  const three = issuesOf(csvSpec({ split: { valid: 0.5, test: 0.4 } }), csvTasks, { 'p.csv': rows(2) });
  assert.deepEqual(three.issues, [`data.split  ${path.join(three.dir, 'p.csv')}: no rows left for training (2 rows, valid 0.5 = 1 rows, test 0.4 = 1 rows)`]);
});

test('SLU: a truncated seq.out (line counts differ) at tasks[i].label', () => {
  const files = { ...split('train', GOOD), ...split('valid', GOOD) };
  files['d/valid/seq.out'] = 'O O B-x\nO O B-y\n';
  const { dir, issues } = issuesOf(sluSpec(), sluTasks, files);
  const v = path.join(dir, 'd', 'valid');
  assert.deepEqual(issues, [`tasks[1].label  ${v}/seq.out:3: 2 lines, but ${v}/seq.in has 3 (line 3 of seq.in has no line here): every line of seq.in needs one line here`]);
});

test('SLU: a tag count that is not the word count, per line, with how many more', () => {
  const files = { ...split('train', GOOD), ...split('valid', GOOD) };
  files['d/train/seq.out'] = 'O O B-x\nO O\nO\n';
  const { dir, issues } = issuesOf(sluSpec(), sluTasks, files);
  const t = path.join(dir, 'd', 'train');
  assert.deepEqual(issues, [`tasks[1].label  ${t}/seq.out:2: 2 tags for 3 words in ${t}/seq.in:2 (and 1 more line like it)`]);
});

test('SLU: an empty split, an empty sentence and an empty label', () => {
  const files = { ...split('train', GOOD), 'd/valid/seq.in': '', 'd/valid/seq.out': '', 'd/valid/label': '' };
  const a = issuesOf(sluSpec(), sluTasks, files);
  assert.deepEqual(a.issues, [`data.splits.valid  ${path.join(a.dir, 'd', 'valid', 'seq.in')}: no sentences: the valid split is empty`]);
  const b = issuesOf(sluSpec(), sluTasks, { ...split('train', ['play|O|Play', ' |  |Book']), ...split('valid', ['play|O|']) });
  assert.deepEqual(b.issues, [
    `data.splits.train  ${path.join(b.dir, 'd', 'train', 'seq.in')}:2: empty sentence`,
    `tasks[0].label  ${path.join(b.dir, 'd', 'valid', 'label')}:1: empty label`,
  ]);
  // Default split folders: the place is data.path.
  const c = issuesOf({ format: 'slu', path: 'd' }, sluTasks, { ...split('train', GOOD), ...split('valid', GOOD), 'd/test/seq.in': '', 'd/test/seq.out': '', 'd/test/label': '' });
  assert.deepEqual(c.issues, [`data.path  ${path.join(c.dir, 'd', 'test', 'seq.in')}: no sentences: the test split is empty`]);
});

test('SLU: Latin-1 bytes in seq.in are refused with the line and the byte offset', () => {
  const files: Record<string, string | Buffer> = { ...split('train', GOOD), ...split('valid', GOOD) };
  files['d/train/seq.in'] = Buffer.from('play a song\nbook a caf\xe9\nplay jazz\n', 'latin1');
  const { dir, issues } = issuesOf(sluSpec(), sluTasks, files);
  assert.deepEqual(issues, [`data.splits.train  ${path.join(dir, 'd', 'train', 'seq.in')}:2: not UTF-8: byte 0xE9 at byte offset ${'play a song\nbook a caf'.length}; save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)`]);
});

test('validate and train report the same problem (and train never builds)', async () => {
  const text = rows(20).replace('Adelie,40,182,3520', 'Adelie,4O,182,3520');
  const { dir, issues } = issuesOf(csvSpec(), csvTasks, { 'p.csv': text });
  let err = '';
  const io: CliIo = { out: { write: () => true }, err: { write: (s: string) => { err += s; } }, cwd: dir };
  assert.equal(cmdValidate(['e.fmtl.json'], io), 1);
  const message = `${path.join(dir, 'p.csv')}:4:8: column 'bill': '4O' is not a number (missing values are written as 'NA' or '')`;
  assert.deepEqual(issues, [`data.features[0]  ${message}`]);
  assert.match(err, new RegExp(`^e\\.fmtl\\.json:\\d+:\\d+  data\\.features\\[0\\]  ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n1 error\n$`));
  const outcome = await runTraining({ experimentPath: path.join(dir, 'e.fmtl.json'), runsDir: path.join(dir, 'runs'), backend: 'cpu' }, () => undefined);
  assert.ok(outcome.error, 'train refuses');
  assert.ok(outcome.error!.message.includes(`data.features[0]  ${message}`), outcome.error!.message);
  assert.equal(outcome.runDir, undefined, 'no run folder');
  // The readers behind train give the same message for what validation would not see (a sweep
  // override, a file changed between validate and train).
  const exp = makeExp(csvSpec(), csvTasks);
  await assert.rejects(prepareData(exp, dir), (e: unknown) => e instanceof DataError && e.message === message && e.where === `${path.join(dir, 'p.csv')}:4:8`);
});

test('the SLU reader refuses with the messages validation gives', async () => {
  const files: Record<string, string | Buffer> = { ...split('train', GOOD), ...split('valid', GOOD) };
  files['d/valid/seq.out'] = 'O O B-x\nO O B-y\n';
  const { dir, issues } = issuesOf(sluSpec(), sluTasks, files);
  const v = path.join(dir, 'd', 'valid');
  await assert.rejects(readSluSplit(v, [{ file: 'label', level: 'sentence' }, { file: 'seq.out', level: 'token' }], { role: 'valid' }),
    (e: unknown) => e instanceof DataError && `tasks[1].label  ${e.message}` === issues[0] && e.where === `${v}/seq.out:3`);
  fs.writeFileSync(path.join(v, 'seq.in'), Buffer.from('caf\xe9\n', 'latin1'));
  await assert.rejects(readSluSplit(v, [{ file: 'label', level: 'sentence' }]), /seq\.in:1: not UTF-8: byte 0xE9 at byte offset 3/);
});

test('the facts cache re-reads a file only when it changes', () => {
  const dir = writeTree({ 'p.csv': rows(3) });
  const cache = new DataFactsCache();
  const read = dataReader(dir, { cache });
  const a = read.csv('p.csv')!;
  assert.equal(read.csv('p.csv'), a, 'same object while unchanged');
  fs.writeFileSync(path.join(dir, 'p.csv'), rows(5));
  const b = read.csv('p.csv')!;
  assert.notEqual(b, a);
  assert.equal(b.rowCount, 5);
  assert.equal(read.csv('nope.csv'), undefined);
});

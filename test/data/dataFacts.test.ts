// Data checks on real files in a temp folder, through the validator every consumer uses
// (loadExperimentFile: `fmtl validate`, `fmtl train`, sweeps; the Problems panel calls
// parseExperiment with the same reader). Each check: the JSON path (where the Problems panel puts
// it) and the message (naming the data file and line) asserted exactly.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadExperimentFile } from '../../src/data/experimentFile';
import { cmdValidate, type CliIo } from '../../src/trainer/cli';
import { runTraining } from '../../src/trainer/runTraining';
import { readSluSplit } from '../../src/data/slu';
import { prepareData } from '../../src/data/prepare';
import { DataError } from '../../src/data/dataError';
import { DataFactsCache, dataReader } from '../../src/data/dataFacts';
import type { DataSpec } from '../../src/shared/experimentTypes';
import { makeExp, writeTree } from './fixtures';
import { parseExperiment } from '../../src/shared/experiment';
import { dataPathOptions } from '../../src/data/dataPath';

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

// ---------------------------------------------------------------------------------------------
// JSONL and CoNLL: read with the trainer's parsers; the labels of the training examples.

const textTasks = [{ id: 'intent', kind: 'classification' as const, label: 'intent' }, { id: 'slots', kind: 'tagging' as const, label: 'slots' }];
const conllTasks = [{ id: 'intent', kind: 'classification' as const, label: 'intent' }, { id: 'slots', kind: 'tagging' as const, label: 'slot' }];
const jsonlLine = (text: string, intent: string | null, slots: string[]) => JSON.stringify({ text, intent, slots });
/** `n` JSONL records; intents and slots alternate. */
const jsonlRecords = (n: number) => Array.from({ length: n }, (_, i) => jsonlLine(`play song ${i}`, ['Play', 'Book'][i % 2], ['O', i % 2 ? 'B-x' : 'O', 'O']));
/** `n` CoNLL sentences; intents and slots alternate. */
const conllSentences = (n: number) => Array.from({ length: n }, (_, i) => `# intent = ${['Play', 'Book'][i % 2]}\nplay\tO\nsong\t${i % 2 ? 'B-x' : 'O'}\n`);

/** The experiment's issues (as `issuesOf`) and what `train`'s reader says of the same data: its DataError message and place, or 'ok'. */
async function bothSay(data: DataSpec, tasks: { id: string; kind: 'classification' | 'tagging' | 'regression'; label: string }[], files: Record<string, string | Buffer>, seed = 1): Promise<{ dir: string; issues: string[]; train: string }> {
  const dir = writeTree({});
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  const exp = makeExp(data, tasks, seed);
  fs.writeFileSync(path.join(dir, 'e.fmtl.json'), JSON.stringify({ ...exp, encoder: data.format === 'csv' || (data.format === 'jsonl' && !data.text) ? exp.encoder : { type: 'bigru', embeddingDim: 8, hidden: 8 }, iterations: 0 }, null, 2));
  const issues = loadExperimentFile(path.join(dir, 'e.fmtl.json')).issues.map((i) => `${i.pathText}  ${i.message}`);
  let train = 'ok';
  try { await prepareData(exp, dir); } catch (e) { train = e instanceof DataError ? `${e.where}  ${e.message}` : `crash: ${String(e)}`; }
  return { dir, issues, train };
}

test('JSONL and CoNLL: the first problem of the file at data.path, with the file:line and message train gives', async () => {
  const lines = jsonlRecords(10);
  lines[2] = jsonlLine('play a song', 'Play', ['O', 'O']);
  const j = await bothSay({ format: 'jsonl', path: 'a.jsonl', text: 'text' }, textTasks, { 'a.jsonl': lines.join('\n') + '\n' });
  const jf = path.join(j.dir, 'a.jsonl');
  const jm = `${jf}:3: field 'slots' has 2 tags for 3 tokens in field 'text' (one tag per token)`;
  assert.deepEqual(j.issues, [`data.path  ${jm}`]);
  assert.equal(j.train, `${jf}:3  ${jm}`);

  const sentences = conllSentences(10);
  sentences[1] = '# intent = Book\nplay\tO\tO\nsong\tB-x\n';
  const c = await bothSay({ format: 'conll', path: 'a.conll', columns: ['token', 'slot'], token: 'token' }, conllTasks, { 'a.conll': sentences.join('\n') });
  const cf = path.join(c.dir, 'a.conll');
  const cm = `${cf}:6: 3 columns, but data.columns names 2: token slot (columns are separated by spaces or tabs; tokens cannot hold spaces)`;
  assert.deepEqual(c.issues, [`data.path  ${cm}`]);
  assert.equal(c.train, `${cf}:6  ${cm}`);

  // Latin-1 bytes, a BOM (dropped, as train drops it), an empty file.
  const bom = await bothSay({ format: 'jsonl', path: 'a.jsonl', text: 'text' }, textTasks, { 'a.jsonl': '\ufeff' + jsonlRecords(10).join('\n') });
  assert.deepEqual([bom.issues, bom.train], [[], 'ok']);
  const latin = await bothSay({ format: 'conll', path: 'a.conll', columns: ['token', 'slot'], token: 'token' }, conllTasks, { 'a.conll': Buffer.from(conllSentences(10).join('\n').replace('play\tO\nsong\tB-x', 'caf\xe9\tO\nsong\tB-x'), 'latin1') });
  assert.equal(latin.issues.length, 1);
  assert.match(latin.issues[0], /^data\.path  .*a\.conll:6: not UTF-8: byte 0xE9 at byte offset \d+/);
  assert.equal(latin.train.split('  ').slice(1).join('  '), latin.issues[0].split('  ').slice(1).join('  '));
  const empty = await bothSay({ format: 'jsonl', path: 'a.jsonl', text: 'text' }, textTasks, { 'a.jsonl': '\n\n' });
  assert.deepEqual(empty.issues, [`data.path  ${path.join(empty.dir, 'a.jsonl')}: no records (a JSONL file holds one JSON object per line)`]);
});

test('JSONL split files: each file\'s problem at data.splits.<split>', async () => {
  const bad = jsonlRecords(4);
  bad[1] = '[1, 2]';
  const r = await bothSay({ format: 'jsonl', path: 'd', text: 'text', splits: { train: 'train.jsonl', valid: 'valid.jsonl' } }, textTasks, { 'd/train.jsonl': jsonlRecords(10).join('\n'), 'd/valid.jsonl': bad.join('\n') });
  const m = `${path.join(r.dir, 'd', 'valid.jsonl')}:2: a line must hold a JSON object ({"field": value, ...}), not an array`;
  assert.deepEqual(r.issues, [`data.splits.valid  ${m}`]);
  assert.ok(r.train.endsWith(m), r.train);
});

test('the labels of the training examples: validate refuses exactly when train does, seed by seed, in every format', async () => {
  // One example of twelve differs (class 'b', tag 'B-x', a value): whether it lands in the training
  // examples depends on the seeded split (valid 0.2, test 0.2) and, for text data, limitTrain.
  const formats: { name: string; data: DataSpec; tasks: { id: string; kind: 'classification' | 'tagging' | 'regression'; label: string }[]; files: Record<string, string> }[] = [
    { name: 'CSV, a class', data: { format: 'csv', path: 'p.csv', features: ['x'], split: { valid: 0.2, test: 0.2 } }, tasks: [{ id: 'y', kind: 'classification', label: 'y' }],
      files: { 'p.csv': 'x,y\n' + Array.from({ length: 12 }, (_, i) => `${i},${i === 7 ? 'b' : i === 3 ? 'NA' : 'a'}`).join('\n') + '\n' } },
    { name: 'CSV, a regression target', data: { format: 'csv', path: 'p.csv', features: ['x'], split: { valid: 0.2, test: 0.2 } }, tasks: [{ id: 'm', kind: 'regression', label: 'm' }],
      files: { 'p.csv': 'x,m\n' + Array.from({ length: 12 }, (_, i) => `${i},${i === 5 ? '2.5' : i % 2 ? 'NA' : ''}`).join('\n') + '\n' } },
    { name: 'JSONL with features, a regression target', data: { format: 'jsonl', path: 't.jsonl', features: ['x'], split: { valid: 0.2, test: 0.2 } }, tasks: [{ id: 'm', kind: 'regression', label: 'm' }],
      files: { 't.jsonl': Array.from({ length: 12 }, (_, i) => JSON.stringify({ x: i, m: i === 9 ? 1.5 : null })).join('\n') } },
    { name: 'JSONL text, tags, limitTrain 5', data: { format: 'jsonl', path: 'a.jsonl', text: 'text', split: { valid: 0.2, test: 0.2 }, limitTrain: 5 }, tasks: [{ id: 'slots', kind: 'tagging', label: 'slots' }],
      files: { 'a.jsonl': Array.from({ length: 12 }, (_, i) => jsonlLine(`play song ${i}`, 'Play', ['O', i === 4 ? 'B-x' : 'O', 'O'])).join('\n') } },
    { name: 'CoNLL, a sentence class', data: { format: 'conll', path: 'a.conll', columns: ['token', 'slot'], token: 'token', split: { valid: 0.2, test: 0.2 } }, tasks: [{ id: 'intent', kind: 'classification', label: 'intent' }],
      files: { 'a.conll': Array.from({ length: 12 }, (_, i) => `# intent = ${i === 2 ? 'Book' : 'Play'}\nplay\tO\n`).join('\n') } },
  ];
  for (const f of formats) {
    const seen = { refused: 0, accepted: 0 };
    for (let seed = 1; seed <= 16; seed++) {
      const r = await bothSay(f.data, f.tasks, f.files, seed);
      if (r.train === 'ok') { assert.deepEqual(r.issues, [], `${f.name}, seed ${seed}: train accepts`); seen.accepted++; continue; }
      seen.refused++;
      const [where, message] = [r.train.split('  ')[0], r.train.split('  ').slice(1).join('  ')];
      assert.equal(where, path.join(r.dir, f.data.path), `${f.name}: train names the file`);
      assert.deepEqual(r.issues, [`tasks[0].label  ${message}`], `${f.name}, seed ${seed}`);
    }
    assert.ok(seen.refused > 0 && seen.accepted > 0, `${f.name}: the seeds give both outcomes (${JSON.stringify(seen)})`);
  }
});

test('JSONL split files: the training file\'s labels, named as train names them', async () => {
  const train = Array.from({ length: 6 }, (_, i) => jsonlLine(`play song ${i}`, 'Play', ['O', 'O', i ? 'O' : 'B-x']));
  const r = await bothSay({ format: 'jsonl', path: 'd', text: 'text', splits: { train: 'train.jsonl', valid: 'valid.jsonl' } }, textTasks, { 'd/train.jsonl': train.join('\n'), 'd/valid.jsonl': jsonlRecords(4).join('\n') });
  const m = `${path.join(r.dir, 'd', 'train.jsonl')}: task 'intent' has one class in the training sentences ('Play'); a classifier needs at least two`;
  assert.deepEqual(r.issues, [`tasks[0].label  ${m}`]);
  assert.ok(r.train.endsWith(m), r.train);
  // Tabular split files: train names the training file too (it named their folder before).
  const rows = (n: number, y: (i: number) => string) => Array.from({ length: n }, (_, i) => JSON.stringify({ x: i, y: y(i) })).join('\n');
  const t = await bothSay({ format: 'jsonl', path: 'd', features: ['x'], splits: { train: 'train.jsonl', valid: 'valid.jsonl' } }, [{ id: 'y', kind: 'classification', label: 'y' }], { 'd/train.jsonl': rows(5, () => 'a'), 'd/valid.jsonl': rows(3, (i) => 'ab'[i % 2]) });
  const tm = `${path.join(t.dir, 'd', 'train.jsonl')}: task 'y' has one class in the training rows ('a' in column 'y'); a classifier needs at least two`;
  assert.deepEqual(t.issues, [`tasks[0].label  ${tm}`]);
  assert.equal(t.train, `${path.join(t.dir, 'd', 'train.jsonl')}  ${tm}`);
});

test('beyond the size bound: the first part is checked for problems of a line; what needs the whole file is left to train', () => {
  const bounds = { whole: 2000, prefix: 1000 };
  const issues = (data: DataSpec, tasks: typeof textTasks, file: string, content: string, b = bounds) => {
    const dir = writeTree({ [file]: content });
    const exp = { ...makeExp(data, tasks), encoder: { type: 'bigru', embeddingDim: 8, hidden: 8 }, iterations: 0 };
    const r = parseExperiment(JSON.stringify(exp), { ...dataPathOptions(dir), readData: dataReader(dir, { bounds: b }) });
    return { dir, issues: r.errors.map((i) => `${i.pathText}  ${i.message}`) };
  };
  const jsonl: DataSpec = { format: 'jsonl', path: 'a.jsonl', text: 'text' };
  const many = jsonlRecords(100);
  assert.ok(many.join('\n').length > 2 * bounds.whole);
  // A bad line inside the first part: reported with its line.
  const early = [...many];
  early[1] = '{"text": "x"';
  const e = issues(jsonl, textTasks, 'a.jsonl', early.join('\n'));
  assert.deepEqual(e.issues, [`data.path  ${path.join(e.dir, 'a.jsonl')}:2: not valid JSON (at column 13); each line holds one JSON object`]);
  // A bad line past it, one class in every record, a line longer than the first part: not seen here.
  const late = [...many];
  late[95] = '{"text": "x"';
  assert.deepEqual(issues(jsonl, textTasks, 'a.jsonl', late.join('\n')).issues, []);
  assert.equal(issues(jsonl, textTasks, 'a.jsonl', late.join('\n'), { whole: 1e6, prefix: 1e6 }).issues.length, 1, 'read whole, it is seen');
  const oneClass = many.map((l) => l.replace('"Book"', '"Play"')).join('\n');
  assert.deepEqual(issues(jsonl, textTasks, 'a.jsonl', oneClass).issues, []);
  assert.match(issues(jsonl, textTasks, 'a.jsonl', oneClass, { whole: 1e6, prefix: 1e6 }).issues.join('\n'), /^tasks\[0\]\.label  .*task 'intent' has one class in the training sentences \('Play'\)/);
  assert.deepEqual(issues(jsonl, textTasks, 'a.jsonl', jsonlLine('word '.repeat(1000), 'Play', Array(1000).fill('O')) + '\n' + many.join('\n')).issues, []);
  // CoNLL: the first part ends at a sentence end, so a label line cut from its tokens is no orphan.
  const conll: DataSpec = { format: 'conll', path: 'a.conll', columns: ['token', 'slot'], token: 'token' };
  const sentences = conllSentences(80).join('\n');
  for (let prefix = 900; prefix < 1000; prefix += 7) {
    assert.deepEqual(issues(conll, conllTasks, 'a.conll', sentences, { whole: 2000, prefix }).issues, [], `first ${prefix} bytes`);
  }
  const orphan = conllSentences(80);
  orphan[3] = '# intent = Play\n';
  const o = issues(conll, conllTasks, 'a.conll', orphan.join('\n'));
  assert.equal(o.issues.length, 1);
  assert.match(o.issues[0], /a\.conll:\d+: the sentence label 'intent' is followed by no token lines/);
});

test('the facts cache reads a JSONL file again only when it or the fields read change', () => {
  const dir = writeTree({ 'a.jsonl': jsonlRecords(10).join('\n') });
  const cache = new DataFactsCache();
  const read = dataReader(dir, { cache });
  const ask = (extra: object = {}) => ({ data: { format: 'jsonl' as const, path: 'a.jsonl', text: 'text', ...extra }, tasks: textTasks });
  const a = read.examples('a.jsonl', ask())!;
  assert.equal(a.count, 10);
  assert.equal(read.examples('a.jsonl', ask({ split: { valid: 0.3, test: 0 }, lowercase: false })), a, 'split and lowercase: not read again');
  assert.notEqual(read.examples('a.jsonl', ask({ maxLength: 2 })), a, 'maxLength: read again');
  fs.writeFileSync(path.join(dir, 'a.jsonl'), jsonlRecords(12).join('\n'));
  assert.equal(read.examples('a.jsonl', ask({ maxLength: 2 }))!.count, 12);
});

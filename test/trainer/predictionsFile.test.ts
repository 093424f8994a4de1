// The per-example predictions files of real runs (penguins: tabular with regression; SNIPS with a
// small train subset: text with intent + slots): the run's metrics recomputed from the file equal
// summary.json's, for valid and test, and `fmtl eval` writes the same file.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePredictions, isTagsAnswer, isClassAnswer, isValueAnswer } from '../../src/shared/predictions/format';
import { metricsOfPredictions } from '../../src/shared/predictions/score';
import type { RunSummary } from '../../src/shared/trainerProtocol';
import { runTraining } from '../../src/trainer/runTraining';
import { cmdEval } from '../../src/trainer/cli';
import { smallSnips } from './smallSnips';

const root = path.join(__dirname, '..', '..', '..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-pred-'));

function readPred(runDir: string, name: string) {
  const file = path.join(runDir, 'predictions', name);
  return parsePredictions(fs.readFileSync(file, 'utf8'), file);
}

function summaryOf(runDir: string): RunSummary {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as RunSummary;
}

test('penguins: predictions/{valid,test}.jsonl re-score to summary.json (accuracy, macro-F1, RMSE, MAE) and fmtl eval writes the same', async () => {
  const outcome = await runTraining({ experimentPath: path.join(root, 'samples', 'penguins-quick.fmtl.json'), backend: 'cpu', epochs: 3, runsDir: tmp() }, () => {});
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const dir = outcome.runDir!;
  const summary = summaryOf(dir);
  const valid = readPred(dir, 'valid.jsonl');
  const testFile = readPred(dir, 'test.jsonl');
  assert.equal(testFile.header.split, 'test');
  assert.equal(testFile.header.checkpoint.kind, 'best');
  assert.equal(testFile.header.checkpoint.epoch, summary.bestEpoch);
  assert.equal(testFile.header.input, 'tabular');
  assert.equal(testFile.examples.length, testFile.header.examples);
  assert.deepEqual(metricsOfPredictions(valid), summary.best.valid);
  assert.deepEqual(metricsOfPredictions(testFile), summary.best.test);

  // Every example: a CSV row and line, gold, and K + 1 answers per task of the right shape.
  const K = testFile.header.iterations;
  assert.equal(K, 2);
  for (const e of testFile.examples) {
    assert.ok(Number.isInteger(e.row) && e.row! >= 1 && e.line === e.row! + 1, `row ${e.row} line ${e.line}`);
    for (const t of testFile.header.tasks) {
      const a = e.pred[t.id];
      assert.equal(a.length, K + 1);
      if (t.kind === 'classification') assert.ok(a.every((x) => isClassAnswer(x) && t.labels.includes(x.label) && x.p > 0 && x.p <= 1));
      else assert.ok(a.every((x) => isValueAnswer(x) && Number.isFinite(x.value)));
    }
  }
  // The CSV row is the example's: its species cell is the gold label.
  const csv = fs.readFileSync(path.join(root, 'samples', 'penguins.csv'), 'utf8').split('\n');
  const header = csv[0].split(',');
  for (const e of testFile.examples.slice(0, 5)) {
    const cells = csv[e.line! - 1].split(',');
    assert.equal(cells[header.indexOf('species')], e.gold.species);
  }
  assert.ok(Object.keys(testFile.header.gates).length > 0, 'the Gumbel arrow choice is in the header');

  // fmtl eval (best checkpoint, test) rewrites the same answers.
  const before = fs.readFileSync(path.join(dir, 'predictions', 'test.jsonl'), 'utf8');
  fs.rmSync(path.join(dir, 'predictions'), { recursive: true });
  let out = '';
  const io = { out: { write: (s: string) => { out += s; } }, err: { write: () => {} }, cwd: dir };
  assert.equal(await cmdEval([dir, '--split', 'test', '--backend', 'cpu', '--json'], io), 0);
  assert.equal(fs.readFileSync(path.join(dir, 'predictions', 'test.jsonl'), 'utf8'), before);
  const r = JSON.parse(out);
  assert.deepEqual(metricsOfPredictions(readPred(dir, 'test.jsonl')), r.metrics);
  assert.equal(await cmdEval([dir, '--split', 'valid', '--checkpoint', 'last', '--backend', 'cpu', '--json'], io), 0);
  assert.equal(readPred(dir, 'valid-last.jsonl').header.checkpoint.kind, 'last');
});

test('SNIPS (small): predictions re-score to summary.json by conlleval span F1, intent accuracy and overall accuracy', async () => {
  const dir = tmp();
  const outcome = await runTraining({ experimentPath: smallSnips(dir), backend: 'wasm', runsDir: path.join(dir, 'runs') }, () => {});
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const run = outcome.runDir!;
  const summary = summaryOf(run);
  const valid = readPred(run, 'valid.jsonl');
  const testFile = readPred(run, 'test.jsonl');
  assert.equal(testFile.examples.length, 700);
  assert.deepEqual(metricsOfPredictions(valid), summary.best.valid);
  assert.deepEqual(metricsOfPredictions(testFile), summary.best.test);
  assert.ok(summary.best.test!._overall.accuracy >= 0, 'the SLU overall accuracy is among the re-scored metrics');
  for (const e of testFile.examples) {
    assert.ok(e.tokens && e.tokens.length > 0);
    const gold = e.gold.slots as string[];
    assert.equal(gold.length, e.tokens!.length);
    for (const a of e.pred.slots) assert.ok(isTagsAnswer(a) && a.tags.length === gold.length && a.p.length === gold.length);
    assert.equal(e.pred.intent.length, 3);
  }
});

test('SNIPS (small) with a CRF slot head: the file holds the Viterbi answers the metrics scored', async () => {
  const dir = tmp();
  const outcome = await runTraining({ experimentPath: smallSnips(dir, 1, true), backend: 'wasm', runsDir: path.join(dir, 'runs') }, () => {});
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const summary = summaryOf(outcome.runDir!);
  assert.deepEqual(metricsOfPredictions(readPred(outcome.runDir!, 'test.jsonl')), summary.best.test);
});

// A model you can use: export a run's best checkpoint, load it back, and it answers the test inputs
// exactly as the run's predictions file says (penguins rows on cpu, SNIPS sentences on wasm); a
// folder with a missing file or of another format version is refused with a message naming it.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePredictions } from '../../src/shared/predictions/format';
import { runTraining } from '../../src/trainer/runTraining';
import { exportModel, loadModel, loadRunModel, MODEL_FILES } from '../../src/trainer/savedModel';
import { cmdExport, cmdPredict } from '../../src/trainer/cli';
import { smallSnips } from './smallSnips';

const root = path.join(__dirname, '..', '..', '..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-model-'));
const io = (cwd: string) => {
  let o = '';
  return { out: { write: (s: string) => { o += s; } }, err: { write: () => {} }, cwd, text: () => o };
};
const readTest = (run: string) => {
  const f = path.join(run, 'predictions', 'test.jsonl');
  return parsePredictions(fs.readFileSync(f, 'utf8'), f);
};

test('penguins: export -> loadModel -> predict on the test rows gives exactly the predictions file; bad folders are refused by name', async () => {
  const dir = tmp();
  const outcome = await runTraining({ experimentPath: path.join(root, 'samples', 'penguins-quick.fmtl.json'), backend: 'cpu', epochs: 2, runsDir: path.join(dir, 'runs') }, () => {});
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const run = outcome.runDir!;
  assert.ok(fs.existsSync(path.join(run, 'preprocessing.json')), 'the run keeps its preprocessing');
  const out = path.join(dir, 'model');
  const cli = io(dir);
  assert.equal(await cmdExport([run, '--out', 'model'], cli), 0);
  assert.match(cli.text(), /checkpoint best/);
  for (const f of Object.values(MODEL_FILES)) assert.ok(fs.existsSync(path.join(out, f)), f);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
  assert.equal(manifest.weightsManifest[0].paths[0], 'weights.bin');
  assert.ok(manifest.weightsManifest[0].weights.every((w: { name: string }) => !w.name.startsWith('optimizer/')), 'no optimizer state');
  assert.match(manifest.versions.tfjs, /^4\./);

  const file = readTest(run);
  const csv = fs.readFileSync(path.join(root, 'samples', 'penguins.csv'), 'utf8').split('\n');
  const header = csv[0].split(',');
  const rows = file.examples.map((e) => Object.fromEntries(csv[e.line! - 1].split(',').map((c, j) => [header[j], c])));
  const model = await loadModel(out, { backend: 'cpu' });
  try {
    assert.equal(model.iterations, file.header.iterations);
    const preds = model.predict(rows);
    assert.deepEqual(preds.map((p) => p.pred), file.examples.map((e) => e.pred));
  } finally {
    model.dispose();
  }
  // The run folder itself loads the same model.
  const fromRun = await loadRunModel(run, 'best', { backend: 'cpu' });
  try { assert.deepEqual(fromRun.predict(rows.slice(0, 3)).map((p) => p.pred), file.examples.slice(0, 3).map((e) => e.pred)); } finally { fromRun.dispose(); }

  // A CSV file through the CLI: the header names the columns.
  const csvIn = path.join(dir, 'rows.csv');
  fs.writeFileSync(csvIn, [csv[0], csv[file.examples[0].line! - 1]].join('\n') + '\n');
  const p = io(dir);
  assert.equal(await cmdPredict(['model', '--input', 'rows.csv', '--backend', 'cpu', '--json'], p), 0);
  const line = JSON.parse(p.text().trim());
  assert.deepEqual(line.answer.species, file.examples[0].pred.species[file.header.iterations]);

  // Refusals, each naming the folder and the file.
  for (const missing of ['preprocessing.json', 'weights.bin', 'experiment.json']) {
    const broken = path.join(dir, `no-${missing}`);
    fs.cpSync(out, broken, { recursive: true });
    fs.rmSync(path.join(broken, missing));
    await assert.rejects(loadModel(broken, { backend: 'cpu' }), (e: Error) => e.message.includes(broken) && e.message.includes(`${missing} is missing`), missing);
  }
  const newer = path.join(dir, 'newer');
  fs.cpSync(out, newer, { recursive: true });
  fs.writeFileSync(path.join(newer, 'model.json'), JSON.stringify({ ...manifest, formatVersion: 2, versions: { ...manifest.versions, fmtl: '9.0.0' } }));
  await assert.rejects(loadModel(newer, { backend: 'cpu' }), /newer[/\\]model\.json: model format version 2 \(written by fmtl 9\.0\.0\); this fmtl .* reads version 1/);
  await assert.rejects(loadModel(path.join(dir, 'nothing'), { backend: 'cpu' }), /nothing is not a complete model folder: model\.json is missing/);
  // Text into a tabular model: said plainly.
  const m2 = await loadModel(out, { backend: 'cpu' });
  try { assert.throws(() => m2.predict(['a sentence']), /input 1: this model reads CSV rows \(columns bill_length_mm, .*island\), got text/); } finally { m2.dispose(); }
});

test('SNIPS (small, with character features): the exported model answers the test sentences exactly as predictions/test.jsonl; fmtl predict prints intent and slot spans', async () => {
  const dir = tmp();
  const outcome = await runTraining({ experimentPath: smallSnips(dir, 1, false, true), backend: 'wasm', runsDir: path.join(dir, 'runs') }, () => {});
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const out = path.join(dir, 'model');
  await exportModel(outcome.runDir!, out);
  const file = readTest(outcome.runDir!);
  const model = await loadModel(out, { backend: 'wasm' });
  try {
    const preds = model.predict(file.examples.map((e) => e.tokens!));
    assert.deepEqual(preds.map((p) => p.pred), file.examples.map((e) => e.pred));
    assert.deepEqual(preds[0].tokens, file.examples[0].tokens);
    // One sentence alone: the same labels (batch shapes differ, so probabilities may move in the last bits).
    const one = model.predict([file.examples[5].tokens!.join(' ')])[0];
    assert.deepEqual((one.pred.slots as { tags: string[] }[]).map((a) => a.tags), (file.examples[5].pred.slots as { tags: string[] }[]).map((a) => a.tags));
  } finally {
    model.dispose();
  }
  const p = io(dir);
  assert.equal(await cmdPredict(['model', 'play the new song by adele', '--iterations', '--backend', 'wasm'], p), 0);
  const text = p.text();
  assert.match(text, /^play the new song by adele\n  intent  y0  \S+ 0\.\d\d\n/);
  assert.match(text, /\n  slots   y0  (\[\w+: [\w ]+\] ?)+|no spans/);
  assert.equal(text.split('\n').filter((l) => /  y\d  /.test(l)).length, 2 * 3, 'K = 2: three passes per task');
});

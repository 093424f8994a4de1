// Failures during training reach the host exactly once as run/error (runTraining reports what train
// throws; train itself never emits run/error), and the run keeps its events and last checkpoint.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';
import { loadCheckpoint } from '../../src/trainer/checkpointStore';
import { runTraining } from '../../src/trainer/runTraining';
import { readEvents } from '../../src/runFolder/runFolderReader';

const root = path.join(__dirname, '..', '..', '..');
const quick = path.join(root, 'samples', 'penguins-quick.fmtl.json');

/** The quick penguins sample in a temp folder with `edit` applied to its text. */
function experiment(edit: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-fail-'));
  fs.copyFileSync(path.join(root, 'samples', 'penguins.csv'), path.join(dir, 'penguins.csv'));
  const file = path.join(dir, 'exp.fmtl.json');
  const text = edit(fs.readFileSync(quick, 'utf8'));
  fs.writeFileSync(file, text);
  return file;
}

test('a diverging run: one run/error naming epoch, step and the setting; events and a finite last checkpoint kept', async () => {
  const file = experiment((t) => t.replace('"learningRate": 0.01', '"learningRate": 1e6'));
  const events: TrainerEvent[] = [];
  const outcome = await runTraining({ experimentPath: file, backend: 'cpu', runsDir: path.join(path.dirname(file), 'runs') }, (e) => events.push(e));
  const errors = events.filter((e) => e.type === 'run/error');
  assert.equal(errors.length, 1, 'exactly one run/error');
  const err = errors[0];
  assert.ok(err.type === 'run/error');
  assert.match(err.message, /became (NaN|Infinity|-Infinity) at epoch \d+ step \d+/);
  assert.match(err.message, /learningRate/);
  assert.equal(err.where, 'training.learningRate');
  assert.equal(err.stack, undefined, 'a settings problem, not a crash: no stack trace');
  assert.equal(events.at(-1)!.type, 'run/done');
  assert.equal(events.filter((e) => e.type === 'run/done').length, 1);
  assert.ok(outcome.runDir && outcome.error);
  assert.equal(outcome.summary?.status, 'failed');
  // Everything emitted before the failure is on disk, and the last checkpoint loads with finite weights.
  const onDisk = readEvents(outcome.runDir);
  const stepsDone = events.filter((e) => e.type === 'run/step').length;
  assert.equal(onDisk.filter((e) => e.type === 'run/step').length, stepsDone);
  assert.equal(onDisk.filter((e) => e.type === 'run/error').length, 1);
  const cps = events.filter((e) => e.type === 'run/checkpoint' && e.kind === 'last');
  assert.ok(cps.length > 0, 'a last checkpoint was written');
  const cp = await loadCheckpoint(outcome.runDir);
  try {
    assert.equal(cp.step, stepsDone);
    for (const w of cp.weights) assert.ok((w.tensor.dataSync() as Float32Array).every(Number.isFinite), w.name);
  } finally {
    for (const w of [...cp.weights, ...cp.optimizer]) w.tensor.dispose();
  }
});

test('a bad early-stopping metric: one run/error pointing at the setting', async () => {
  const file = experiment((t) => t.replace('"metric": "sex.accuracy"', '"metric": "sex.rmse"'));
  const events: TrainerEvent[] = [];
  const outcome = await runTraining({ experimentPath: file, backend: 'cpu', runsDir: path.join(path.dirname(file), 'runs') }, (e) => events.push(e));
  const errors = events.filter((e) => e.type === 'run/error');
  assert.equal(errors.length, 1);
  assert.ok(errors[0].type === 'run/error' && /earlyStopping\.metric/.test(errors[0].message) && /rmse/.test(errors[0].message), errors[0].type === 'run/error' ? errors[0].message : '');
  assert.ok(errors[0].type === 'run/error' && errors[0].where !== undefined);
  assert.ok(outcome.error);
});

test('the resumed run keeps the early-stopping state through the checkpoint files', async () => {
  const file = experiment((t) => t);
  const runsDir = path.join(path.dirname(file), 'runs');
  const events: TrainerEvent[] = [];
  const first = await runTraining({ experimentPath: file, backend: 'cpu', runsDir, epochs: 2 }, (e) => events.push(e));
  assert.equal(first.error, undefined, first.error?.message);
  const cp = await loadCheckpoint(first.runDir!);
  try {
    assert.equal(cp.monitor?.metric, 'sex.accuracy');
    assert.equal(cp.monitor?.bestEpoch, first.summary!.bestEpoch);
    assert.ok(cp.monitor && cp.monitor.bestEpoch > 0 && Number.isFinite(cp.monitor.best));
    assert.deepEqual(cp.monitor?.bestValid, first.summary!.best.valid);
  } finally {
    for (const w of [...cp.weights, ...cp.optimizer]) w.tensor.dispose();
  }
  const resumed = await runTraining({ experimentPath: file, backend: 'cpu', runsDir, epochs: 3, resume: first.runDir }, () => undefined);
  assert.equal(resumed.error, undefined, resumed.error?.message);
  // The summary's best epoch is the overall best, not the best since the resume.
  const ep3 = readEvents(resumed.runDir!).find((e) => e.type === 'run/epoch' && e.epoch === 3);
  assert.ok(ep3 && ep3.type === 'run/epoch' && ep3.epoch === 3);
  const best = Math.max(...events.flatMap((e) => (e.type === 'run/epoch' ? [e.monitor!.value] : [])));
  assert.equal(ep3.type === 'run/epoch' && ep3.monitor!.improved, ep3.type === 'run/epoch' && ep3.monitor!.value > best);
  assert.ok(resumed.summary!.bestEpoch === 3 || resumed.summary!.bestEpoch === first.summary!.bestEpoch);
});

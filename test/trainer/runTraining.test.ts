// End to end on the real penguins sample (cpu backend, 2 epochs): run folder contents, abort + resume,
// input errors, variants, reproducibility. Each run takes a few seconds.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withDefaults } from '../../src/shared/experiment';
import type { Experiment } from '../../src/shared/experimentTypes';
import type { RunSummary, TrainerEvent } from '../../src/shared/trainerProtocol';
import { applyVariant, fingerprintData, runTraining } from '../../src/trainer/runTraining';
import { readEvents } from '../../src/runFolder/runFolderReader';

const root = path.join(__dirname, '..', '..', '..');
const quick = path.join(root, 'samples', 'penguins-quick.fmtl.json');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-run-'));

async function run(opts: Partial<Parameters<typeof runTraining>[0]> = {}, signalAfterSteps?: number) {
  const events: TrainerEvent[] = [];
  const ac = new AbortController();
  const outcome = await runTraining({ experimentPath: quick, backend: 'cpu', epochs: 2, runsDir: tmp(), ...opts }, (e) => {
    events.push(e);
    if (signalAfterSteps !== undefined && e.type === 'run/step' && e.step >= signalAfterSteps) ac.abort();
  }, ac.signal);
  return { outcome, events };
}

test('a run writes config, meta, events.jsonl, checkpoints, summary; run/done comes last', async () => {
  const { outcome, events } = await run();
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const dir = outcome.runDir!;
  assert.match(path.basename(dir), /^\d{8}-\d{6}-penguins-quick$/);
  assert.equal(outcome.runId, path.basename(dir));
  const files = fs.readdirSync(dir).sort();
  for (const f of ['config.json', 'meta.json', 'events.jsonl', 'summary.json', 'checkpoints', 'report.html']) assert.ok(files.includes(f), `${f} in ${files}`);
  for (const k of ['best', 'last']) {
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', k, 'model.json')), k);
    assert.ok(fs.statSync(path.join(dir, 'checkpoints', k, 'weights.bin')).size > 1000, k);
  }
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Experiment;
  assert.equal(config.training.epochs, 2, 'the epochs override is in the snapshot');
  assert.equal(config.convergence.startK, 1, 'defaults are in the snapshot');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  assert.equal(meta.seed, 42);
  assert.equal(meta.backend.name, 'cpu');
  assert.match(meta.versions.tfjs, /^4\./);
  assert.match(meta.versions.node, /^v\d+/);
  assert.ok(meta.hardware.cpus >= 1 && meta.hardware.memoryBytes > 0);
  assert.deepEqual(meta.data, [{ path: 'penguins.csv', bytes: 15241, sha256: 'f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93' }]);
  assert.match(meta.experimentSha256, /^[0-9a-f]{64}$/);

  // The file has exactly the events that were reported, in order, each line valid JSON.
  const lines = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n');
  const fromFile = lines.map((l) => JSON.parse(l) as TrainerEvent);
  assert.deepEqual(fromFile, events);
  assert.equal(events[0].type, 'run/start');
  assert.equal(events[events.length - 1].type, 'run/done');
  assert.ok(events.every((e) => e.runId === outcome.runId));
  assert.equal(events.filter((e) => e.type === 'run/epoch').length, 2);
  assert.ok(events.some((e) => e.type === 'run/gates'), 'the sample has a Gumbel arrow');
  assert.ok(events.some((e) => e.type === 'run/iterationDeltas'));

  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary & { runId: string };
  assert.equal(summary.status, 'completed');
  assert.equal(summary.epochs, 2);
  assert.equal(summary.runId, outcome.runId);
  assert.deepEqual(summary.best, outcome.summary!.best);
  assert.ok(summary.best.valid.species.accuracy > 0.3, 'species is learnable in 2 epochs');
  assert.ok(summary.best.test, 'test metrics at the best epoch');
});

test('abort mid-run keeps the events and the last checkpoint; resume continues from it', async () => {
  const { outcome, events } = await run({ epochs: 3 }, 10);
  assert.equal(outcome.summary?.status, 'stopped');
  const dir = outcome.runDir!;
  assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'last', 'model.json')));
  const onDisk = readEvents(dir);
  assert.deepEqual(onDisk, events);
  assert.equal(onDisk[onDisk.length - 1].type, 'run/done');
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'stopped');
  const lastStep = Math.max(...events.filter((e) => e.type === 'run/step').map((e) => (e as { step: number }).step));
  assert.ok(lastStep < 3 * 8, 'stopped before the end');

  const resumed = await run({ epochs: 3, resume: dir, runsDir: path.dirname(dir) });
  assert.equal(resumed.outcome.error, undefined, resumed.outcome.error?.message);
  assert.equal(resumed.outcome.summary?.status, 'completed');
  assert.equal(resumed.outcome.runDir, dir, 'a resumed run continues in its own folder');
  assert.equal(resumed.outcome.runId, outcome.runId);
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), [path.basename(dir)], 'no second run folder');
  const start = resumed.events[0];
  assert.ok(start.type === 'run/start' && start.resumedFrom === dir);
  assert.deepEqual(start.type === 'run/start' && start.resumed, { step: lastStep, epoch: 1, checkpoint: 'last', redoneSteps: 0 });
  const firstStep = resumed.events.find((e) => e.type === 'run/step') as { step: number };
  assert.equal(firstStep.step, lastStep + 1, 'steps continue where the stopped run ended');
  // The first epoch after the mid-epoch resume says its train loss covers only the steps since then.
  const ep2 = resumed.events.find((e) => e.type === 'run/epoch');
  assert.ok(ep2?.type === 'run/epoch' && ep2.epoch === 2 && ep2.resumedAtStep === lastStep && ep2.stepsCounted === 16 - lastStep, JSON.stringify(ep2));
  const ep3 = resumed.events.filter((e) => e.type === 'run/epoch')[1];
  assert.ok(ep3?.type === 'run/epoch' && ep3.resumedAtStep === undefined && ep3.stepsCounted === undefined);

  // One history: the file holds both sessions; read as a run, every step once, in order, times growing,
  // one run/done (the resumed session's), summary.json rewritten as completed.
  const history = readEvents(dir);
  const steps = history.filter((e) => e.type === 'run/step').map((e) => (e as { step: number }).step);
  assert.deepEqual(steps, Array.from({ length: 24 }, (_, i) => i + 1));
  assert.deepEqual(history.filter((e) => e.type === 'run/done').map((e) => e.type === 'run/done' && e.summary.status), ['completed']);
  assert.deepEqual(history.filter((e) => e.type === 'run/epoch').map((e) => e.type === 'run/epoch' && e.epoch), [1, 2, 3]);
  for (let i = 1; i < history.length; i++) assert.ok(history[i].t >= history[i - 1].t, `t goes back at event ${i}: ${history[i - 1].t} -> ${history[i].t}`);
  const summary2 = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary2.status, 'completed');
  assert.equal(summary2.steps, 24);
  assert.ok(summary2.durationMs > summary.durationMs, 'the duration counts both sessions');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  assert.equal(meta.resumes.length, 1);
  assert.equal(meta.resumes[0].fromStep, lastStep);
});

test('a resumed run whose best epoch came before the interruption still scores test with the best weights', async () => {
  const first = await run({ epochs: 2 });
  assert.equal(first.outcome.summary?.status, 'completed');
  const bestTest = first.outcome.summary?.best.test;
  assert.ok(bestTest, 'the original run scored test');
  // Nothing is left to train: the summary's test scores can only come from the stored best checkpoint.
  const resumed = await run({ epochs: 2, resume: first.outcome.runDir, runsDir: path.dirname(first.outcome.runDir!) });
  assert.equal(resumed.outcome.error, undefined, resumed.outcome.error?.message);
  assert.equal(resumed.outcome.summary?.bestEpoch, first.outcome.summary?.bestEpoch);
  assert.deepEqual(resumed.outcome.summary?.best.test, bestTest);
});

test('same seed, same numbers; another seed, other numbers', async () => {
  const losses = (evs: TrainerEvent[]) => evs.filter((e) => e.type === 'run/step').map((e) => (e as { total: number }).total);
  const a = await run({ epochs: 1 });
  const b = await run({ epochs: 1 });
  const c = await run({ epochs: 1, seed: 7 });
  assert.deepEqual(losses(a.events), losses(b.events));
  assert.notDeepEqual(losses(a.events), losses(c.events));
  const meta = JSON.parse(fs.readFileSync(path.join(c.outcome.runDir!, 'meta.json'), 'utf8'));
  assert.equal(meta.seed, 7);
});

test('input errors: run/error with where, no run folder', async () => {
  const dir = tmp();
  const bad = path.join(dir, 'bad.fmtl.json');
  const text = fs.readFileSync(quick, 'utf8').replace('"to": "mass"', '"to": "weight"');
  fs.writeFileSync(bad, text);
  fs.copyFileSync(path.join(root, 'samples', 'penguins.csv'), path.join(dir, 'penguins.csv'));
  const events: TrainerEvent[] = [];
  const runsDir = path.join(dir, 'runs');
  const outcome = await runTraining({ experimentPath: bad, backend: 'cpu', runsDir }, (e) => events.push(e));
  assert.equal(outcome.runDir, undefined);
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.type, 'run/error');
  assert.ok(e.type === 'run/error' && /feedback\[1\]\.to/.test(e.message) && /unknown task 'weight'/.test(e.message));
  const line = text.split('\n').findIndex((l) => l.includes('"weight"')) + 1;
  assert.ok(e.type === 'run/error' && e.where?.includes(`bad.fmtl.json:${line}:`), `where = ${e.type === 'run/error' && e.where}`);
  assert.equal(e.type === 'run/error' && e.stack, undefined, 'no stack trace for input errors');
  assert.equal(fs.existsSync(runsDir), false);

  // A data problem (missing CSV) is reported before anything runs, too.
  fs.writeFileSync(bad, fs.readFileSync(quick, 'utf8').replace('"penguins.csv"', '"nope.csv"'));
  const ev2: TrainerEvent[] = [];
  const o2 = await runTraining({ experimentPath: bad, backend: 'cpu', runsDir }, (x) => ev2.push(x));
  assert.match(o2.error!.message, /CSV file not found: 'nope.csv'/);
});

test('variants: static disables arrows, fixed pins gates to the last candidate, gumbel gates fixed arrows into multi-block tasks', () => {
  const exp = withDefaults(JSON.parse(fs.readFileSync(quick, 'utf8')) as Experiment);
  const s = applyVariant(exp, 'static');
  assert.ok(s.feedback.every((f) => f.enabled === false));
  const f = applyVariant(exp, 'fixed');
  assert.deepEqual(f.feedback.map((x) => [x.injection, x.candidates]), [[2, undefined], [1, undefined], [1, undefined]]);
  const g = applyVariant(exp, 'gumbel');
  assert.deepEqual(g.feedback.map((x) => [x.injection, x.candidates]), [['gumbel', [1, 2]], [1, undefined], [1, undefined]]);
  assert.equal(applyVariant(exp, 'asWritten'), exp);
  assert.deepEqual(exp.feedback[0].injection, 'gumbel', 'the input is not modified');
});

test('static variant trains with tag and without gates', async () => {
  const { outcome, events } = await run({ epochs: 1, variant: 'static' });
  assert.equal(outcome.error, undefined, outcome.error?.message);
  assert.match(path.basename(outcome.runDir!), /-static$/);
  assert.ok(!events.some((e) => e.type === 'run/gates'));
  assert.ok(!events.some((e) => e.type === 'run/iterationDeltas'));
});

test('data fingerprints: every SLU file a run reads', () => {
  const snips = withDefaults(JSON.parse(fs.readFileSync(path.join(root, 'samples', 'snips.fmtl.json'), 'utf8')) as Experiment);
  const fp = fingerprintData(snips, path.join(root, 'samples'));
  assert.deepEqual(fp.map((f) => f.path).sort(), ['test', 'train', 'valid'].flatMap((s) => ['label', 'seq.in', 'seq.out'].map((f) => `../../shared/data/snips/${s}/${f}`)).sort());
  assert.ok(fp.every((f) => f.bytes > 0 && /^[0-9a-f]{64}$/.test(f.sha256)));
});

test('a failure during training closes the run folder as failed (summary, run/error, run/done)', async () => {
  const dir = tmp();
  const file = path.join(dir, 'diverge.fmtl.json');
  const exp = JSON.parse(fs.readFileSync(quick, 'utf8'));
  exp.training.learningRate = 1e30;
  exp.training.optimizer = 'sgd';
  fs.writeFileSync(file, JSON.stringify(exp));
  fs.copyFileSync(path.join(root, 'samples', 'penguins.csv'), path.join(dir, 'penguins.csv'));
  const events: TrainerEvent[] = [];
  const outcome = await runTraining({ experimentPath: file, backend: 'cpu', epochs: 2, runsDir: path.join(dir, 'runs') }, (e) => events.push(e));
  assert.match(outcome.error?.message ?? '', /the loss became/);
  assert.equal(outcome.summary?.status, 'failed');
  const summary = JSON.parse(fs.readFileSync(path.join(outcome.runDir!, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'failed');
  assert.match(summary.error, /the loss became/);
  const types = events.map((e) => e.type);
  assert.equal(types[types.length - 1], 'run/done');
  assert.ok(types.includes('run/error'));
  // NaN losses are written as null (JSON has no NaN).
  assert.deepEqual(readEvents(outcome.runDir!), JSON.parse(JSON.stringify(events)));
});

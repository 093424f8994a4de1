// Weight averaging (training.weightAveraging): the average follows its formula, scoring swaps it in
// and the trained weights back, a run scores the average everywhere (epoch metrics, best checkpoint,
// test, `fmtl eval`), and a run stopped mid-epoch and resumed ends bit-equal to a run never
// interrupted (the average and the trained weights both travel in the checkpoint).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';
import { parseExperiment } from '../../src/shared/experiment';
import { averagingDecay, LIVE_PREFIX, WeightAverage } from '../../src/trainer/model/weightAverage';
import { runTraining } from '../../src/trainer/runTraining';
import { loadCheckpoint } from '../../src/trainer/checkpointStore';
import { cmdEval, type CliIo } from '../../src/trainer/cli';
import { snipsShaped } from './smallSnips';

const root = path.join(__dirname, '..', '..', '..');

test('the average follows avg <- d avg + (1 - d) w with d = min(decay, (1 + n) / (10 + n))', async () => {
  await tf.setBackend('cpu');
  assert.equal(averagingDecay({ decay: 0.999 }, 0), 0.1);
  assert.equal(averagingDecay({ decay: 0.999 }, 5), 6 / 15);
  assert.equal(averagingDecay({ decay: 0.9 }, 10_000), 0.9);
  const w = tf.variable(tf.tensor1d([1, -2]));
  const avg = new WeightAverage({ decay: 0.5 }, [w]);
  let want = [1, -2];
  const seq = [[3, 0], [5, 4], [-1, 1], [2, 2]];
  seq.forEach((x, i) => {
    w.assign(tf.tensor1d(x));
    avg.update(i + 1);
    const d = Math.min(0.5, (1 + i) / (10 + i));
    want = want.map((a, j) => d * a + (1 - d) * x[j]);
  });
  const got = Array.from(avg.averaged[0].dataSync());
  got.forEach((g, j) => assert.ok(Math.abs(g - want[j]) < 1e-6, `${got} vs ${want}`));
  // Scoring sees the average; the trained weights are back afterwards, also after a throw.
  const seen = avg.with(() => Array.from(w.dataSync()));
  assert.deepEqual(seen, got);
  assert.deepEqual(Array.from(w.dataSync()), [2, 2]);
  assert.throws(() => avg.with(() => { throw new Error('boom'); }), /boom/);
  assert.deepEqual(Array.from(w.dataSync()), [2, 2]);
  avg.dispose();
  w.dispose();
});

test('validate: weightAveraging.decay must lie in (0, 1), unknown keys are named', () => {
  const base = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'penguins.fmtl.json'), 'utf8'));
  const withWa = (wa: unknown) => JSON.stringify({ ...base, training: { ...base.training, weightAveraging: wa } });
  assert.deepEqual(parseExperiment(withWa({ decay: 0.999 })).errors, []);
  for (const bad of [{ decay: 1 }, { decay: 0 }, {}, { decay: 0.9, warmup: 3 }]) {
    const r = parseExperiment(withWa(bad));
    assert.ok(r.errors.some((e) => e.pathText.startsWith('training.weightAveraging')), `${JSON.stringify(bad)}: ${r.errors.map((e) => e.pathText + ' ' + e.message)}`);
  }
});

function withAveraging(file: string, decay: number): void {
  const exp = JSON.parse(fs.readFileSync(file, 'utf8'));
  exp.training.weightAveraging = { decay };
  fs.writeFileSync(file, JSON.stringify(exp, null, 2));
}

test('a run with weight averaging scores the average everywhere and resumes bit for bit', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-wa-'));
  const file = snipsShaped(dir, 3);
  withAveraging(file, 0.9);
  const events: TrainerEvent[] = [];
  const straight = await runTraining({ experimentPath: file, backend: 'wasm', runsDir: path.join(dir, 'a') }, (e) => events.push(e));
  assert.equal(straight.error, undefined, straight.error?.message);
  assert.ok(events.some((e) => e.type === 'run/log' && /weight averaging: every score .* decay 0\.9/.test(e.message)));

  // The best checkpoint holds the average as its weights and the trained weights as live/<path>;
  // they differ (the average lags the trained weights).
  const best = await loadCheckpoint(path.join(straight.runDir!, 'checkpoints', 'best'));
  try {
    const live = new Map(best.optimizer.filter((w) => w.name.startsWith(LIVE_PREFIX)).map((w) => [w.name.slice(LIVE_PREFIX.length), w.tensor]));
    assert.equal(live.size, best.weights.length);
    const differing = best.weights.filter((w) => tf.tidy(() => tf.max(tf.abs(tf.sub(w.tensor, live.get(w.name)!))).dataSync()[0]) > 1e-4);
    assert.ok(differing.length > best.weights.length / 2, `${differing.length} of ${best.weights.length} weights differ from the trained ones`);
  } finally {
    tf.dispose([...best.weights, ...best.optimizer].map((w) => w.tensor));
  }

  // `fmtl eval` of the best checkpoint = the run's own test score and best-epoch valid score.
  for (const split of ['test', 'valid'] as const) {
    let out = '';
    let err = '';
    const io: CliIo = { out: { write: (s: string) => { out += s; }, isTTY: false }, err: { write: (s: string) => { err += s; }, isTTY: false, columns: 100 }, cwd: root };
    assert.equal(await cmdEval([straight.runDir!, '--split', split, '--backend', 'wasm', '--json'], io), 0, err);
    const r = JSON.parse(out);
    assert.deepEqual(r.metrics, split === 'test' ? straight.summary!.best.test : straight.summary!.best.valid, split);
    if (split === 'valid') {
      // Losses too (the metrics of a model this small can coincide for nearby weights; losses do not).
      const ep = events.find((e) => e.type === 'run/epoch' && e.epoch === straight.summary!.bestEpoch);
      assert.ok(ep && ep.type === 'run/epoch');
      for (const [task, loss] of Object.entries(ep.validLoss)) assert.ok(Math.abs(r.losses[task] - loss) < 1e-6, `${task} valid loss: eval ${r.losses[task]}, epoch ${loss}`);
    }
  }

  // Stopped at step 7 (mid-epoch 2) and resumed: the same valid metrics every epoch, and the final
  // average, trained weights and Adam state bit-equal to the straight run's.
  const ac = new AbortController();
  const cut = await runTraining({ experimentPath: file, backend: 'wasm', runsDir: path.join(dir, 'b') },
    (e) => { if (e.type === 'run/step' && e.step === 7) ac.abort(); }, ac.signal);
  assert.equal(cut.summary?.status, 'stopped');
  const resumed = await runTraining({ experimentPath: file, backend: 'wasm', resume: cut.runDir }, () => {});
  assert.equal(resumed.error, undefined, resumed.error?.message);
  assert.deepEqual(resumed.summary?.best, straight.summary?.best);
  const [x, y] = [await loadCheckpoint(straight.runDir!), await loadCheckpoint(cut.runDir!)];
  try {
    assert.deepEqual(y.optimizer.map((w) => w.name), x.optimizer.map((w) => w.name));
    for (const [p, q] of [[x.weights, y.weights], [x.optimizer, y.optimizer]] as const) {
      p.forEach((w, i) => assert.ok(Buffer.from(w.tensor.dataSync().buffer).equals(Buffer.from(q[i].tensor.dataSync().buffer)), `${w.name} differs`));
    }
  } finally {
    for (const c of [x, y]) tf.dispose([...c.weights, ...c.optimizer].map((w) => w.tensor));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

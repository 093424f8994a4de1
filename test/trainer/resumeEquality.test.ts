// Resume equality on a SNIPS-shaped model (test/trainer/smallSnips.ts: BiGRU encoder with a character
// CNN and word dropout, a BiGRU block, a CRF slot output, Gumbel feedback both ways, K = 2, LR warm-up
// and linear decay, clipping, dropout) on 160 SNIPS training sentences, on the wasm backend the
// extension trains with: a run stopped mid-epoch and resumed from its folder gives BIT-EQUAL losses at
// every step and bit-equal final weights and Adam state to a run never interrupted. Bit-equal, not a
// tolerance: dropout masks, word dropout and Gumbel noise are drawn from (seed, global step), the batch
// order from (seed, epoch), the learning rate and temperature from the global step, and the weights
// and Adam moments (with its step count) round-trip through the checkpoint exactly, so the resumed
// session runs the same float32 operations on the same values.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StepEvent, TrainerEvent } from '../../src/shared/trainerProtocol';
import { runTraining } from '../../src/trainer/runTraining';
import { loadCheckpoint } from '../../src/trainer/checkpointStore';
import { readEvents } from '../../src/runFolder/runFolderReader';
import { snipsShaped } from './smallSnips';

const steps = (ev: TrainerEvent[]) => ev.filter((e): e is StepEvent => e.type === 'run/step');

test('SNIPS-shaped run: stopped at step 7 (mid-epoch) and resumed = never interrupted, bit for bit', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-resume-eq-'));
  const file = snipsShaped(dir, 3);
  const straightEvents: TrainerEvent[] = [];
  const straight = await runTraining({ experimentPath: file, backend: 'wasm', runsDir: path.join(dir, 'a') }, (e) => straightEvents.push(e));
  assert.equal(straight.error, undefined, straight.error?.message);

  const ac = new AbortController();
  const cut = await runTraining({ experimentPath: file, backend: 'wasm', runsDir: path.join(dir, 'b') },
    (e) => { if (e.type === 'run/step' && e.step === 7) ac.abort(); }, ac.signal);
  assert.equal(cut.summary?.status, 'stopped');
  const resumedEvents: TrainerEvent[] = [];
  const resumed = await runTraining({ experimentPath: file, backend: 'wasm', resume: cut.runDir }, (e) => resumedEvents.push(e));
  assert.equal(resumed.error, undefined, resumed.error?.message);
  assert.equal(resumed.runDir, cut.runDir);

  // Step by step: loss per task, convergence, total, learning rate, temperature — exactly equal.
  const want = steps(straightEvents);
  const got = steps(readEvents(cut.runDir!));
  assert.equal(want.length, 15);
  assert.deepEqual(got.map((s) => s.step), want.map((s) => s.step));
  for (let i = 0; i < want.length; i++) {
    const a = want[i], b = got[i];
    assert.deepEqual([b.losses, b.convergence, b.total, b.lr, b.tau], [a.losses, a.convergence, a.total, a.lr, a.tau], `step ${a.step}`);
  }
  // Final weights and optimizer state (Adam m, v and its step count): every value bit-equal.
  const [x, y] = [await loadCheckpoint(straight.runDir!), await loadCheckpoint(cut.runDir!)];
  try {
    assert.deepEqual(y.weights.map((w) => w.name), x.weights.map((w) => w.name));
    assert.deepEqual(y.optimizer.map((w) => w.name), x.optimizer.map((w) => w.name));
    assert.ok(x.optimizer.some((w) => w.name === 'iter') && x.optimizer.some((w) => w.name.endsWith('/m')) && x.optimizer.some((w) => w.name.endsWith('/v')));
    for (const [p, q] of [[x.weights, y.weights], [x.optimizer, y.optimizer]] as const) {
      p.forEach((w, i) => assert.ok(Buffer.from(w.tensor.dataSync().buffer).equals(Buffer.from(q[i].tensor.dataSync().buffer)), `${w.name} differs`));
    }
  } finally {
    for (const c of [x, y]) for (const w of [...c.weights, ...c.optimizer]) w.tensor.dispose();
  }
  // Epochs: valid metrics and best epoch as the straight run's; the partial epoch's train loss says
  // it covers steps 8-10 only (the straight run's covers 6-10), the others are equal.
  const ep = (ev: TrainerEvent[]) => ev.filter((e) => e.type === 'run/epoch');
  const [we, ge] = [ep(straightEvents), ep(readEvents(cut.runDir!))];
  assert.equal(ge.length, 3);
  for (let i = 0; i < 3; i++) {
    const a = we[i], b = ge[i];
    assert.ok(a.type === 'run/epoch' && b.type === 'run/epoch');
    assert.deepEqual(b.valid, a.valid, `epoch ${a.epoch} valid`);
    if (i === 1) {
      assert.equal(b.resumedAtStep, 7);
      assert.equal(b.stepsCounted, 3);
      // Intent's loss is a mean over sentences and the three batches hold 32 each: the plain mean.
      const mean = got.slice(7, 10).reduce((s, e) => s + e.losses.intent, 0) / 3;
      assert.ok(Math.abs(b.trainLoss.intent - mean) < 1e-6, `intent: ${b.trainLoss.intent} vs the mean of steps 8-10 ${mean}`);
      assert.notEqual(b.trainLoss.intent, a.trainLoss.intent);
    } else assert.deepEqual(b.trainLoss, a.trainLoss, `epoch ${a.epoch} train loss`);
  }
  assert.equal(resumed.summary?.bestEpoch, straight.summary?.bestEpoch);
  assert.deepEqual(resumed.summary?.best, straight.summary?.best);
  fs.rmSync(dir, { recursive: true, force: true });
});

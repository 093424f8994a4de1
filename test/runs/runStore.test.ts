import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunStore, isResumable } from '../../src/runs/runStore';
import type { RunStartEvent, RunSummary, TrainerEvent } from '../../src/shared/trainerProtocol';
import type { Experiment } from '../../src/shared/experimentTypes';

const exp = { name: 'tiny', training: { epochs: 2 } } as unknown as Experiment;

function start(runId: string, runDir: string, experimentPath = '/w/tiny.fmtl.json'): RunStartEvent {
  return {
    type: 'run/start', runId, t: 0, experimentPath, runDir, config: exp, seed: 7,
    backend: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, skipped: [] },
    sizes: { train: 10, valid: 2, test: 2, parameters: 100, stepsPerEpoch: 5, labels: {} },
  };
}
const step = (runId: string, s: number): TrainerEvent => ({
  type: 'run/step', runId, t: s, step: s, epoch: Math.floor(s / 5), losses: { a: 1 / (s + 1) }, convergence: { a: 0 }, total: 1, lr: 0.01, tau: 1, ms: 1,
});
const summary: RunSummary = {
  status: 'completed', epochs: 2, steps: 10, bestEpoch: 1, best: { valid: { a: { accuracy: 0.9 } } },
  last: { valid: { a: { accuracy: 0.88 } } }, gates: { g: { block: 2, prob: 0.9 } }, durationMs: 5, backend: 'wasm',
};

test('live events: bounded snapshot, coalesced append batches, status from run/done', async () => {
  const store = new RunStore({ maxPoints: 100, flushMs: 5 });
  const batches: TrainerEvent[][] = [];
  store.onDidAppend((id, evs) => { assert.equal(id, 'r1'); batches.push(evs); });
  const changes: string[] = [];
  store.onDidChange((r) => changes.push(r?.status ?? 'removed'));
  store.append(start('r1', '/w/.fmtl/runs/r1'));
  for (let s = 0; s < 10_000; s++) store.append(step('r1', s));
  store.append({ type: 'run/done', runId: 'r1', t: 10_001, summary });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(batches.length, 1, 'one coalesced batch');
  assert.equal(batches[0].length, 10_002);
  const snap = store.snapshot('r1');
  assert.equal(snap[0].type, 'run/start');
  assert.equal(snap.at(-1)!.type, 'run/done');
  const steps = snap.filter((e) => e.type === 'run/step');
  assert.ok(steps.length <= 101, `kept ${steps.length} steps`);
  assert.equal((steps.at(-1) as { step: number }).step, 9_999, 'newest step is exact');
  const info = store.getRun('r1')!;
  assert.equal(info.status, 'completed');
  assert.equal(info.backend, 'wasm');
  assert.equal(store.getRun('/w/.fmtl/runs/r1')?.id, 'r1', 'lookup by folder');
  assert.equal(info.plannedSteps, 10);
  assert.deepEqual(changes.slice(-1), ['completed']);
  assert.equal(store.listRuns('/w/tiny.fmtl.json').length, 1);
  assert.equal(store.listRuns('/w/other.fmtl.json').length, 0);
  store.dispose();
});

test('a live run whose process ends without run/done is marked failed with the reason', () => {
  const store = new RunStore({ flushMs: 0 });
  store.append(start('r2', '/w/.fmtl/runs/r2'));
  store.append(step('r2', 0));
  store.endLive('r2', 'exit code 3: out of memory');
  const r = store.getRun('r2')!;
  assert.equal(r.status, 'failed');
  assert.equal(r.live, false);
  assert.match(r.error!, /out of memory/);
});

test('scanRunsDir reads summaries cheaply, loads events lazily, and drops deleted folders', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-store-'));
  const runs = path.join(root, '.fmtl', 'runs');
  const expPath = path.join(root, 'tiny.fmtl.json');
  const a = path.join(runs, '2026-01-02T03-04-05-tiny');
  const b = path.join(runs, '2026-01-03T03-04-05-tiny');
  for (const d of [a, b]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(a, 'summary.json'), JSON.stringify(summary));
  fs.writeFileSync(path.join(a, 'config.json'), JSON.stringify(exp));
  fs.mkdirSync(path.join(a, 'checkpoints', 'last'), { recursive: true });
  // meta.json as src/trainer/runFolder.ts writes it.
  fs.writeFileSync(path.join(a, 'meta.json'), JSON.stringify({ runId: 'ra', experimentPath: expPath, seed: 7, startedAt: '2026-01-02T03:04:05.000Z', backend: { name: 'wasm' }, request: { tag: 'ablation-fixed' } }));
  const lines = [start('ra', a, expPath), step('ra', 0), step('ra', 1), { type: 'run/done', runId: 'ra', t: 3, summary }];
  fs.writeFileSync(path.join(a, 'events.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"type":"run/st');
  // b: interrupted run, no summary, events end with a step.
  fs.writeFileSync(path.join(b, 'events.jsonl'), [start('rb', b, expPath), step('rb', 0)].map((l) => JSON.stringify(l)).join('\n') + '\n');
  fs.writeFileSync(path.join(root, 'not-a-run.txt'), 'x');
  fs.mkdirSync(path.join(runs, 'empty'));

  const store = new RunStore({ flushMs: 0 });
  const found = await store.scanRunsDir(runs, expPath);
  assert.equal(found.length, 2, 'the empty folder is not a run');
  const ra = store.getRun('ra')!;
  assert.equal(ra.status, 'completed');
  assert.equal(ra.hasLastCheckpoint, true);
  assert.equal(ra.experimentPath, expPath);
  assert.equal(ra.tag, 'ablation-fixed');
  assert.equal(ra.seed, 7);
  assert.equal(ra.startedAt, Date.UTC(2026, 0, 2, 3, 4, 5));
  const rb = store.getRun('rb')!;
  assert.equal(rb.status, 'unknown');
  assert.equal(rb.hasLastCheckpoint, false);
  assert.equal(isResumable(ra), false, 'completed runs are not resumed');
  assert.equal(isResumable(rb), false, 'no last checkpoint, nothing to resume from');
  assert.equal(isResumable({ ...rb, hasLastCheckpoint: true }), true);
  assert.equal(isResumable({ ...rb, hasLastCheckpoint: true, live: true }), false);
  assert.deepEqual(store.listRuns(expPath).map((r) => r.id), ['rb', 'ra'], 'newest first');
  // Lazy: the full log is read on the first snapshot; the torn last line is skipped.
  const snap = store.snapshot('ra');
  assert.deepEqual(snap.map((e) => e.type), ['run/start', 'run/step', 'run/step', 'run/done']);
  await store.load('rb');
  assert.equal(store.snapshot('rb').length, 2);

  fs.rmSync(b, { recursive: true });
  await store.scanRunsDir(runs, expPath);
  assert.equal(store.getRun('rb'), undefined);
  assert.ok(store.getRun('ra'));
  fs.rmSync(root, { recursive: true });
});

test('gates: run/done keeps the whole distribution; an argmax-only summary does not erase the one the gate events gave', () => {
  const store = new RunStore({ maxPoints: 100, flushMs: 5 });
  store.append(start('r1', '/w/.fmtl/runs/r1'));
  store.append({ type: 'run/gates', runId: 'r1', t: 1, step: 1, epoch: 1, tau: 1, gates: { g: { blocks: [1, 2], probs: [0.3, 0.7] } } });
  store.append({ type: 'run/done', runId: 'r1', t: 2, summary });
  assert.deepEqual(store.getRun('r1')!.lastGates!.g, { blocks: [1, 2], probs: [0.3, 0.7] });
  store.append(start('r2', '/w/.fmtl/runs/r2'));
  store.append({ type: 'run/done', runId: 'r2', t: 2, summary: { ...summary, gates: { g: { block: 2, prob: 0.74, blocks: [1, 2], probs: [0.26, 0.74] } } } });
  assert.deepEqual(store.getRun('r2')!.lastGates!.g, { blocks: [1, 2], probs: [0.26, 0.74] });
  store.dispose();
});

test('a run resumed in its folder stays one run: history from disk up to the resume, then live; not resumable once completed', async () => {
  const { runTraining } = await import('../../src/trainer/runTraining');
  const quick = path.join(__dirname, '..', '..', '..', 'samples', 'penguins-quick.fmtl.json');
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-store-resume-'));
  const store = new RunStore({ flushMs: 0 });
  const ac = new AbortController();
  const first = await runTraining({ experimentPath: quick, backend: 'cpu', epochs: 2, runsDir }, (e) => {
    store.append(e);
    if (e.type === 'run/step' && e.step === 11) ac.abort();
  }, ac.signal);
  store.endLive(first.runId);
  const stopped = store.getRun(first.runId)!;
  assert.equal(stopped.status, 'stopped');
  assert.ok(isResumable(stopped));
  // A fresh window: the run is known from disk only, then resumed live.
  const store2 = new RunStore({ flushMs: 0 });
  await store2.scanRunsDir(runsDir, quick);
  assert.equal(store2.listRuns().length, 1);
  const appended: TrainerEvent[] = [];
  store2.onDidAppend((_, evs) => appended.push(...evs));
  let statusWhileRunning: string | undefined;
  const second = await runTraining({ experimentPath: quick, backend: 'cpu', resume: first.runDir }, (e) => {
    store2.append(e);
    if (e.type === 'run/step' && e.step === 12) statusWhileRunning = store2.getRun(first.runId)?.status;
  });
  store2.endLive(second.runId);
  assert.equal(second.runId, first.runId);
  assert.equal(statusWhileRunning, 'running');
  assert.equal(store2.listRuns().length, 1, 'one run in the Runs view');
  const run = store2.getRun(first.runId)!;
  assert.equal(run.status, 'completed');
  assert.equal(run.resumedAtStep, 11);
  assert.ok(!isResumable(run));
  const steps = store2.snapshot(first.runId).filter((e) => e.type === 'run/step').map((e) => e.type === 'run/step' && e.step);
  assert.deepEqual(steps, Array.from({ length: 16 }, (_, i) => i + 1), 'every step once, the history before the resume included');
  const snap = store2.snapshot(first.runId);
  assert.equal(snap.filter((e) => e.type === 'run/start').length, 2, 'the run start and the resume marker');
  assert.equal(snap[0].type === 'run/start' && snap[0].resumed, undefined, 'the run\'s own start comes first');
  assert.deepEqual(snap.filter((e) => e.type === 'run/done').map((e) => e.type === 'run/done' && e.summary.status), ['completed']);
  assert.ok(appended[0].type === 'run/start' && appended[0].resumed, 'viewers learn of the resume (the charts re-hydrate on it)');
  fs.rmSync(runsDir, { recursive: true, force: true });
});

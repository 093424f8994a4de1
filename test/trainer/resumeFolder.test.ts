// Resume continues in the run's own folder, from the newest complete checkpoint (last, else best),
// after cleaning what an interruption left: penguins-quick on the cpu backend, a few seconds each.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';
import { runTraining } from '../../src/trainer/runTraining';
import { readEvents } from '../../src/runFolder/runFolderReader';
import { lockHolder } from '../../src/runFolder/runFolderWriter';

const root = path.join(__dirname, '..', '..', '..');
const quick = path.join(root, 'samples', 'penguins-quick.fmtl.json');

/** A run of 3 epochs (8 steps each) stopped after step `stopAt`. */
async function stoppedRun(stopAt: number): Promise<string> {
  const ac = new AbortController();
  const out = await runTraining({ experimentPath: quick, backend: 'cpu', epochs: 3, runsDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-resume-')) },
    (e) => { if (e.type === 'run/step' && e.step >= stopAt) ac.abort(); }, ac.signal);
  assert.equal(out.summary?.status, 'stopped');
  return out.runDir!;
}

async function resume(dir: string): Promise<{ events: TrainerEvent[]; outcome: Awaited<ReturnType<typeof runTraining>> }> {
  const events: TrainerEvent[] = [];
  const outcome = await runTraining({ experimentPath: quick, backend: 'cpu', resume: dir }, (e) => events.push(e));
  return { events, outcome };
}

const logs = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'run/log' ? [e.message] : []));

test('a kill during the first last save (best/ and .tmp-last-* only, a torn last line): resume falls back to best and cleans up', async () => {
  const dir = await stoppedRun(10);
  const ck = path.join(dir, 'checkpoints');
  // What a SIGKILL in the middle of the first `last` save leaves: best of epoch 1, a half-written temporary.
  fs.rmSync(path.join(ck, 'last'), { recursive: true });
  fs.cpSync(path.join(ck, 'best'), path.join(ck, '.tmp-last-4242-1'), { recursive: true });
  fs.truncateSync(path.join(ck, '.tmp-last-4242-1', 'weights.bin'), 100);
  fs.rmSync(path.join(dir, 'summary.json'));
  fs.writeFileSync(path.join(dir, 'summary.json.4242.tmp'), '{"sta');
  const ev = path.join(dir, 'events.jsonl');
  const text = fs.readFileSync(ev, 'utf8').split('\n').filter(Boolean);
  fs.writeFileSync(ev, text.slice(0, -3).join('\n') + '\n' + text.at(-3)!.slice(0, 20)); // torn last line

  const { events, outcome } = await resume(dir);
  assert.equal(outcome.error, undefined, outcome.error?.message);
  assert.equal(outcome.runDir, dir);
  assert.equal(outcome.summary?.status, 'completed');
  const start = events[0];
  assert.ok(start.type === 'run/start' && start.resumed?.checkpoint === 'best' && start.resumed.step === 8 && start.resumed.epoch === 1, JSON.stringify(start.type === 'run/start' && start.resumed));
  assert.equal(start.type === 'run/start' && start.resumed?.redoneSteps, 2, 'steps 9 and 10 were logged after the best checkpoint');
  assert.ok(logs(events).some((m) => /resumed from the best checkpoint \(epoch 1, step 8\)/.test(m)), logs(events).join('\n'));
  assert.ok(logs(events).some((m) => /removed \.tmp-last-4242-1/.test(m) && /removed summary\.json\.4242\.tmp/.test(m) && /torn last line/.test(m)), logs(events).join('\n'));
  assert.deepEqual(fs.readdirSync(ck).sort(), ['best', 'last']);
  assert.ok(!fs.readdirSync(dir).some((n) => n.includes('.tmp')), fs.readdirSync(dir).join(' '));
  assert.ok(!fs.existsSync(path.join(dir, 'trainer.lock')), 'the lock goes with the process');
  // One history: every step once, epoch 2 retrained from its start (no partial-epoch label then).
  const history = readEvents(dir);
  assert.deepEqual(history.filter((e) => e.type === 'run/step').map((e) => e.type === 'run/step' && e.step), Array.from({ length: 24 }, (_, i) => i + 1));
  const ep = history.filter((e) => e.type === 'run/epoch');
  assert.deepEqual(ep.map((e) => e.type === 'run/epoch' && [e.epoch, e.resumedAtStep ?? null]), [[1, null], [2, null], [3, null]]);
  // Every line of the file parses (the torn line was cut, not glued to the next event).
  for (const line of fs.readFileSync(ev, 'utf8').split('\n').filter(Boolean)) JSON.parse(line);
});

test('an incomplete last checkpoint (weights.bin cut short) is skipped with a warning; best is used', async () => {
  const dir = await stoppedRun(12);
  fs.truncateSync(path.join(dir, 'checkpoints', 'last', 'weights.bin'), 64);
  const { events, outcome } = await resume(dir);
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const start = events[0];
  assert.ok(start.type === 'run/start' && start.resumed?.checkpoint === 'best');
  assert.ok(events.some((e) => e.type === 'run/log' && e.level === 'warn' && /checkpoint not used: checkpoints\/last: incomplete: weights\.bin holds 64 bytes/.test(e.message)), logs(events).join('\n'));
});

test('killed before its first checkpoint: resume says so and trains again from the start, in the same folder', async () => {
  const dir = await stoppedRun(3);
  fs.rmSync(path.join(dir, 'checkpoints'), { recursive: true }); // as a SIGKILL at step 3 leaves it
  const { events, outcome } = await resume(dir);
  assert.equal(outcome.error, undefined, outcome.error?.message);
  assert.equal(outcome.runDir, dir);
  const start = events[0];
  assert.deepEqual(start.type === 'run/start' && start.resumed, { step: 0, epoch: 0, checkpoint: 'none', redoneSteps: 3 });
  assert.ok(events.some((e) => e.type === 'run/log' && e.level === 'warn' && /no complete checkpoint in .*checkpoints \(looked for last\/ and best\/\): training again from the start, in the same folder/.test(e.message)), logs(events).join('\n'));
  const history = readEvents(dir);
  assert.deepEqual(history.filter((e) => e.type === 'run/step').map((e) => e.type === 'run/step' && e.step), Array.from({ length: 24 }, (_, i) => i + 1));
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).status, 'completed');
});

test('the run lock: a gone holder is taken over; a live one is reported', async () => {
  const dir = await stoppedRun(10);
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  fs.writeFileSync(path.join(dir, 'trainer.lock'), JSON.stringify({ pid: gone, host: os.hostname() }));
  assert.equal(lockHolder(dir)?.alive, false);
  const { events, outcome } = await resume(dir);
  assert.equal(outcome.error, undefined, outcome.error?.message);
  assert.ok(logs(events).some((m) => new RegExp(`took over trainer\\.lock of process ${gone}`).test(m)), logs(events).join('\n'));
  fs.writeFileSync(path.join(dir, 'trainer.lock'), JSON.stringify({ pid: process.pid === 1 ? 2 : 1, host: os.hostname() }));
  assert.equal(lockHolder(dir)?.alive, true, 'pid 1 is alive');
  fs.writeFileSync(path.join(dir, 'trainer.lock'), JSON.stringify({ pid: 5, host: 'elsewhere' }));
  assert.equal(lockHolder(dir)?.alive, true, 'another machine: alive while the lock is fresh');
  const old = new Date(Date.now() - 120_000);
  fs.utimesSync(path.join(dir, 'trainer.lock'), old, old);
  assert.equal(lockHolder(dir)?.alive, false, 'another machine: gone once the lock is stale');
});

// The fault test: SIGKILL the real CLI trainer (`node dist/cli.js train`, penguins-quick, 2 epochs on
// cpu) at chosen moments of a run, then `fmtl train --resume` its folder. Every time:
//  - events.jsonl parses line by line (only a torn LAST line may fail, and the reader drops it);
//  - the resume starts from the newest complete checkpoint on disk (checked here from model.json and
//    the size of weights.bin, and by the resume's own marker), or from the start when none is;
//  - the resumed run reaches the same final weights AND Adam state as a run never interrupted
//    (checkpoints/last/weights.bin byte for byte) and its history holds every step exactly once.
// Moments: seeded random delays between the first step and the end of a run (steps, evaluations,
// checkpoint writes, wherever they fall) plus targeted ones, held open by FMTL_FAULT_PAUSE
// (src/runFolder/faultPause.ts): inside the first `last` save (best/ and a complete .tmp-last-*
// only), between the two renames of a save, half-way through an events.jsonl line, at the start of
// an evaluation, inside the very first checkpoint write, and inside the final `last` save.
//
// `npm test` runs 3 kills (~15-40 s with load); `npm run test:faults` runs 20 and prints 'N/20 recovered'.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { foldResumes } from '../../src/shared/resumeFold';
import { Rng } from '../../src/shared/rng';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

const root = path.join(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const quick = path.join(root, 'samples', 'penguins-quick.fmtl.json');
const KILLS = Number(process.env.FMTL_FAULT_KILLS) || 3;
const EPOCHS = 2;

/** A random moment: after the run's `afterStep`-th step event, `extraMs` later (a step, an evaluation or a save). */
interface Moment { kind: 'random'; afterStep: number; extraMs: number }
interface Pause { kind: 'pause'; point: string; why: string }
type Trial = Moment | Pause;

const TARGETED: Pause[] = [
  { kind: 'pause', point: 'checkpoint-written@2', why: 'inside the first last save (best/ and .tmp-last-* only)' },
  // Saves of this seeded run: best 1, last 1, best 2 (epoch 2 improves), last 2.
  { kind: 'pause', point: 'checkpoint-written@4', why: 'inside the final last save (the newest complete checkpoint is the final best)' },
  { kind: 'pause', point: 'event-line@30', why: 'half-way through an events.jsonl line' },
  { kind: 'pause', point: 'checkpoint-swapped@3', why: 'between the two renames of a checkpoint save' },
  { kind: 'pause', point: 'evaluation@2', why: 'at the start of the second validation pass' },
  { kind: 'pause', point: 'checkpoint-written@1', why: 'inside the very first checkpoint write (nothing complete yet)' },
];

function train(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [cli, 'train', quick, '--backend', 'cpu', '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs to the end; the folder it wrote and how long it took. */
function runToEnd(args: string[]): { runDir: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, 'train', quick, '--backend', 'cpu', '--json', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ms = Date.now() - t0;
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TrainerEvent);
  const start = lines.find((e) => e.type === 'run/start');
  assert.ok(start?.type === 'run/start', r.stdout.slice(0, 500));
  return { runDir: start.runDir, ms };
}

/** Complete checkpoints on disk (kind, step), newest first: what a resume must pick. */
function completeCheckpoints(runDir: string): { kind: string; step: number }[] {
  const out: { kind: string; step: number }[] = [];
  for (const kind of ['last', 'best']) {
    for (const dir of [kind, `${kind}.old`]) {
      const d = path.join(runDir, 'checkpoints', dir);
      try {
        const m = JSON.parse(fs.readFileSync(path.join(d, 'model.json'), 'utf8'));
        const want = m.weightsManifest[0].weights.reduce((s: number, w: { shape: number[] }) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
        if (fs.statSync(path.join(d, 'weights.bin')).size !== want) continue;
        out.push({ kind, step: Number(m.userDefinedMetadata.step) });
        break;
      } catch { /* missing or torn: not complete */ }
    }
  }
  return out.sort((a, b) => b.step - a.step || (a.kind === 'last' ? -1 : 1));
}

/** Every line parses, except perhaps a torn last one; returns how many lines and whether the last was torn. */
function checkLines(file: string): { lines: number; tornLast: boolean } {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let tornLast = false;
  lines.forEach((l, i) => {
    try { JSON.parse(l); } catch {
      assert.equal(i, lines.length - 1, `line ${i + 1} of ${lines.length} does not parse: ${l.slice(0, 80)}`);
      tornLast = true;
    }
  });
  return { lines: lines.length, tornLast };
}

test(`SIGKILL at ${KILLS} moments of a CLI run: events parse, the newest complete checkpoint is resumed, final weights equal an uninterrupted run`, { timeout: 60_000 + KILLS * 20_000 }, async () => {
  assert.ok(fs.existsSync(cli), 'run `node esbuild.mjs` first');
  const t0 = Date.now();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-faults-'));
  const ref = runToEnd(['--epochs', String(EPOCHS), '--runs-dir', path.join(base, 'ref')]);
  const refWeights = fs.readFileSync(path.join(ref.runDir, 'checkpoints', 'last', 'weights.bin'));
  const totalSteps = EPOCHS * 8;

  // The targeted moments first (as many as fit), then seeded random ones spread over the whole run:
  // after a random step event (1..16), a random 0-250 ms later — inside a step, the epoch's
  // evaluation, a checkpoint save, the final predictions and report, wherever that falls.
  const rng = new Rng(20261204);
  const targeted = TARGETED.slice(0, KILLS >= 20 ? TARGETED.length : Math.min(2, KILLS));
  const trials: Trial[] = [...targeted, ...Array.from({ length: KILLS - targeted.length }, (): Moment => ({
    kind: 'random', afterStep: 1 + Math.floor(rng.next() * totalSteps), extraMs: Math.floor(rng.next() * 250),
  }))];

  const rows: string[] = [];
  let recovered = 0;
  for (const [i, trial] of trials.entries()) {
    // A random moment the run outlived (its last step plus the delay came after its end) is tried
    // again with a shorter delay.
    let runsDir = '', what = '', killed = false;
    for (let attempt = 0; attempt < 4 && !killed; attempt++) {
      runsDir = path.join(base, `t${i}-${attempt}`);
      const child = train(['--epochs', String(EPOCHS), '--runs-dir', runsDir], trial.kind === 'pause' ? { FMTL_FAULT_PAUSE: trial.point, FMTL_FAULT_PAUSE_MS: '20000' } : {});
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      let err = '', out = '';
      const paused = new Promise<void>((r) => child.stderr!.on('data', (d) => { err += d; if (err.includes('fmtl-fault-pause')) r(); }));
      const extraMs = trial.kind === 'random' ? Math.floor(trial.extraMs * 0.5 ** attempt) : 0;
      const stepSeen = new Promise<void>((r) => child.stdout!.on('data', (d) => {
        out += d;
        if (trial.kind === 'random' && out.includes(`"type":"run/step"`) && out.split('\n').some((l) => l.includes('"type":"run/step"') && l.includes(`"step":${trial.afterStep},`))) r();
      }));
      what = trial.kind === 'pause' ? `${trial.why} (${trial.point})` : `${extraMs} ms after step ${trial.afterStep}`;
      if (trial.kind === 'pause') await Promise.race([paused, exited]);
      else await Promise.race([stepSeen.then(() => new Promise((r) => setTimeout(r, extraMs))), exited]);
      killed = child.exitCode === null;
      child.kill('SIGKILL');
      await exited;
      assert.ok(killed || trial.kind === 'random', `trial ${i + 1}: the pause ${trial.kind === 'pause' ? trial.point : ''} was never reached\n${err}`);
    }
    assert.ok(killed, `trial ${i + 1}: the run always ended before its kill moment`);
    const dirs = fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [];
    if (!dirs.length) { rows.push(`${i + 1}. ${what}: killed before the run folder existed (nothing to recover)`); recovered++; continue; }
    const runDir = path.join(runsDir, dirs[0]);

    // At the kill: the log parses line by line; which checkpoint a resume must take.
    const before = checkLines(path.join(runDir, 'events.jsonl'));
    const lastLogged = foldResumes(fs.readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n').flatMap((l) => { try { return [JSON.parse(l) as TrainerEvent]; } catch { return []; } }))
      .reduce((m, e) => (e.type === 'run/step' ? Math.max(m, e.step) : m), 0);
    const newest = completeCheckpoints(runDir)[0];
    const leftovers = fs.existsSync(path.join(runDir, 'checkpoints')) ? fs.readdirSync(path.join(runDir, 'checkpoints')).filter((n) => n.startsWith('.tmp-') || n.endsWith('.old')) : [];

    // Resume in the folder, to the end.
    const res = spawnSync(process.execPath, [cli, 'train', quick, '--backend', 'cpu', '--resume', runDir], { encoding: 'utf8' });
    assert.equal(res.status, 0, `trial ${i + 1} (${what}): resume failed\n${res.stdout}\n${res.stderr}`);
    assert.equal(fs.readdirSync(runsDir).length, 1, 'resume continues in the same folder');
    const after = checkLines(path.join(runDir, 'events.jsonl'));
    assert.equal(after.tornLast, false, 'the resumed run ends on a whole line');
    const raw = fs.readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as TrainerEvent; } catch { return undefined; } });
    assert.equal(raw.filter((e) => e === undefined).length, 0, 'the torn line was cut, not left in the middle of the log');
    const marker = [...raw].reverse().find((e) => e?.type === 'run/start' && e.resumed);
    assert.ok(marker?.type === 'run/start' && marker.resumed);
    const took = marker.resumed;
    assert.deepEqual([took.checkpoint, took.step], newest ? [newest.kind, newest.step] : ['none', 0], `trial ${i + 1} (${what}): resumed from ${took.checkpoint} step ${took.step}, newest complete on disk ${JSON.stringify(newest)}`);
    const history = foldResumes(raw as TrainerEvent[]);
    assert.deepEqual(history.filter((e) => e.type === 'run/step').map((e) => e.type === 'run/step' && e.step), Array.from({ length: totalSteps }, (_, k) => k + 1), 'every step once');
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).status, 'completed');
    assert.deepEqual(fs.readdirSync(path.join(runDir, 'checkpoints')).sort(), ['best', 'last'], 'no temporaries left');
    const same = fs.readFileSync(path.join(runDir, 'checkpoints', 'last', 'weights.bin')).equals(refWeights);
    assert.ok(same, `trial ${i + 1} (${what}): final weights differ from the uninterrupted run`);
    recovered++;
    rows.push(`${i + 1}. ${what}: killed after step ${lastLogged} (${before.lines} lines${before.tornLast ? ', last one torn' : ''}${leftovers.length ? `, left ${leftovers.join(' ')}` : ''}); resumed from ${took.checkpoint === 'none' ? 'the start (no complete checkpoint)' : `${took.checkpoint} at step ${took.step}`}; same final weights`);
  }
  process.stderr.write(`# fault test: ${recovered}/${trials.length} recovered in ${((Date.now() - t0) / 1000).toFixed(1)} s (uninterrupted run ${(ref.ms / 1000).toFixed(1)} s)\n${rows.map((r) => `#   ${r}`).join('\n')}\n`);
  assert.equal(recovered, trials.length);
  fs.rmSync(base, { recursive: true, force: true });
});

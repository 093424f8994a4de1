// The local pool for real: `node dist/cli.js sweep` on a 2 cells x 2 seeds penguins sweep with two
// trainer processes; one trainer is SIGKILLed mid-run (after its first checkpoint) and its run
// must come back (resumed) and finish; the table has every cell; a second call trains nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SweepTable } from '../../src/shared/sweepTable';
import { children, openFiles } from './processProbe';

const root = path.join(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

function sweepDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-pool-'));
  const exp = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'penguins.fmtl.json'), 'utf8'));
  exp.training.epochs = 8;
  exp.training.earlyStopping = undefined;
  delete exp.$schema;
  fs.writeFileSync(path.join(dir, 'p.fmtl.json'), JSON.stringify(exp));
  fs.copyFileSync(path.join(root, 'samples', 'penguins.csv'), path.join(dir, 'penguins.csv'));
  fs.writeFileSync(path.join(dir, 'p.sweep.json'), '{ "experiment": "p.fmtl.json", "seeds": [1, 2], "variants": ["static", "asWritten"] } // 2 x 2');
  return dir;
}



/** Run folders of the sweep: [dir, has last checkpoint, summary status]. */
function runFolders(dir: string): { dir: string; checkpoint: boolean; status?: string }[] {
  const runs = path.join(dir, '.fmtl', 'sweeps', 'p', 'runs');
  if (!fs.existsSync(runs)) return [];
  return fs.readdirSync(runs).flatMap((cell) => fs.readdirSync(path.join(runs, cell)).map((n) => {
    const d = path.join(runs, cell, n);
    let status: string | undefined;
    try { status = JSON.parse(fs.readFileSync(path.join(d, 'summary.json'), 'utf8')).status; } catch { /* running */ }
    return { dir: d, checkpoint: fs.existsSync(path.join(d, 'checkpoints', 'last', 'model.json')), status };
  }));
}

test('fmtl sweep --workers 2: a SIGKILLed trainer reruns its cell (resumed), the table has every cell, a re-run trains nothing', { timeout: 240_000 }, async () => {
  const dir = sweepDir();
  const child = spawn(process.execPath, [cli, 'sweep', 'p.sweep.json', '--workers', '2'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));

  // Kill one trainer once a run has a checkpoint but no summary (mid-run).
  let killed: number | undefined;
  const deadline = Date.now() + 120_000;
  while (killed === undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const mid = runFolders(dir).filter((f) => f.checkpoint && !f.status).map((f) => f.dir);
    // The trainer writing a mid-run folder holds its events.jsonl open.
    const owner = children(child.pid!).find((pid) => openFiles(pid).some((f) => mid.some((m) => f.startsWith(m + path.sep))));
    if (owner) {
      killed = owner;
      process.kill(killed, 'SIGKILL');
    }
  }
  assert.ok(killed, `never saw a run mid-way: ${err}`);
  const code = await exited;
  assert.equal(code, 0, err);
  assert.match(err, /the trainer process was killed \(SIGKILL\); retrying \(try 2 of 3\)/);

  const folders = runFolders(dir);
  const finished = folders.filter((f) => f.status === 'completed' || f.status === 'early-stopped');
  assert.equal(finished.length, 4, JSON.stringify(folders, null, 1));
  // The killed run's rerun resumed from its checkpoint in the same folder: 4 folders, one resumed once.
  assert.equal(folders.length, 4, JSON.stringify(folders, null, 1));
  const resumed = finished.filter((f) => JSON.parse(fs.readFileSync(path.join(f.dir, 'meta.json'), 'utf8')).resumes?.length === 1);
  assert.equal(resumed.length, 1, 'the killed run resumed from its last checkpoint');

  const table = JSON.parse(fs.readFileSync(path.join(dir, '.fmtl', 'sweeps', 'p', 'table.json'), 'utf8')) as SweepTable;
  assert.deepEqual(table.rows.map((r) => [r.cellId, r.finished, r.baselineId]), [['static', 2, undefined], ['asWritten', 2, 'static']]);
  assert.equal(table.split, 'test');
  for (const r of table.rows) {
    assert.equal(r.metrics['species.accuracy'].n, 2);
    assert.ok(Number.isFinite(r.metrics['species.accuracy'].std));
  }
  assert.equal(table.rows[1].vsBaseline!['species.accuracy'].pairs, 2);
  assert.match(out, /\| variant=static \(baseline\) \| 2\/2 \| [\d.]+ ± [\d.]+ \|/);
  assert.match(fs.readFileSync(path.join(dir, '.fmtl', 'sweeps', 'p', 'table.md'), 'utf8'), /## Against the baseline/);

  // Again: nothing is trained.
  const again = spawnSync(process.execPath, [cli, 'sweep', 'p.sweep.json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /4 runs were already done \(not trained again\)/);
  assert.equal(runFolders(dir).length, folders.length);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('fmtl sweep on a broken sweep file: located errors, exit 1, nothing started', () => {
  const dir = sweepDir();
  fs.writeFileSync(path.join(dir, 'p.sweep.json'), '{ "experiment": "p.fmtl.json",\n  "seeds": [1],\n  "axes": [{ "path": "training.learningRate", "values": [0.1, -3] }] }');
  const r = spawnSync(process.execPath, [cli, 'sweep', 'p.sweep.json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /p\.sweep\.json:3:63  axes\[0\]\.values\[1\]  training\.learningRate=-3 makes the experiment invalid/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(fs.existsSync(path.join(dir, '.fmtl')), false);
  fs.rmSync(dir, { recursive: true, force: true });
});

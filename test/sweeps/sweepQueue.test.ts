// The queue for real: a redis-server started here on a free loopback port, a coordinator
// (`fmtl sweep --queue`) and two workers (`fmtl worker --queue`) as separate processes. The
// coordinator is SIGKILLed early and started again (it picks the sweep up from the queue); one
// worker is SIGKILLed mid-run (its job goes back and finishes on the other worker, resumed from the
// shared folder's last checkpoint). Every run ends once; every folder is there.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SweepTable } from '../../src/shared/sweepTable';
import { children, openFiles } from './processProbe';

const root = path.join(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

async function waitFor<T>(what: string, f: () => T | undefined | false, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}



interface Folder { dir: string; key?: string; resumes: number; checkpoint: boolean; status?: string }
function runFolders(sweepDir: string): Folder[] {
  const runs = path.join(sweepDir, 'runs');
  if (!fs.existsSync(runs)) return [];
  return fs.readdirSync(runs).flatMap((cell) => fs.readdirSync(path.join(runs, cell)).map((n): Folder => {
    const d = path.join(runs, cell, n);
    const read = (f: string) => { try { return JSON.parse(fs.readFileSync(path.join(d, f), 'utf8')); } catch { return undefined; } };
    const meta = read('meta.json');
    return { dir: d, key: meta?.request?.sweep?.key, resumes: meta?.resumes?.length ?? 0, checkpoint: fs.existsSync(path.join(d, 'checkpoints', 'last', 'model.json')), status: read('summary.json')?.status };
  }));
}

test('BullMQ on a real redis-server: coordinator restarted, a worker SIGKILLed mid-run; every run ends once and every folder is there', { timeout: 300_000 }, async () => {
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  assert.equal(which.status, 0, 'redis-server is not installed (Debian package redis-server; .ci/run installs it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-queue-'));
  const exp = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'penguins.fmtl.json'), 'utf8'));
  exp.training.epochs = 10;
  delete exp.training.earlyStopping;
  fs.writeFileSync(path.join(dir, 'p.fmtl.json'), JSON.stringify(exp));
  fs.copyFileSync(path.join(root, 'samples', 'penguins.csv'), path.join(dir, 'penguins.csv'));
  fs.writeFileSync(path.join(dir, 'p.sweep.json'), '{ "experiment": "p.fmtl.json", "seeds": [1, 2], "variants": ["static", "asWritten"] }');
  const sweepDir = path.join(dir, '.fmtl', 'sweeps', 'p');

  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [];
  const logs = new Map<ChildProcess, string>();
  const start = (cmd: string, args: string[]): ChildProcess => {
    const p = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    logs.set(p, '');
    p.stdout!.on('data', (d) => logs.set(p, logs.get(p) + d));
    p.stderr!.on('data', (d) => logs.set(p, logs.get(p) + d));
    procs.push(p);
    return p;
  };
  const exited = (p: ChildProcess) => new Promise<number | null>((r) => { if (p.exitCode !== null) r(p.exitCode); else p.once('exit', (c) => r(c)); });
  try {
    const redis = start('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']);
    await waitFor('redis to listen', () => /Ready to accept connections/.test(logs.get(redis)!), 20_000);

    // The coordinator enqueues, then dies before anyone trains.
    const c1 = start(process.execPath, [cli, 'sweep', 'p.sweep.json', '--queue', url]);
    await waitFor('the first coordinator to enqueue', () => /runs on the queue/.test(logs.get(c1)!) && fs.existsSync(path.join(sweepDir, 'sweep.json')), 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    c1.kill('SIGKILL');
    await exited(c1);

    const workerArgs = [cli, 'worker', '--queue', url, '--stalled-ms', '3000'];
    const w1 = start(process.execPath, workerArgs);
    const w2 = start(process.execPath, workerArgs);
    const c2 = start(process.execPath, [cli, 'sweep', 'p.sweep.json', '--queue', url]);

    // Kill the worker whose trainer is mid-run (a checkpoint written, no summary yet).
    const victim = await waitFor('a worker mid-run', () => {
      const mid = runFolders(sweepDir).filter((f) => f.checkpoint && !f.status).map((f) => f.dir);
      if (!mid.length) return undefined;
      for (const w of [w1, w2]) {
        const trainer = children(w.pid!).find((pid) => openFiles(pid).some((f) => mid.some((m) => f.startsWith(m + path.sep))));
        if (trainer) return { worker: w, runDir: mid.find((m) => openFiles(trainer).some((f) => f.startsWith(m + path.sep)))! };
      }
      return undefined;
    });
    victim.worker.kill('SIGKILL');
    const t0 = Date.now();

    const code = await exited(c2);
    assert.equal(code, 0, logs.get(c2));
    const survivor = victim.worker === w1 ? w2 : w1;

    const folders = runFolders(sweepDir);
    const finished = folders.filter((f) => f.status === 'completed' || f.status === 'early-stopped');
    // Every run ended once.
    assert.deepEqual(finished.map((f) => f.key).sort(), ['asWritten/seed-1', 'asWritten/seed-2', 'static/seed-1', 'static/seed-2'], JSON.stringify(folders, null, 1));
    // The killed worker's run finished on the other worker, resumed in its own folder from the last
    // checkpoint its orphaned trainer (stopping on the disconnect) or the killed session left.
    const resumed = folders.find((f) => f.dir === victim.runDir)!;
    assert.ok(resumed && (resumed.status === 'completed' || resumed.status === 'early-stopped') && resumed.resumes === 1, JSON.stringify(folders, null, 1));
    // What the SIGKILL cost: the resumed session starts right after the newest checkpoint of the killed one.
    const lines = fs.readFileSync(path.join(victim.runDir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
    const marker = lines.findIndex((e) => e.type === 'run/start' && e.resumed);
    assert.ok(marker > 0, 'the resumed session is marked in events.jsonl');
    const lastCkpt = Math.max(...lines.slice(0, marker).filter((e) => e.type === 'run/checkpoint').map((e) => e.step));
    assert.equal(lines[marker].resumed.step, lastCkpt, `resumed at step ${lines[marker].resumed.step}, newest checkpoint of the killed run at step ${lastCkpt}`);
    const killedAt = t0;
    const resumedAt = Date.parse(JSON.parse(fs.readFileSync(path.join(resumed.dir, 'meta.json'), 'utf8')).resumes[0].at);
    process.stderr.write(`# killed worker's run: newest checkpoint at step ${lastCkpt} (epoch ${lines[marker].resumed.epoch}), resumed in its folder on the other worker ${((resumedAt - killedAt) / 1000).toFixed(1)} s after the kill (lock 3 s + the other worker finishing its own run)\n`);
    assert.match(logs.get(survivor)!, new RegExp(`resuming ${victim.runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // Every folder is there: 4 runs, 4 folders (the interrupted one finished in its own).
    assert.equal(folders.length, 4, JSON.stringify(folders, null, 1));
    const table = JSON.parse(fs.readFileSync(path.join(sweepDir, 'table.json'), 'utf8')) as SweepTable;
    assert.deepEqual(table.rows.map((r) => [r.cellId, r.finished]), [['static', 2], ['asWritten', 2]]);
    assert.match(logs.get(c2)!, /\| variant=asWritten \| variant=static \| 2 \|/);
    // Recovery after the SIGKILL: the lock lapses (3 s), the stalled job is taken again.
    assert.ok(Date.now() - t0 < 120_000);
  } finally {
    for (const p of procs.reverse()) if (p.exitCode === null && p.signalCode === null) { p.kill('SIGKILL'); await exited(p); }
    // Orphaned trainers of the killed worker exit on their own when IPC closes; wait for them.
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

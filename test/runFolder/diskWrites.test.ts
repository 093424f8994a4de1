// Writes that fail say where and why and leave nothing behind: a runs folder under /proc fails at
// once (Node's recursive mkdir loops there for ever), a file in the way, a read-only folder and a
// full disk (a 150 kB tmpfs, when this machine lets us mount one) each give one message with the
// path and the cause, no temporary files and an events.jsonl that parses line by line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';
import { DiskError, makeDirs, writeFileAtomic } from '../../src/runFolder/diskWrites';
import { runTraining } from '../../src/trainer/runTraining';

const root = path.join(__dirname, '..', '..', '..');
const quick = path.join(root, 'samples', 'penguins-quick.fmtl.json');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-disk-'));

function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String);
}

test('makeDirs under /proc fails fast with the path and the cause', { skip: !fs.existsSync('/proc/self') }, () => {
  const t0 = Date.now();
  assert.throws(() => makeDirs('/proc/x/runs'), (e: DiskError) => e instanceof DiskError && /cannot create folder \/proc\/x: .*\(ENOENT\)/.test(e.message));
  assert.ok(Date.now() - t0 < 1000);
});

test('makeDirs through a file names the file in the way', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'afile'), 'x');
  assert.throws(() => makeDirs(path.join(dir, 'afile', 'runs')), /a part of the path is a file, not a folder \(ENOTDIR\)/);
  makeDirs(path.join(dir, 'a', 'b', 'c'));
  assert.ok(fs.statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
});

test('writeFileAtomic: a failed write leaves the old file and no temporary', () => {
  const dir = tmp();
  const f = path.join(dir, 'summary.json');
  writeFileAtomic(f, 'old');
  fs.mkdirSync(`${f}.${process.pid}.tmp`); // the temporary name is taken by a folder: open fails
  assert.throws(() => writeFileAtomic(f, 'new'), (e: DiskError) => e.path === f && /cannot write .*summary\.json: it is a folder \(EISDIR\)/.test(e.message));
  assert.equal(fs.readFileSync(f, 'utf8'), 'old');
});

/** Mounts a tmpfs (needs CAP_SYS_ADMIN); undefined when this machine does not allow it. */
function mountTmpfs(options: string): string | undefined {
  const dir = tmp();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}
const unmount = (dir: string) => { try { execFileSync('umount', [dir], { stdio: 'ignore' }); } catch { /* test already failed */ } };
const canMount = (() => { const d = mountTmpfs('size=64k'); if (d) unmount(d); return d !== undefined; })();

async function train(runsDir: string) {
  const events: TrainerEvent[] = [];
  const outcome = await runTraining({ experimentPath: quick, backend: 'cpu', runsDir }, (e) => events.push(e));
  return { outcome, events };
}

test('disk full mid-run (150 kB tmpfs): one error with the path and ENOSPC, no temporaries, events parse', { skip: !canMount && 'cannot mount a tmpfs here' }, async () => {
  const dir = mountTmpfs('size=150k')!;
  try {
    const { outcome, events } = await train(dir);
    const errors = events.filter((e) => e.type === 'run/error');
    assert.equal(errors.length, 1, 'reported once');
    assert.match(outcome.error!.message, /^cannot write .*(checkpoints|events\.jsonl|summary\.json).*: no space left on the device \(ENOSPC\)$/);
    assert.equal(events[events.length - 1].type, 'run/done');
    const files = listAll(dir);
    assert.deepEqual(files.filter((f) => /\.tmp/.test(f)), [], 'no temporaries left');
    const text = fs.readFileSync(path.join(outcome.runDir!, 'events.jsonl'), 'utf8');
    for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
  } finally {
    unmount(dir);
  }
});

test('read-only runs folder: refused before training with the path and EROFS', { skip: !canMount && 'cannot mount a tmpfs here' }, async () => {
  const dir = mountTmpfs('size=64k,ro')!;
  try {
    const { outcome, events } = await train(path.join(dir, 'runs'));
    assert.equal(outcome.runDir, undefined);
    assert.equal(outcome.error!.message, `cannot create folder ${path.join(dir, 'runs')}: read-only file system (EROFS)`);
    assert.equal(events.filter((e) => e.type === 'run/error').length, 1);
    assert.ok(!events.some((e) => e.type === 'run/error' && e.stack), 'no stack trace for a disk error');
  } finally {
    unmount(dir);
  }
});

test('disk full after a best checkpoint: the failed summary.json names that checkpoint (bestEpoch, its valid scores), not epoch 0', { skip: !canMount && 'cannot mount a tmpfs here' }, async () => {
  const dir = mountTmpfs('size=4m')!;
  const filler = path.join(dir, 'filler');
  try {
    const events: TrainerEvent[] = [];
    const outcome = await runTraining({ experimentPath: quick, backend: 'cpu', runsDir: path.join(dir, 'runs') }, (e) => {
      events.push(e);
      // The disk fills up right after the first best checkpoint is in place...
      if (e.type === 'run/checkpoint' && e.kind === 'best' && !fs.existsSync(filler)) {
        const fd = fs.openSync(filler, 'w');
        try { for (;;) fs.writeSync(fd, Buffer.alloc(64 * 1024)); } catch { /* ENOSPC: full */ } finally { fs.closeSync(fd); }
      }
      // ...and frees up once the run has failed, so its summary can be written.
      if (e.type === 'run/error') fs.rmSync(filler, { force: true });
    });
    assert.match(outcome.error!.message, /no space left on the device \(ENOSPC\)/);
    const best = events.filter((e) => e.type === 'run/checkpoint' && e.kind === 'best');
    assert.equal(best.length, 1);
    const summary = JSON.parse(fs.readFileSync(path.join(outcome.runDir!, 'summary.json'), 'utf8'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.bestEpoch, best[0].type === 'run/checkpoint' && best[0].epoch);
    assert.ok(summary.bestEpoch >= 1);
    const epoch = events.find((e) => e.type === 'run/epoch' && e.epoch === summary.bestEpoch);
    assert.deepEqual(summary.best.valid, epoch?.type === 'run/epoch' && epoch.valid);
    const meta = JSON.parse(fs.readFileSync(path.join(outcome.runDir!, 'checkpoints', 'best', 'model.json'), 'utf8')).userDefinedMetadata;
    assert.equal(meta.epoch, summary.bestEpoch, 'the checkpoint on disk is the one the summary names');
  } finally {
    unmount(dir);
  }
});

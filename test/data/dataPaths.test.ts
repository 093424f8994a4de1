// Data paths outside the workspace (issue 12, item 10): what counts as inside (real paths, the
// experiment's folder, the current directory, the shipped samples' data), and `fmtl` as a child
// process: train / validate / sweep refuse outside data unless --allow-outside, nothing is created
// when refused, and the sweep's trainer processes inherit the decision.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dataReads, isUnder, outsideReads, realPath, shippedDataRoots, shippedSamplesDir } from '../../src/data/dataPaths';
import { runRequest } from '../../src/sweeps/localPool';
import { withDefaults } from '../../src/shared/experiment';
import type { Experiment } from '../../src/shared/experimentTypes';

const root = path.join(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const snipsSample = path.join(root, 'samples', 'snips.fmtl.json');

function fmtl(cwd: string, ...args: string[]): { status: number | null; out: string; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout, stderr: r.stderr };
}

/** tmp/{proj,outside,elsewhere}: proj/x.fmtl.json (penguins-quick) reads `data` (relative to proj). */
function layout(data: string): { dir: string; proj: string; outside: string; elsewhere: string; exp: string } {
  const dir = realPath(fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-outside-')));
  const proj = path.join(dir, 'proj');
  const outside = path.join(dir, 'outside');
  const elsewhere = path.join(dir, 'elsewhere');
  for (const d of [proj, outside, elsewhere]) fs.mkdirSync(d);
  fs.copyFileSync(path.join(root, 'samples', 'penguins.csv'), path.join(outside, 'penguins.csv'));
  const exp = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'penguins-quick.fmtl.json'), 'utf8'));
  delete exp.$schema;
  exp.data.path = data;
  fs.writeFileSync(path.join(proj, 'x.fmtl.json'), JSON.stringify(exp, null, 2) + '\n');
  return { dir, proj, outside, elsewhere, exp: path.join(proj, 'x.fmtl.json') };
}

test('isUnder compares whole path segments; realPath resolves links, also through a missing rest', () => {
  assert.ok(isUnder('/a/b', '/a/b'));
  assert.ok(isUnder('/a/b/c', '/a/b'));
  assert.ok(!isUnder('/a/bc', '/a/b'));
  assert.ok(!isUnder('/a', '/a/b'));
  assert.ok(!isUnder('/a/..b', '/a/b'));
  assert.ok(isUnder('/a/b/..c', '/a/b'), 'a name starting with two dots is inside');
  const l = layout('../outside/penguins.csv');
  try {
    fs.symlinkSync(l.outside, path.join(l.proj, 'link'));
    assert.equal(realPath(path.join(l.proj, 'link', 'penguins.csv')), path.join(l.outside, 'penguins.csv'));
    assert.equal(realPath(path.join(l.proj, 'link', 'no', 'such.csv')), path.join(l.outside, 'no', 'such.csv'));
  } finally {
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
});

test('dataReads: the CSV, or per split seq.in and every task label file, each at its setting', () => {
  const slu = withDefaults(JSON.parse(fs.readFileSync(snipsSample, 'utf8')) as Experiment);
  const reads = dataReads(slu, '/x/y/samples');
  assert.deepEqual(reads.map((r) => [r.jsonPath.join('.'), r.file]).slice(0, 3), [
    ['data.splits.train', '/x/shared/data/snips/train/seq.in'],
    ['tasks.0.label', '/x/shared/data/snips/train/label'],
    ['tasks.1.label', '/x/shared/data/snips/train/seq.out'],
  ]);
  assert.equal(reads.length, 9, '3 splits x (seq.in + 2 label files)');
  const evil = { ...slu, tasks: [{ ...slu.tasks[0], label: '../../../../etc/passwd' }, slu.tasks[1]] } as Experiment;
  const out = outsideReads(evil, path.join(root, 'samples', 'snips.fmtl.json'), { roots: shippedDataRoots() });
  assert.ok(out.length >= 1 && out.every((r) => r.jsonPath.join('.') === 'tasks.0.label'), 'a label file climbing out of the data folder is outside');
});

test('dataReads: a JSONL or CoNLL file at data.path, or each split file at data.splits.<split>', () => {
  const jsonl = withDefaults(JSON.parse(fs.readFileSync(path.join(root, 'samples', 'intents-jsonl.fmtl.json'), 'utf8')) as Experiment);
  assert.deepEqual(dataReads(jsonl, '/x/samples').map((r) => [r.jsonPath.join('.'), r.file]), [['data.path', '/x/samples/intents.jsonl']]);
  const conll = { ...jsonl, data: { format: 'conll', path: '../corpus', splits: { train: 'train.txt', valid: 'dev.txt', test: '../../../etc/hosts' } } } as Experiment;
  assert.deepEqual(dataReads(conll, '/x/y/exp').map((r) => [r.jsonPath.join('.'), r.file]), [
    ['data.splits.train', '/x/y/corpus/train.txt'],
    ['data.splits.valid', '/x/y/corpus/dev.txt'],
    ['data.splits.test', '/etc/hosts'],
  ]);
});

test('the shipped samples\' data counts as inside: samples/penguins.csv and the SNIPS folder beside the repository', () => {
  assert.equal(shippedSamplesDir(), path.join(root, 'samples'));
  const roots = shippedDataRoots();
  assert.ok(roots.includes(realPath(path.join(root, 'samples', 'penguins.csv'))), roots.join(', '));
  assert.ok(roots.includes(realPath(path.join(root, 'samples', '../../shared/data/snips'))), roots.join(', '));
  // From any current directory, the samples validate (a newcomer never meets the refusal on them).
  const away = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-away-'));
  try {
    for (const s of ['penguins.fmtl.json', 'penguins-quick.fmtl.json', 'intents-jsonl.fmtl.json', 'intents-conll.fmtl.json', 'snips.fmtl.json', 'snips-quality.fmtl.json', 'snips.sweep.json', 'snips-quality.sweep.json', 'penguins.sweep.json']) {
      const r = fmtl(away, 'validate', path.join(root, 'samples', s));
      assert.equal(r.status, 0, `${s}: ${r.out}`);
    }
  } finally {
    fs.rmSync(away, { recursive: true, force: true });
  }
});

test('a checkout\'s samples count as shipped only when byte for byte the shipped ones (the extension opened on a clone)', () => {
  const dir = realPath(fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-checkout-')));
  try {
    const samples = path.join(dir, 'clone', 'samples');
    fs.mkdirSync(samples, { recursive: true });
    fs.mkdirSync(path.join(dir, 'shared', 'data', 'snips'), { recursive: true });
    fs.copyFileSync(snipsSample, path.join(samples, 'snips.fmtl.json'));
    const evil = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'penguins.fmtl.json'), 'utf8'));
    evil.data.path = '/';
    fs.writeFileSync(path.join(samples, 'penguins.fmtl.json'), JSON.stringify(evil));
    assert.deepEqual(shippedDataRoots(samples, path.join(root, 'samples')), [path.join(dir, 'shared', 'data', 'snips')]);
    assert.ok(shippedDataRoots(samples).includes('/'), 'without the comparison the edited sample would open everything');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fmtl train refuses data outside the experiment folder and the current directory (nothing created); --allow-outside trains', () => {
  const l = layout('../outside/penguins.csv');
  try {
    const runs = path.join(l.elsewhere, 'runs');
    const r = fmtl(l.elsewhere, 'train', l.exp, '--backend', 'cpu', '--epochs', '1', '--runs-dir', runs);
    assert.equal(r.status, 1, r.out);
    assert.match(r.stderr, new RegExp(`data\\.path: reads ${path.join(l.outside, 'penguins.csv').replace(/[.]/g, '\\.')}, outside the folders a run may read without asking \\(${l.proj}, ${l.elsewhere}[,)]`));
    assert.match(r.stderr, /pass --allow-outside to read it/);
    assert.ok(!fs.existsSync(runs), 'no run folder');
    assert.ok(!/\n\s+at /.test(r.out), 'no stack trace');

    const ok = fmtl(l.elsewhere, 'train', l.exp, '--backend', 'cpu', '--epochs', '1', '--runs-dir', runs, '--allow-outside');
    assert.equal(ok.status, 0, ok.out);
    assert.equal(fs.readdirSync(runs).length, 1);

    // fmtl eval reads the run's data again: the same rule, and the same flag.
    const runDir = path.join(runs, fs.readdirSync(runs)[0]);
    const ev = fmtl(l.elsewhere, 'eval', runDir, '--backend', 'cpu', '--split', 'valid');
    assert.equal(ev.status, 1, ev.out);
    assert.match(ev.stderr, /data\.path: reads .*outside\/penguins\.csv, outside .*--allow-outside/);
    assert.equal(fmtl(l.elsewhere, 'eval', runDir, '--backend', 'cpu', '--split', 'valid', '--allow-outside').status, 0);
    // A run folder from elsewhere whose meta.json puts "its experiment" beside the data: that folder
    // does not count, since the run folder does not lie in it.
    const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'meta.json'), 'utf8'));
    meta.experimentPath = path.join(l.outside, 'x.fmtl.json');
    fs.writeFileSync(path.join(runDir, 'meta.json'), JSON.stringify(meta));
    const cfg = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    cfg.data.path = 'penguins.csv';
    fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify(cfg));
    const foreign = fmtl(l.elsewhere, 'eval', runDir, '--backend', 'cpu', '--split', 'valid');
    assert.equal(foreign.status, 1, foreign.out);
    assert.match(foreign.stderr, /data\.path: reads .*outside\/penguins\.csv, outside the folders a run may read without asking \([^)]*\); pass --allow-outside/);
    assert.ok(!foreign.stderr.includes(`(${l.outside},`), 'the folder meta.json names is not listed as inside');

    // The current directory counts as inside: from tmp/, ../outside is under it.
    const fromParent = fmtl(l.dir, 'validate', l.exp);
    assert.equal(fromParent.status, 0, fromParent.out);
  } finally {
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
});

test('fmtl validate reports outside data at data.path (file:line:col), --allow-outside accepts it; a symlink out of the folder is outside', () => {
  const l = layout('../outside/penguins.csv');
  try {
    const r = fmtl(l.elsewhere, 'validate', l.exp);
    assert.equal(r.status, 1, r.out);
    const line = fs.readFileSync(l.exp, 'utf8').split('\n').findIndex((s) => s.includes('"path"')) + 1;
    assert.match(r.stderr, new RegExp(`^${l.exp.replace(/[.]/g, '\\.')}:${line}:\\d+  data\\.path  reads .*outside/penguins\\.csv, outside`, 'm'));
    assert.equal(fmtl(l.elsewhere, 'validate', l.exp, '--allow-outside').status, 0);
    const json = JSON.parse(fmtl(l.elsewhere, 'validate', l.exp, '--json').stdout);
    assert.equal(json.valid, false);
    assert.deepEqual(json.issues.map((i: { pathText: string }) => i.pathText), ['data.path']);

    fs.symlinkSync(path.join(l.outside, 'penguins.csv'), path.join(l.proj, 'link.csv'));
    const exp = JSON.parse(fs.readFileSync(l.exp, 'utf8'));
    exp.data.path = 'link.csv';
    fs.writeFileSync(l.exp, JSON.stringify(exp));
    const s = fmtl(l.elsewhere, 'validate', l.exp);
    assert.equal(s.status, 1, s.out);
    assert.ok(s.stderr.includes(`reads ${path.join(l.proj, 'link.csv')} (${path.join(l.outside, 'penguins.csv')}), outside`), s.stderr);
    assert.match(fmtl(l.elsewhere, 'train', '--help').stdout, /--allow-outside\s+read data files outside the experiment's folder, the current directory and the shipped samples' data/);
    assert.match(fmtl(l.elsewhere, 'validate', '--help').stdout, /--allow-outside/);
  } finally {
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
});

test('fmtl sweep refuses before any run; with --allow-outside its trainer processes inherit the decision and train', () => {
  const l = layout('../outside/penguins.csv');
  try {
    const sweep = path.join(l.proj, 'x.sweep.json');
    fs.writeFileSync(sweep, JSON.stringify({ name: 'x', experiment: 'x.fmtl.json', seeds: [1], epochs: 1 }));
    const out = path.join(l.elsewhere, 'sweep');
    const r = fmtl(l.elsewhere, 'sweep', sweep, '--backend', 'cpu', '--out', out);
    assert.equal(r.status, 1, r.out);
    assert.match(r.stderr, /data\.path: cell base reads .*outside\/penguins\.csv, outside .*; pass --allow-outside to read it/);
    assert.ok(!fs.existsSync(out), 'no sweep folder');
    assert.equal(fmtl(l.elsewhere, 'validate', sweep).status, 1);
    assert.equal(fmtl(l.elsewhere, 'validate', sweep, '--allow-outside').status, 0);

    // The trainer processes run in the same current directory: only the inherited allowOutside lets them read.
    const ok = fmtl(l.elsewhere, 'sweep', sweep, '--backend', 'cpu', '--out', out, '--allow-outside');
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.stdout, /\| base \(baseline\) \| 1\/1 \|/);
  } finally {
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
});

test('a queued or pooled run carries the sweep\'s data access in its train request', () => {
  const cell = { id: 'base', label: 'base', values: {}, overrides: [] };
  const access = { roots: ['/somewhere'], allowOutside: true };
  const req = runRequest({ sweepName: 's', sweepDir: '/s', experimentPath: '/e.fmtl.json', dataAccess: access }, cell, { cellId: 'base', seed: 1, key: 'base/seed-1' });
  assert.deepEqual(req.dataAccess, access);
  assert.deepEqual(runRequest({ sweepName: 's', sweepDir: '/s', experimentPath: '/e.fmtl.json', dataAccess: access }, cell, { cellId: 'base', seed: 1, key: 'base/seed-1' }, '/s/run').dataAccess, access, 'resumed too');
});

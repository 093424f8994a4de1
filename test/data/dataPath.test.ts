import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveDataPath } from '../../src/data/dataPath';
import { prepareData } from '../../src/data/prepare';
import { cmdValidate, type CliIo } from '../../src/trainer/cli';
import { loadExperimentFile } from '../../src/data/experimentFile';

const root = path.join(__dirname, '..', '..', '..');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-datapath-'));

function io(cwd: string): CliIo & { stdout: () => string; stderr: () => string } {
  let o = '', e = '';
  return { out: { write: (s: string) => { o += s; } }, err: { write: (s: string) => { e += s; } }, cwd, stdout: () => o, stderr: () => e };
}

/** The penguins sample with another data.path, written into `dir`; returns the text. */
function penguinsAt(dir: string, dataPath: string): string {
  const text = fs.readFileSync(path.join(root, 'samples', 'penguins.fmtl.json'), 'utf8').replace('"path": "penguins.csv"', `"path": ${JSON.stringify(dataPath)}`);
  fs.writeFileSync(path.join(dir, 'p.fmtl.json'), text);
  return text;
}

/** Run `fn` with $HOME (what os.homedir() reads on POSIX) set to `home`. */
function withHome<T>(home: string, fn: () => T): T {
  const old = process.env.HOME;
  process.env.HOME = home;
  try { return fn(); } finally { process.env.HOME = old; }
}

test('resolveDataPath: relative to the experiment folder, absolute as written, ~ and ~/x under the home folder', () => {
  assert.equal(resolveDataPath('/exp', 'd/x.csv', '/home/u'), '/exp/d/x.csv');
  assert.equal(resolveDataPath('/exp', '../d', '/home/u'), '/d');
  assert.equal(resolveDataPath('/exp', '/data/x.csv', '/home/u'), '/data/x.csv');
  assert.equal(resolveDataPath('/exp', '~', '/home/u'), '/home/u');
  assert.equal(resolveDataPath('/exp', '~/data/snips', '/home/u'), '/home/u/data/snips');
  assert.equal(resolveDataPath('/exp', '~user/x', '/home/u'), '/exp/~user/x', '~user is not expanded');
});

test('validate: a missing CSV shows the path as written and as resolved', () => {
  const dir = tmp();
  const text = penguinsAt(dir, 'data/nope.csv');
  const out = io(dir);
  assert.equal(cmdValidate(['p.fmtl.json'], out), 1);
  const line = text.split('\n').findIndex((l) => l.includes('"path"')) + 1;
  const col = text.split('\n')[line - 1].indexOf('"data/nope.csv"') + 1;
  assert.equal(out.stderr(), `p.fmtl.json:${line}:${col}  data.path  CSV file not found: 'data/nope.csv' (${path.join(dir, 'data', 'nope.csv')}, relative to the experiment file)\n1 error\n`);
});

test('~/ in a data path is the home folder in validate and in training data', async () => {
  const home = tmp();
  const dir = tmp();
  fs.mkdirSync(path.join(home, 'data'));
  fs.copyFileSync(path.join(root, 'samples', 'penguins.csv'), path.join(home, 'data', 'penguins.csv'));
  penguinsAt(dir, '~/data/penguins.csv');
  const out = io(dir);
  // The home folder is outside the experiment's folder and the current directory: allowed by hand.
  assert.equal(withHome(home, () => cmdValidate(['p.fmtl.json'], out)), 1);
  assert.match(out.stderr(), new RegExp(`data\\.path  reads ${esc(path.join(home, 'data', 'penguins.csv'))}, outside the folders`));
  const allowed = io(dir);
  assert.equal(withHome(home, () => cmdValidate(['p.fmtl.json', '--allow-outside'], allowed)), 0, allowed.stderr());
  const loaded = withHome(home, () => loadExperimentFile(path.join(dir, 'p.fmtl.json'), { roots: [], allowOutside: true }));
  const old = process.env.HOME;
  process.env.HOME = home;
  try {
    const data = await prepareData(loaded.experiment!, dir);
    assert.equal(data.train.size + data.valid.size + (data.test?.size ?? 0), 344);
  } finally { process.env.HOME = old; }
  // Missing under ~: the message says where ~ pointed.
  penguinsAt(dir, '~/nope.csv');
  const bad = io(dir);
  assert.equal(withHome(home, () => cmdValidate(['p.fmtl.json', '--allow-outside'], bad)), 1);
  assert.match(bad.stderr(), new RegExp(`data\\.path  CSV file not found: '~/nope\\.csv' \\(${esc(home)}/nope\\.csv, ~ is the home folder\\)\n`));
});

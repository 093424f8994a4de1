import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatSweepIssues, loadSweepFile, sweepName } from '../../src/sweeps/sweepFile';

const samples = path.join(__dirname, '../../../samples');

function tmpWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-sweepfile-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  fs.copyFileSync(path.join(samples, 'penguins.csv'), path.join(dir, 'penguins.csv'));
  return dir;
}

test('a valid sweep over the penguins sample loads with its experiment', () => {
  const dir = tmpWith({
    'e.fmtl.json': fs.readFileSync(path.join(samples, 'penguins-quick.fmtl.json'), 'utf8'),
    'x.sweep.json': '{ "experiment": "e.fmtl.json", "seeds": [1, 2], "variants": ["static", "asWritten"] }',
  });
  const l = loadSweepFile(path.join(dir, 'x.sweep.json'));
  assert.deepEqual(l.issues, []);
  assert.equal(l.sweep!.runs.length, 4);
  assert.equal(l.experimentPath, path.join(dir, 'e.fmtl.json'));
  assert.equal(l.experiment!.name, 'penguins-quick');
  assert.equal(sweepName(l.path, l.sweep), 'x');
});

test('a missing or broken base experiment is reported at the sweep file\'s experiment key', () => {
  const dir = tmpWith({
    'bad.fmtl.json': '{ "name": "b" }',
    'a.sweep.json': '{\n  "seeds": [1],\n  "experiment": "nope.fmtl.json"\n}',
    'b.sweep.json': '{\n  "seeds": [1],\n  "experiment": "bad.fmtl.json"\n}',
  });
  const a = loadSweepFile(path.join(dir, 'a.sweep.json'));
  assert.deepEqual(formatSweepIssues(a, dir), ['a.sweep.json:3:17  experiment  nope.fmtl.json: file not found']);
  const b = loadSweepFile(path.join(dir, 'b.sweep.json'));
  const lines = formatSweepIssues(b, dir);
  assert.match(lines[0], /^b\.sweep\.json:3:17  experiment  the base experiment has \d+ errors; first: bad\.fmtl\.json/);
  assert.ok(lines.slice(1).every((l) => l.startsWith('bad.fmtl.json')), lines.join('\n'));
  assert.equal(b.sweep, undefined);
  const missing = loadSweepFile(path.join(dir, 'none.sweep.json'));
  assert.deepEqual(missing.issues.map((i) => i.message), ['cannot read sweep file: file not found']);
});

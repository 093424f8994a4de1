// Messages quote no content of files that are not data (issue 12, item 10): `fmtl train` as a child
// process on an experiment whose data.path is a text file that is not this experiment's CSV names
// the file and the place, never its lines; pieces of real data files are quoted short.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clip, quoted, quotedList, QUOTE_MAX } from '../../src/shared/quote';

const root = path.join(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

test('quoted: single quotes, control characters escaped, cut to QUOTE_MAX characters', () => {
  assert.equal(quoted('abc'), "'abc'");
  assert.equal(quoted('a\tb\u0000'), "'a\\tb\\u0000'");
  const long = quoted('x'.repeat(500));
  assert.equal([...long].length, QUOTE_MAX + 2);
  assert.ok(long.endsWith("…'"));
  assert.equal(clip('😀'.repeat(50)).length, (QUOTE_MAX - 1) * 2 + 1, 'cut between characters, not inside a surrogate pair');
  assert.equal(quotedList(['a', 'b']), "'a', 'b'");
  assert.equal(quotedList(Array.from({ length: 25 }, (_, i) => `c${i}`)).split(', ').length, 21);
  assert.match(quotedList(Array.from({ length: 25 }, (_, i) => `c${i}`)), /, … 5 more$/);
});

/** The shipped penguins-quick sample with data.path set to `data` (relative to the experiment). */
function experimentReading(dir: string, data: string): string {
  const exp = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'penguins-quick.fmtl.json'), 'utf8'));
  exp.data.path = data;
  delete exp.$schema;
  const file = path.join(dir, 'x.fmtl.json');
  fs.writeFileSync(file, JSON.stringify(exp, null, 2));
  return file;
}

function train(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [cli, 'train', 'x.fmtl.json', '--backend', 'cpu', '--epochs', '1', '--runs-dir', path.join(dir, 'runs')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

const NOT_DATA: Record<string, string> = {
  // Every line a "record" of one field: the first line would be the header.
  'os-release': 'PRETTY_NAME=SECRET-Debian-12\nNAME=SECRET-NAME\nID=debian\n',
  hosts: '127.0.0.1 SECRET-localhost\n10.0.0.2 SECRET-db.internal\n',
  // Parses as CSV with two columns, but none this experiment names.
  'tokens.csv': 'SECRET-apikey,SECRET-user\nSECRET-AAA,SECRET-BBB\n',
  // A quote inside a field: csv-parse's own message would quote the field.
  'quoted.txt': 'name,value\nSECRET-x,SECRET-"y"\n',
};

for (const [name, text] of Object.entries(NOT_DATA)) {
  test(`fmtl train on a file that is not this experiment's data (${name}): names the file, quotes none of it`, () => {
    assert.ok(fs.existsSync(cli), 'run `node esbuild.mjs` first');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-notdata-'));
    try {
      fs.writeFileSync(path.join(dir, name), text);
      experimentReading(dir, name);
      const r = train(dir);
      assert.equal(r.status, 1, r.out);
      assert.ok(r.out.includes(path.join(dir, name)), `names the file: ${r.out}`);
      assert.ok(!r.out.includes('SECRET'), `quotes nothing of the file: ${r.out}`);
      assert.ok(!/\n\s+at /.test(r.out), 'no stack trace');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('fmtl train on this experiment\'s CSV with a wrong column or a bad cell: quotes its header and the cell, short', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-notdata-'));
  try {
    const csv = fs.readFileSync(path.join(root, 'samples', 'penguins.csv'), 'utf8');
    fs.writeFileSync(path.join(dir, 'renamed.csv'), csv.replace('bill_depth_mm', 'bill_depth'));
    experimentReading(dir, 'renamed.csv');
    const a = train(dir);
    assert.equal(a.status, 1, a.out);
    assert.match(a.out, /renamed\.csv: unknown column 'bill_depth_mm' \(data\.features\); the columns are: .*'bill_depth'/);

    const lines = csv.split('\n');
    const cells = lines[3].split(',');
    const col = lines[0].split(',').indexOf('bill_length_mm');
    cells[col] = `not-a-number-${'z'.repeat(300)}`;
    lines[3] = cells.join(',');
    fs.writeFileSync(path.join(dir, 'cell.csv'), lines.join('\n'));
    experimentReading(dir, 'cell.csv');
    const b = train(dir);
    assert.equal(b.status, 1, b.out);
    assert.match(b.out, /cell\.csv:4:18: column 'bill_length_mm': 'not-a-number-z+…' is not a number/);
    assert.ok(!b.out.includes('z'.repeat(QUOTE_MAX)), 'the cell is cut');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

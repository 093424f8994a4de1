import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cmdEval, cmdTrain, cmdValidate, commandHelp, COMMANDS, parseCommand, usage, type CliIo } from '../../src/trainer/cli';
import { ProgressView } from '../../src/trainer/cliProgress';
import { summaryTable } from '../../src/trainer/cliTables';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

const root = path.join(__dirname, '..', '..', '..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-cli-'));

function capture(cwd: string, tty = false): CliIo & { stdout: () => string; stderr: () => string } {
  let o = '';
  let e = '';
  return {
    out: { write: (s: string) => { o += s; }, isTTY: tty },
    err: { write: (s: string) => { e += s; }, isTTY: tty, columns: 100 },
    cwd,
    stdout: () => o,
    stderr: () => e,
  };
}

test('validate: a bad file prints file:line:col  path  message and exits 1', () => {
  const dir = tmp();
  const text = fs.readFileSync(path.join(root, 'samples', 'snips.fmtl.json'), 'utf8')
    .replace('"beta": 0.5', '"beta": 1.5')
    .replace('"from": "slots"', '"from": "slot"');
  fs.writeFileSync(path.join(dir, 'bad.fmtl.json'), text);
  const io = capture(dir);
  assert.equal(cmdValidate(['bad.fmtl.json'], io), 1);
  const lines = io.stderr().trimEnd().split('\n');
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const beta = lines.find((l) => l.includes('convergence.beta'))!;
  assert.match(beta, new RegExp(`^bad\\.fmtl\\.json:${lineOf('"beta": 1.5')}:\\d+  convergence\\.beta  'beta' must be a number > 0 and < 1, got 1\\.5$`));
  const from = lines.find((l) => l.includes('feedback[1].from'))!;
  assert.match(from, new RegExp(`^bad\\.fmtl\\.json:${lineOf('"from": "slot"')}:\\d+  feedback\\[1\\]\\.from  unknown task 'slot' \\(did you mean 'slots'\\?\\)`));
  // The data folder is relative to samples/, so from the temp dir it is missing too: reported, not thrown.
  assert.ok(lines.some((l) => /data file not found/.test(l)));
  assert.match(lines[lines.length - 1], /^\d+ errors$/);
  assert.ok(!io.stderr().includes('    at '), 'no stack trace');
});

test('validate: the samples are valid; --json reports issues as data', () => {
  const io = capture(root);
  assert.equal(cmdValidate(['samples/penguins.fmtl.json'], io), 0);
  assert.equal(io.stdout(), 'samples/penguins.fmtl.json: valid\n');
  const j = capture(root);
  assert.equal(cmdValidate(['samples/snips.fmtl.json', '--json'], j), 0, 'snips data is found at ../../shared/data/snips');
  assert.equal(JSON.parse(j.stdout()).valid, true);
  const missing = capture(root);
  assert.equal(cmdValidate(['samples/nope.fmtl.json'], missing), 1);
  assert.match(missing.stderr(), /cannot read experiment file: file not found/);
});

test('argument parsing (node:util parseArgs over the command table) and help from the same table', () => {
  const p = parseCommand('train', ['x.json', '--epochs', '3', '--json', '--seed=5']);
  assert.deepEqual(p, { arg: 'x.json', args: ['x.json'], values: { epochs: '3', json: true, seed: '5' }, help: false });
  assert.deepEqual(parseCommand('predict', ['m', 'a b', 'c']).args, ['m', 'a b', 'c']);
  assert.throws(() => parseCommand('export', ['r']), /export needs --out DIR/);
  assert.throws(() => parseCommand('predict', []), /predict takes a model folder, then the inputs/);
  assert.throws(() => parseCommand('train', ['x', '--bogus']), /unknown option --bogus for 'train'/);
  assert.throws(() => parseCommand('train', ['x', '--epochs']), /--epochs needs a value/);
  assert.throws(() => parseCommand('train', ['x', '--json=1']), /--json takes no value/);
  assert.throws(() => parseCommand('train', ['x', '--epochs', '0']), /--epochs must be an integer >= 1 \(got '0'\)/);
  assert.throws(() => parseCommand('train', ['x', '--epochs', '2.5']), /must be an integer/);
  assert.throws(() => parseCommand('eval', ['r', '--split', 'train']), /--split must be one of valid, test \(got 'train'\)/);
  assert.throws(() => parseCommand('validate', []), /validate takes one experiment or sweep file/);
  assert.equal(parseCommand('eval', ['--help']).help, true);
  for (const [name, c] of Object.entries(COMMANDS)) {
    const help = commandHelp(name);
    for (const opt of Object.keys(c.options)) {
      assert.ok(help.includes(`--${opt}`), `${name} --help lists --${opt}`);
      assert.ok(usage().includes(`--${opt}`), `usage lists --${opt}`);
    }
  }
  assert.match(usage(), /^usage:\n  fmtl train <file\.fmtl\.json> \[--json\] \[--epochs N\]/);
});

test('train --json prints one event per line; eval re-scores the best checkpoint exactly', async () => {
  const runs = tmp();
  const io = capture(root);
  const code = await cmdTrain(['samples/penguins-quick.fmtl.json', '--json', '--epochs', '2', '--backend', 'cpu', '--runs-dir', runs], io);
  assert.equal(code, 0, io.stderr());
  const events = io.stdout().trimEnd().split('\n').map((l) => JSON.parse(l) as TrainerEvent);
  assert.equal(events[0].type, 'run/start');
  const done = events[events.length - 1];
  assert.equal(done.type, 'run/done');
  const runDir = path.join(runs, fs.readdirSync(runs)[0]);

  const ev = capture(root);
  assert.equal(await cmdEval([runDir, '--split', 'test', '--backend', 'cpu', '--json'], ev), 0, ev.stderr());
  const r = JSON.parse(ev.stdout());
  assert.equal(r.checkpoint, 'best');
  // The test metrics of the summary were computed with the best epoch's weights: eval must agree.
  assert.ok(done.type === 'run/done');
  if (done.type === 'run/done') {
    assert.deepEqual(r.metrics, done.summary.best.test);
    assert.equal(r.backend, done.summary.backend, 'eval names the backend as the run summary does');
  }

  const text = capture(root);
  assert.equal(await cmdEval([runDir, '--split', 'valid', '--backend', 'cpu'], text), 0);
  assert.match(text.stdout(), /checkpoint best \(epoch \d, step \d+\)  split valid/);
  assert.match(text.stdout(), /species\s+accuracy\s+\d+\.\d/);

  const bad = capture(root);
  await assert.rejects(cmdEval([runs], bad), /not a run folder/);
});

test('train (human): progress lines, final table, run folder; usage errors', async () => {
  const runs = tmp();
  const io = capture(root);
  const code = await cmdTrain(['samples/penguins-quick.fmtl.json', '--epochs', '1', '--backend', 'cpu', '--runs-dir', runs], io);
  assert.equal(code, 0, io.stderr());
  assert.match(io.stderr(), /^run \d{8}-\d{6}-penguins-quick\n  backend cpu/);
  assert.match(io.stderr(), /epoch 1\/1  loss \d+\.\d{4}  valid species acc/);
  assert.match(io.stdout(), /task\s+metric\s+valid@1\s+test\s+last valid/);
  assert.match(io.stdout(), /completed after 1 epoch \(8 steps\)/);
  assert.match(io.stdout(), /run folder: \/.*penguins-quick/);
  await assert.rejects(cmdTrain(['samples/penguins-quick.fmtl.json', '--epochs', '0'], capture(root)), /--epochs must be an integer >= 1/);
  await assert.rejects(cmdTrain(['a', 'b'], capture(root)), /one experiment file/);
});

test('progress view draws one live line on a TTY and clears it', () => {
  let out = '';
  const view = new ProgressView({ write: (s: string) => { out += s; }, isTTY: true, columns: 100 });
  const base = { runId: 'r', t: 0 };
  view.onEvent({ ...base, type: 'run/start', experimentPath: 'x', runDir: 'd', seed: 1, backend: { name: 'cpu', package: 'p', gpu: false, skipped: [] }, sizes: { train: 10, valid: 2, test: 2, parameters: 5, stepsPerEpoch: 4, labels: {} }, config: { training: { epochs: 2 } } as never });
  view.onEvent({ ...base, t: 500, type: 'run/step', step: 1, epoch: 1, losses: {}, convergence: {}, total: 0.5, lr: 0.1, tau: 1, ms: 1 });
  assert.match(out, /\r\x1b\[2Kepoch 1\/2 \[#+\.+\] 1\/4  loss 0\.5000  τ 1\.00  ETA \d+s$/);
  view.onEvent({ ...base, type: 'run/done', summary: { status: 'completed', epochs: 2, steps: 8, bestEpoch: 2, best: { valid: { a: { accuracy: 0.5 } } }, last: { valid: { a: { accuracy: 0.5 } } }, gates: {}, durationMs: 1, backend: 'cpu' } });
  assert.ok(out.endsWith('\r\x1b[2K'));
});

test('summary table formats rates as percentages and errors as values', () => {
  const t = summaryTable({
    status: 'completed', epochs: 3, steps: 9, bestEpoch: 2,
    best: { valid: { s: { accuracy: 0.93125 }, m: { rmse: 312.4 }, _overall: { accuracy: 0.5 } }, test: { s: { accuracy: 0.9 }, m: { rmse: 300 } } },
    last: { valid: { s: { accuracy: 0.92 }, m: { rmse: 320 }, _overall: { accuracy: 0.4 } } },
    gates: {}, durationMs: 1, backend: 'cpu',
  });
  assert.equal(t, [
    'task     metric    valid@2  test  last valid',
    's        accuracy     93.1  90.0        92.0',
    'm        rmse          312   300         320',
    'overall  accuracy     50.0     –        40.0',
  ].join('\n'));
});

test('the bundled bin (dist/cli.js): validate exits 1 with located messages and no stack; usage exits 2', () => {
  const cli = path.join(root, 'dist', 'cli.js');
  assert.ok(fs.existsSync(cli), 'run `node esbuild.mjs` first');
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'x.fmtl.json'), '{\n  "name": "x",\n  "iterations": -1\n}\n');
  const r = spawnSync(process.execPath, [cli, 'validate', 'x.fmtl.json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^x\.fmtl\.json:3:17  iterations  'iterations' must be an integer >= 0, got -1$/m);
  assert.match(r.stderr, /^x\.fmtl\.json:1:1  data  missing required property 'data'$/m);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  const u = spawnSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /^fmtl: unknown command 'frobnicate'\nusage:/);
});

for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`the bundled bin stops on ${sig} like Ctrl-C: checkpoint of the last step, summary 'stopped', exit ${code} within 2 s`, async () => {
    const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-sig-'));
    const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    const exp = path.join(__dirname, '..', '..', '..', 'samples', 'penguins.fmtl.json');
    const p = spawn(process.execPath, [cli, 'train', exp, '--json', '--backend', 'cpu', '--runs-dir', runs], { stdio: ['ignore', 'pipe', 'ignore'] });
    let buf = '';
    let sentAt = 0;
    let lastStep = 0;
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const e = JSON.parse(l);
        if (e.type !== 'run/step') continue;
        lastStep = e.step;
        if (e.step >= 5 && !sentAt) { sentAt = performance.now(); p.kill(sig); }
      }
    });
    const exit = await new Promise<number | null>((res) => p.on('exit', (c) => res(c)));
    const ms = performance.now() - sentAt;
    assert.equal(exit, code);
    assert.ok(ms < 2000, `gone ${ms.toFixed(0)} ms after ${sig}`);
    const dir = path.join(runs, fs.readdirSync(runs)[0]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).status, 'stopped');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', 'last', 'model.json'), 'utf8')).userDefinedMetadata;
    assert.equal(meta.step, lastStep, 'the checkpoint holds the last step reported');
  });
}

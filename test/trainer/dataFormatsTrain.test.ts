// Smoke trains through the CLI (`fmtl train --json`), one per new data format: the shipped JSONL and
// CoNLL templates over their sample data, and a tabular JSONL made from the penguins CSV. Two
// epochs each on tiny data: the run completes and the training loss is finite and falls.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { cmdTrain, type CliIo } from '../../src/trainer/cli';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

const root = path.join(__dirname, '..', '..', '..');
const samples = path.join(root, 'samples');

function capture(cwd: string): CliIo & { stdout: () => string; stderr: () => string } {
  let o = '';
  let e = '';
  return {
    out: { write: (s: string) => { o += s; }, isTTY: false },
    err: { write: (s: string) => { e += s; }, isTTY: false, columns: 100 },
    cwd, stdout: () => o, stderr: () => e,
  };
}

/** Train `exp` (written into a temp folder beside copies of `files`) for 2 epochs; the epochs' summed train losses. */
async function smoke(exp: any, files: Record<string, string>): Promise<{ losses: number[]; events: TrainerEvent[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-formats-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, 'x.fmtl.json'), JSON.stringify(exp, null, 2));
  const io = capture(dir);
  const code = await cmdTrain(['x.fmtl.json', '--json', '--epochs', '2', '--backend', 'cpu', '--runs-dir', path.join(dir, 'runs')], io);
  assert.equal(code, 0, io.stderr() + io.stdout().slice(-2000));
  const events = io.stdout().trimEnd().split('\n').map((l) => JSON.parse(l) as TrainerEvent);
  const losses = events.flatMap((e) => (e.type === 'run/epoch' ? [Object.values(e.trainLoss).reduce((a, b) => a + b, 0)] : []));
  assert.equal(losses.length, 2);
  assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
  assert.ok(losses[1] < losses[0], `the loss falls: ${losses}`);
  return { losses, events };
}

/** A shipped template, made small (no early stopping: 2 epochs are asked for). */
function template(name: string): any {
  const exp = JSON.parse(fs.readFileSync(path.join(samples, name), 'utf8'));
  delete exp.training.earlyStopping;
  return exp;
}

test('smoke: the JSONL template trains from its sample file (intent + slots, K = 2)', async () => {
  const { events } = await smoke(template('intents-jsonl.fmtl.json'), { 'intents.jsonl': fs.readFileSync(path.join(samples, 'intents.jsonl'), 'utf8') });
  const done = events[events.length - 1];
  assert.ok(done.type === 'run/done' && typeof done.summary.best.test?.slots?.f1 === 'number', 'test slot F1 scored');
});

test('smoke: the CoNLL template trains from its sample file (intent from "# intent =", slots from a column)', async () => {
  await smoke(template('intents-conll.fmtl.json'), { 'intents.conll': fs.readFileSync(path.join(samples, 'intents.conll'), 'utf8') });
});

test('smoke: tabular JSONL (penguins as one object per line, NA as null) trains an MLP', async () => {
  const rows = parse(fs.readFileSync(path.join(samples, 'penguins.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const num = (v: string) => (v === 'NA' ? null : Number(v));
  const jsonl = rows.map((r) => JSON.stringify({ bill: num(r.bill_length_mm), flipper: num(r.flipper_length_mm), island: r.island, species: r.species, mass: num(r.body_mass_g) })).join('\n') + '\n';
  const exp = template('penguins.fmtl.json');
  exp.data = { format: 'jsonl', path: 'penguins.jsonl', features: ['bill', 'flipper'], categorical: ['island'], split: { valid: 0.2, test: 0.1 } };
  exp.tasks = [
    { id: 'species', kind: 'classification', label: 'species', blocks: [{ type: 'dense', units: 16 }] },
    { id: 'mass', kind: 'regression', label: 'mass', blocks: [{ type: 'dense', units: 16 }] },
  ];
  exp.feedback = [{ id: 'species-to-mass', from: 'species', to: 'mass', amplifier: { type: 'linear', units: 8 }, injection: 1 }];
  delete exp.layout;
  await smoke(exp, { 'penguins.jsonl': jsonl });
});

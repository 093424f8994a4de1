import test from 'node:test';
import assert from 'node:assert/strict';
import { applyOverrides, baselineOf, checkSweepAgainst, gridValues, isBaseline, parseJsonPath, parseSweep, validateSweep } from '../../src/shared/sweep';
import { lineColumn, parseExperiment } from '../../src/shared/experiment';
import * as fs from 'node:fs';
import * as path from 'node:path';

test('JSON paths: dotted keys and [indices]; anything else is refused', () => {
  assert.deepEqual(parseJsonPath('training.learningRate'), ['training', 'learningRate']);
  assert.deepEqual(parseJsonPath('tasks[1].blocks[0].units'), ['tasks', 1, 'blocks', 0, 'units']);
  assert.deepEqual(parseJsonPath('iterations'), ['iterations']);
  for (const bad of ['', '.a', 'a.', 'a..b', '[0]', 'a[x]', 'a[0]b', 'a b', 'a[-1]']) assert.equal(parseJsonPath(bad), undefined, bad);
});

test('grid values: linear and log spacing, ends exact, integers rounded', () => {
  assert.deepEqual(gridValues({ min: 0, max: 1, steps: 5 }), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(gridValues({ min: 0.001, max: 0.1, steps: 3, scale: 'log' }), [0.001, 0.01, 0.1]);
  assert.deepEqual(gridValues({ min: 8, max: 32, steps: 4, integer: true }), [8, 16, 24, 32]);
});

test('grid expansion: variants x axes, first axis slowest, runs seed-major, ids and labels exact', () => {
  const r = validateSweep({
    experiment: 'e.fmtl.json',
    seeds: { count: 2, start: 7 },
    variants: ['static', 'gumbel'],
    axes: [{ path: 'training.learningRate', name: 'lr', values: [0.01, 0.003] }, { path: 'iterations', range: { min: 1, max: 3, steps: 2, integer: true } }],
  });
  assert.deepEqual(r.errors, []);
  const s = r.sweep!;
  assert.deepEqual(s.seeds, [7, 8]);
  assert.deepEqual(s.cells.map((c) => c.id), [
    'static_lr-0.01_iterations-1', 'static_lr-0.01_iterations-3', 'static_lr-0.003_iterations-1', 'static_lr-0.003_iterations-3',
    'gumbel_lr-0.01_iterations-1', 'gumbel_lr-0.01_iterations-3', 'gumbel_lr-0.003_iterations-1', 'gumbel_lr-0.003_iterations-3',
  ]);
  assert.equal(s.cells[2].label, 'variant=static, lr=0.003, iterations=1');
  assert.deepEqual(s.cells[2].overrides, [{ path: ['training', 'learningRate'], value: 0.003 }, { path: ['iterations'], value: 1 }]);
  assert.equal(s.runs.length, 16);
  // Every cell's first seed before any cell's second: a half-finished sweep holds whole pairs.
  assert.deepEqual(s.runs.slice(0, 2), [
    { cellId: 'static_lr-0.01_iterations-1', seed: 7, key: 'static_lr-0.01_iterations-1/seed-7' },
    { cellId: 'static_lr-0.01_iterations-3', seed: 7, key: 'static_lr-0.01_iterations-3/seed-7' },
  ]);
  assert.deepEqual(s.runs.slice(7, 9).map((r) => r.key), ['gumbel_lr-0.003_iterations-3/seed-7', 'static_lr-0.01_iterations-1/seed-8']);
  // Default baseline with a static variant: static, paired on the other axes.
  assert.deepEqual(s.baseline, { variant: 'static' });
  assert.equal(baselineOf(s, s.cells[6])!.id, 'static_lr-0.003_iterations-1');
  assert.equal(baselineOf(s, s.cells[2]), undefined);
  assert.equal(isBaseline(s, s.cells[2]), true);
  assert.equal(isBaseline(s, s.cells[6]), false);
});

test('seeds only: one cell named base; a full baseline names one cell for all', () => {
  const a = validateSweep({ experiment: 'e.fmtl.json', seeds: [3, 1] }).sweep!;
  assert.deepEqual(a.cells.map((c) => [c.id, c.label]), [['base', 'base']]);
  assert.deepEqual(a.runs.map((r) => r.key), ['base/seed-3', 'base/seed-1']);
  const b = validateSweep({ experiment: 'e.fmtl.json', seeds: [1], axes: [{ path: 'iterations', values: [1, 2, 3] }], baseline: { iterations: 2 } }).sweep!;
  assert.deepEqual(b.cells.map((c) => baselineOf(b, c)?.id), ['iterations-2', undefined, 'iterations-2']);
  // Without baseline and without a static variant: the first cell.
  const c = validateSweep({ experiment: 'e.fmtl.json', seeds: [1], axes: [{ path: 'iterations', values: [1, 2] }] }).sweep!;
  assert.deepEqual(c.baseline, { iterations: 1 });
});

test('random search: budget distinct points, seeded, log ranges inside bounds, 4 significant digits', () => {
  const file = { experiment: 'e.fmtl.json', seeds: [1], search: { type: 'random', budget: 6, seed: 3 }, axes: [{ path: 'training.learningRate', range: { min: 1e-4, max: 1e-1, scale: 'log' } }, { path: 'iterations', values: [1, 2] }] };
  const a = validateSweep(file).sweep!;
  const b = validateSweep(file).sweep!;
  assert.equal(a.cells.length, 6);
  assert.deepEqual(a.cells.map((c) => c.id), b.cells.map((c) => c.id));
  for (const c of a.cells) {
    const lr = c.values.learningRate as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-1, String(lr));
    assert.equal(lr, Number(lr.toPrecision(4)));
  }
  assert.equal(new Set(a.cells.map((c) => c.id)).size, 6);
  const other = validateSweep({ ...file, search: { type: 'random', budget: 6, seed: 4 } }).sweep!;
  assert.notDeepEqual(other.cells.map((c) => c.id), a.cells.map((c) => c.id));
});

test('errors carry JSON paths and, from text, their line', () => {
  const text = `{
  // a comment
  "experiment": "e.fmtl.json",
  "seeds": [1, 1, -2],
  "variants": ["static", "feedback"],
  "axes": [
    { "path": "training..lr", "values": [1] },
    { "path": "iterations", "range": { "min": 3, "max": 1 } },
    { "path": "x", "values": [] , "extra": 1 }
  ],
  "baseline": { "variant": "fixed" },
  "colour": "red"
}`;
  const r = parseSweep(text);
  const got = r.errors.map((e) => `${lineColumn(text, e.offset!).line} ${e.pathText}: ${e.message}`);
  assert.deepEqual(got, [
    "12 colour: unknown key 'colour' (known: name, description, experiment, seeds, variants, axes, search, baseline, epochs)",
    '4 seeds[2]: a seed is an integer >= 0 (got -2)',
    '4 seeds[1]: seed 1 is listed twice',
    '5 variants[1]: unknown variant "feedback" (known: static, fixed, gumbel, asWritten)',
    "7 axes[0].path: 'training..lr' is not a JSON path (write it like training.learningRate or tasks[1].blocks[0].units)",
    '8 axes[1].range.max: must be greater than min (3)',
    "8 axes[1].range: a range in a grid search needs 'steps': how many values, ends included",
    "9 axes[2].extra: unknown key 'extra' (known: path, name, values, range)",
    '9 axes[2].values: must be a non-empty list',
  ]);
  assert.equal(r.sweep, undefined);
  assert.match(parseSweep('{ "experiment": ').errors[0].message, /^JSON syntax error/);
  assert.deepEqual(validateSweep({ seeds: [1] }).errors.map((e) => e.message), ["missing 'experiment': the path of the base *.fmtl.json, relative to this file"]);
  assert.deepEqual(validateSweep({ experiment: 'e', seeds: [1], variants: ['static'], baseline: { variant: 'gumbel', lr: 1 } }).errors.map((e) => `${e.pathText}: ${e.message}`), [
    "baseline.variant: no cell has variant=gumbel (values: static)",
    "baseline.lr: 'lr' is not an axis of this sweep (axes: variant)",
  ]);
  assert.deepEqual(validateSweep({ experiment: 'e', seeds: [1], axes: [{ path: 'a', range: { min: 0, max: 1 } }] }).errors.map((e) => `${e.pathText}: ${e.message}`), [
    "axes[0].range: a range in a grid search needs 'steps': how many values, ends included",
  ]);
});

test('checked against the experiment: a missing path and a value that breaks it are located at the axis', () => {
  const expText = fs.readFileSync(path.join(__dirname, '../../../samples/penguins-quick.fmtl.json'), 'utf8');
  const exp = parseExperiment(expText).experiment!;
  const text = `{
  "experiment": "penguins-quick.fmtl.json",
  "seeds": [1],
  "axes": [
    { "path": "training.learningRate", "values": [0.01, -1] },
    { "path": "tasks[9].blocks", "values": [[]] }
  ]
}`;
  const s = parseSweep(text).sweep!;
  const issues = checkSweepAgainst(s, exp, text);
  assert.deepEqual(issues.map((e) => `${lineColumn(text, e.offset!).line} ${e.pathText}: ${e.message}`), [
    `5 axes[0].values[1]: training.learningRate=-1 makes the experiment invalid: training.learningRate: ${issues[0].message.split(': ').slice(2).join(': ')}`,
    "6 axes[1].path: the experiment has nothing at 'tasks[9]' (it has 3 entries)",
  ]);
  assert.match(issues[0].message, /learningRate=-1 makes the experiment invalid: training\.learningRate: ./);
  const ok = parseSweep('{ "experiment": "x", "seeds": [1], "axes": [{ "path": "tasks[1].blocks[0].units", "values": [4, 8] }] }').sweep!;
  assert.deepEqual(checkSweepAgainst(ok, exp), []);
  const applied = applyOverrides(exp, ok.cells[1].overrides);
  assert.equal(applied.tasks[1].blocks[0].units, 8);
  assert.equal(exp.tasks[1].blocks[0].units, 16, 'the base experiment is not touched');
});

test('an axis path must name a setting: no key the experiment ignores, nothing that reaches a prototype', () => {
  const exp = parseExperiment(fs.readFileSync(path.join(__dirname, '../../../samples/penguins-quick.fmtl.json'), 'utf8')).experiment!;
  const check = (p: string) => {
    const text = `{ "experiment": "x", "seeds": [1], "axes": [{ "path": "${p}", "values": [1, 2] }] }`;
    return checkSweepAgainst(parseSweep(text).sweep!, exp, text).map((e) => `${e.pathText}: ${e.message}`);
  };
  assert.deepEqual(check('training.lerningRate'), ["axes[0].path: 'training.lerningRate' is not a setting of the experiment: unknown property 'lerningRate' (did you mean 'learningRate'?), so every cell would train the same"]);
  for (const p of ['__proto__.polluted', 'training.__proto__.polluted', 'training.constructor.prototype.x']) {
    assert.match(check(p)[0], /^axes\[0\]\.path: '(__proto__|constructor)' is not a setting of the experiment/, p);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
  assert.throws(() => applyOverrides(exp, [{ path: ['__proto__', 'polluted'], value: 1 }]), /not a setting/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(check('training.clipNorm'), [], 'an optional setting the base leaves out can be swept');
});

test('media/fmtl-sweep.schema.json names the same keys validate() knows', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../media/fmtl-sweep.schema.json'), 'utf8'));
  const known = /known: ([^)]*)\)/.exec(validateSweep({ experiment: 'e', seeds: [1], zzz: 1 }).errors[0].message)![1].split(', ');
  assert.deepEqual(Object.keys(schema.properties).filter((k) => k !== '$schema').sort(), [...known].sort());
  const axisKnown = /known: ([^)]*)\)/.exec(validateSweep({ experiment: 'e', seeds: [1], axes: [{ path: 'a', values: [1], zzz: 1 }] }).errors[0].message)![1].split(', ');
  assert.deepEqual(Object.keys(schema.definitions.axis.properties).sort(), [...axisKnown].sort());
  assert.deepEqual(schema.properties.variants.items.enum, ['static', 'fixed', 'gumbel', 'asWritten']);
});

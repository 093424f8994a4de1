import test from 'node:test';
import assert from 'node:assert/strict';
import {
  formatIssue, formatPath, lineColumn, parseExperiment, validateExperiment, withDefaults, type ExperimentIssue,
} from '../../src/shared/experiment';
import type { Experiment } from '../../src/shared/experimentTypes';

/** A valid SLU experiment (intent + slots with feedback both ways). */
function slu(): any {
  return {
    name: 'snips',
    data: { format: 'slu', path: 'data/snips' },
    encoder: { type: 'bigru', embeddingDim: 16, hidden: 16 },
    tasks: [
      { id: 'intent', kind: 'classification', label: 'label', blocks: [{ type: 'dense', units: 16 }, { type: 'dense', units: 16 }] },
      { id: 'slots', kind: 'tagging', label: 'seq.out', blocks: [{ type: 'bigru', units: 16 }, { type: 'dense', units: 16 }] },
    ],
    feedback: [
      { id: 'i2s', from: 'intent', to: 'slots', amplifier: { type: 'label-embedding', units: 8 }, injection: 'gumbel' },
      { id: 's2i', from: 'slots', to: 'intent', amplifier: { type: 'linear', units: 8 }, injection: 1 },
    ],
    iterations: 3,
    convergence: { beta: 0.5, lambda: 0.5 },
    gumbel: { tau0: 1, tauMin: 0.1 },
    training: { epochs: 2, batchSize: 8, optimizer: 'adam', learningRate: 0.001, seed: 1, earlyStopping: { metric: 'overall', patience: 2 } },
    lossWeighting: { type: 'fixed' },
  };
}

/** A valid CSV experiment. */
function csv(): any {
  return {
    name: 'penguins',
    data: { format: 'csv', path: 'penguins.csv', features: ['bill_length_mm', 'flipper_length_mm'], categorical: ['island'] },
    encoder: { type: 'mlp', hidden: [16] },
    tasks: [
      { id: 'species', kind: 'classification', label: 'species', blocks: [{ type: 'dense', units: 8 }, { type: 'dense', units: 8 }] },
      { id: 'mass', kind: 'regression', label: 'body_mass_g', blocks: [{ type: 'dense', units: 8 }] },
    ],
    feedback: [{ id: 'sp2m', from: 'species', to: 'mass', amplifier: { type: 'linear', units: 4 }, injection: 1 }],
    iterations: 2,
    convergence: { beta: 0.5, lambda: 0.1 },
    gumbel: { tau0: 1, tauMin: 0.5 },
    training: { epochs: 3, batchSize: 16, optimizer: 'adam', learningRate: 0.01, seed: 7, earlyStopping: { metric: 'mass.rmse', patience: 3 } },
    lossWeighting: { type: 'fixed' },
  };
}

const errors = (x: unknown, opts = {}) => validateExperiment(x, opts).filter((i) => i.severity === 'error');
const warnings = (x: unknown) => validateExperiment(x).filter((i) => i.severity === 'warning');

/** Exactly one error, at `pathText`, whose message matches `re`. */
function expectError(x: unknown, pathText: string, re: RegExp, opts = {}): ExperimentIssue {
  const errs = errors(x, opts);
  assert.equal(errs.length, 1, `expected one error, got: ${JSON.stringify(errs, null, 1)}`);
  assert.equal(errs[0].pathText, pathText);
  assert.match(errs[0].message, re);
  return errs[0];
}

function mutate(base: () => any, f: (x: any) => void): any {
  const x = base();
  f(x);
  return x;
}

test('valid samples have no issues', () => {
  assert.deepEqual(validateExperiment(slu()), []);
  assert.deepEqual(validateExperiment(csv()), []);
});

test('good file round trip: parse -> defaults, values as written are kept', () => {
  const text = `// comment\n${JSON.stringify(slu(), null, 2).replace(/\n}$/, ',\n}')}`; // comment + trailing comma
  const r = parseExperiment(text);
  assert.deepEqual(r.errors, []);
  const e = r.experiment!;
  assert.equal(e.iterations, 3);
  assert.deepEqual(e.data, { format: 'slu', path: 'data/snips', splits: { train: 'train', valid: 'valid', test: 'test' }, lowercase: true, minFreq: 1, maxLength: 64 });
  assert.deepEqual(e.feedback[0].candidates, [1, 2]);
  assert.equal(e.feedback[0].combine, 'concat');
  assert.equal(e.feedback[1].enabled, true);
  assert.equal(e.feedback[1].candidates, undefined);
  assert.equal(e.tasks[0].lossWeight, 1);
  assert.equal(e.tasks[0].blocks[0].activation, 'relu');
  assert.equal(e.convergence.startK, 1);
  assert.equal(e.convergence.dropoutMasks, 'shared');
  assert.equal(e.gumbel.anneal, 'exp');
  assert.equal(e.gumbel.hard, false);
  assert.equal(e.training.logEvery, 10);
  assert.equal(e.training.earlyStopping!.mode, 'max');
  // Defaults are idempotent and never change what is written.
  assert.deepEqual(withDefaults(e), e);
  assert.deepEqual(validateExperiment(e), []);
});

test('csv defaults: split seed follows the training seed; rmse stops on min', () => {
  const e = withDefaults(csv() as Experiment);
  assert.deepEqual(e.data, { format: 'csv', path: 'penguins.csv', features: ['bill_length_mm', 'flipper_length_mm'], categorical: ['island'], split: { valid: 0.15, test: 0.15, seed: 7 }, missing: ['NA', ''] });
  assert.equal(e.training.earlyStopping!.mode, 'min');
  assert.equal(e.encoder.type === 'mlp' && e.encoder.activation, 'relu');
});

test('syntax errors carry an offset and a line', () => {
  const text = '{\n  "name": "x",\n  "iterations": 3 \n  "tasks": []\n}';
  const r = parseExperiment(text);
  assert.equal(r.experiment, undefined);
  assert.ok(r.errors.length >= 1);
  assert.match(r.errors[0].message, /JSON syntax error: ',' expected/);
  assert.equal(lineColumn(text, r.errors[0].offset!).line, 4);
  assert.match(parseExperiment('').errors[0].message, /syntax|empty/);
});

test('issues point at the offending node, or the nearest parent key when missing', () => {
  const x = slu();
  x.feedback[1].to = 'intnet';
  delete x.training.epochs;
  const text = JSON.stringify(x, null, 2);
  const r = parseExperiment(text);
  assert.equal(r.experiment, undefined);
  const to = r.errors.find((e) => e.pathText === 'feedback[1].to')!;
  assert.match(to.message, /unknown task 'intnet' \(did you mean 'intent'\?\)/);
  assert.equal(text.slice(to.offset!, to.offset! + to.length!), '"intnet"');
  const ep = r.errors.find((e) => e.pathText === 'training.epochs')!;
  assert.match(ep.message, /missing required property 'epochs'/);
  assert.equal(text.slice(ep.offset!, ep.offset! + ep.length!), '"training"');
  const line = formatIssue(to, 'snips.fmtl.json', text);
  const lc = lineColumn(text, to.offset!);
  assert.equal(line, `snips.fmtl.json:${lc.line}:${lc.column}  feedback[1].to  unknown task 'intnet' (did you mean 'intent'?)`);
});

test('unknown properties are warnings pointing at the key, with a suggestion', () => {
  const x = slu();
  x.training.learningrate = 0.1;
  const text = JSON.stringify(x);
  const r = parseExperiment(text);
  assert.ok(r.experiment, 'warnings do not block');
  const w = r.errors.find((e) => e.pathText === 'training.learningrate')!;
  assert.equal(w.severity, 'warning');
  assert.match(w.message, /did you mean 'learningRate'/);
  assert.equal(text.slice(w.offset!, w.offset! + w.length!), '"learningrate"');
});

test('not an object / wrong types / missing required', () => {
  expectError([], '', /must be a JSON object/);
  expectError(mutate(slu, (x) => { x.name = 3; }), 'name', /must be a string/);
  expectError(mutate(slu, (x) => { delete x.convergence; }), 'convergence', /missing required/);
  expectError(mutate(slu, (x) => { x.tasks = {}; }), 'tasks', /must be an array/);
  expectError(mutate(slu, (x) => { x.tasks[0].kind = 'clasification'; }), 'tasks[0].kind', /did you mean 'classification'/);
  expectError(mutate(slu, (x) => { x.encoder.hidden = 12.5; }), 'encoder.hidden', /integer >= 1, got 12.5/);
  expectError(mutate(slu, (x) => { x.feedback[0].amplifier.type = 'attention'; }), 'feedback[0].amplifier.type', /one of 'linear', 'mlp', 'label-embedding'/);
  expectError(mutate(slu, (x) => { x.feedback[0].enabled = 'yes'; }), 'feedback[0].enabled', /true or false/);
  expectError(mutate(slu, (x) => { delete x.feedback[0].injection; }), 'feedback[0].injection', /missing required/);
  expectError(mutate(slu, (x) => { x.feedback[0].injection = 'first'; }), 'feedback[0].injection', /block number.*or 'gumbel'/);
  assert.ok(errors(mutate(slu, (x) => { x.tasks = []; })).some((e) => e.pathText === 'tasks' && /at least one task/.test(e.message)));
  expectError(mutate(slu, (x) => { x.layout = { nodes: { intent: { x: 1 } } }; }), 'layout.nodes.intent.y', /missing/);
});

test('ids: duplicates, invalid, reserved', () => {
  expectError(mutate(slu, (x) => { x.tasks[1].id = 'intent'; x.feedback = []; x.iterations = 0; x.training.earlyStopping.metric = 'intent.accuracy'; }), 'tasks[1].id', /duplicate task id 'intent'/);
  expectError(mutate(slu, (x) => { x.feedback[1].id = 'i2s'; }), 'feedback[1].id', /duplicate arrow id/);
  expectError(mutate(slu, (x) => { x.feedback[1].id = '2nd arrow'; }), 'feedback[1].id', /invalid arrow id/);
  const bad = mutate(slu, (x) => { x.tasks[0].id = 'in tent'; });
  assert.ok(errors(bad).some((e) => e.pathText === 'tasks[0].id' && /invalid task id/.test(e.message)));
  assert.ok(errors(mutate(slu, (x) => { x.tasks[0].id = 'encoder'; })).some((e) => /reserved/.test(e.message)));
});

test('arrows: unknown tasks, self-loops, duplicates', () => {
  expectError(mutate(slu, (x) => { x.feedback[0].from = 'nope'; }), 'feedback[0].from', /unknown task 'nope'/);
  expectError(mutate(slu, (x) => { x.feedback[1].from = 'intent'; x.feedback[1].to = 'intent'; x.feedback[1].amplifier.type = 'linear'; }), 'feedback[1].to', /self-loop/);
  expectError(mutate(slu, (x) => { x.feedback.push({ ...x.feedback[0], id: 'again' }); }), 'feedback[2]', /duplicate arrow intent -> slots/);
});

test('injection block and candidates range', () => {
  expectError(mutate(slu, (x) => { x.feedback[1].injection = 3; }), 'feedback[1].injection', /block 3 is out of range: task 'intent' has 2 blocks \(1..2\)/);
  expectError(mutate(slu, (x) => { x.feedback[1].injection = 0; }), 'feedback[1].injection', />= 1, got 0/);
  expectError(mutate(slu, (x) => { x.feedback[0].candidates = [1, 5]; }), 'feedback[0].candidates[1]', /block 5 is out of range/);
  expectError(mutate(slu, (x) => { x.feedback[0].candidates = [2, 2, 1]; }), 'feedback[0].candidates[1]', /listed twice/);
  expectError(mutate(slu, (x) => { x.feedback[0].candidates = []; }), 'feedback[0].candidates', /no candidate blocks/);
  const one = mutate(slu, (x) => { x.feedback[0].candidates = [2]; });
  assert.deepEqual(errors(one), []);
  assert.match(warnings(one)[0].message, /nothing to choose/);
  const noBlocks = mutate(slu, (x) => { x.tasks[0].blocks = []; });
  expectError(noBlocks, 'feedback[1].injection', /task 'intent' has no blocks/);
  assert.match(warnings(mutate(slu, (x) => { x.feedback[1].candidates = [1]; }))[0].message, /only used with injection 'gumbel'/);
});

test('iterations K, beta, lambda, taus', () => {
  expectError(mutate(slu, (x) => { x.iterations = 0; }), 'iterations', /K must be an integer >= 1 when feedback arrows are enabled/);
  expectError(mutate(slu, (x) => { x.iterations = 1.5; }), 'iterations', /integer/);
  // K = 0 is fine without enabled arrows.
  assert.deepEqual(errors(mutate(slu, (x) => { x.iterations = 0; x.feedback.forEach((f: any) => { f.enabled = false; }); })), []);
  assert.match(warnings(mutate(slu, (x) => { x.feedback = []; }))[0].message, /no enabled feedback arrows/);
  expectError(mutate(slu, (x) => { x.convergence.beta = 1; }), 'convergence.beta', /> 0 and < 1, got 1/);
  expectError(mutate(slu, (x) => { x.convergence.beta = 0; }), 'convergence.beta', /> 0 and < 1/);
  expectError(mutate(slu, (x) => { x.convergence.lambda = -0.1; }), 'convergence.lambda', />= 0/);
  expectError(mutate(slu, (x) => { x.convergence.startK = 2; }), 'convergence.startK', /0 or 1/);
  assert.match(warnings(mutate(slu, (x) => { x.iterations = 1; }))[0].message, /convergence sum has no terms/);
  expectError(mutate(slu, (x) => { x.gumbel.tauMin = 2; }), 'gumbel.tauMin', /must not exceed tau0/);
  expectError(mutate(slu, (x) => { x.gumbel.tau0 = 0; }), 'gumbel.tau0', /> 0/);
  assert.equal(errors(mutate(slu, (x) => { x.gumbel.tau0 = -1; x.gumbel.tauMin = -2; })).length, 2);
});

test('training numbers must be positive', () => {
  expectError(mutate(slu, (x) => { x.training.epochs = 0; }), 'training.epochs', />= 1/);
  expectError(mutate(slu, (x) => { x.training.batchSize = -4; }), 'training.batchSize', />= 1/);
  expectError(mutate(slu, (x) => { x.training.learningRate = 0; }), 'training.learningRate', /> 0/);
  expectError(mutate(slu, (x) => { x.training.optimizer = 'adamw'; }), 'training.optimizer', /did you mean 'adam'/);
  expectError(mutate(slu, (x) => { x.training.seed = -1; }), 'training.seed', />= 0/);
  expectError(mutate(slu, (x) => { x.training.earlyStopping.patience = 0; }), 'training.earlyStopping.patience', />= 1/);
  expectError(mutate(slu, (x) => { x.encoder.dropout = 1; }), 'encoder.dropout', /< 1/);
  expectError(mutate(csv, (x) => { x.data.split = { valid: 0.5, test: 0.5 }; }), 'data.split', /no training rows/);
});

test('label-embedding needs a classification/tagging source', () => {
  expectError(mutate(csv, (x) => {
    x.feedback = [{ id: 'm2s', from: 'mass', to: 'species', amplifier: { type: 'label-embedding', units: 4 }, injection: 2 }];
  }), 'feedback[0].amplifier.type', /'mass' is a regression task \(no label distribution\)/);
});

test('level and format alignment', () => {
  // Tagging on CSV: no tokens.
  expectError(mutate(csv, (x) => { x.tasks[1].kind = 'tagging'; x.training.earlyStopping.metric = 'species.accuracy'; }), 'tasks[1].kind', /CSV data has no tokens/);
  // Token-level block on tabular data.
  expectError(mutate(csv, (x) => { x.tasks[0].blocks[0].type = 'bigru'; }), 'tasks[0].blocks[0].type', /tabular/);
  // Encoder must match the data.
  expectError(mutate(csv, (x) => { x.encoder = { type: 'bigru', embeddingDim: 8, hidden: 8 }; }), 'encoder.type', /use 'mlp'/);
  expectError(mutate(slu, (x) => { x.encoder = { type: 'mlp', hidden: [8] }; }), 'encoder.type', /use 'bigru'/);
  // SLU label files and kinds.
  expectError(mutate(slu, (x) => { x.tasks[1].label = 'label'; }), 'tasks[1].label', /'seq.out'/);
  expectError(mutate(slu, (x) => { x.tasks[0].label = 'seq.out'; }), 'tasks[0].label', /'label' file/);
  assert.ok(errors(mutate(slu, (x) => { x.tasks[0].kind = 'regression'; })).some((e) => e.pathText === 'tasks[0].kind' && /regression' needs CSV/.test(e.message)));
  // A bigru block in a sentence-level tower.
  expectError(mutate(slu, (x) => { x.tasks[0].blocks[0].type = 'bigru'; }), 'tasks[0].blocks[0].type', /sentence-level/);
  // Sentence -> token broadcast and token -> sentence pooling are fine (the base sample has both).
  assert.deepEqual(errors(slu()), []);
});

test('CSV: a label column used as an input is leakage', () => {
  expectError(mutate(csv, (x) => { x.data.features.push('body_mass_g'); }), 'tasks[1].label', /see its own target/);
  expectError(mutate(csv, (x) => { x.data.categorical.push('bill_length_mm'); }), 'data.categorical[1]', /both a numeric feature and a categorical/);
});

test("combine 'add' needs matching widths", () => {
  expectError(mutate(csv, (x) => { x.feedback[0].combine = 'add'; }), 'feedback[0].amplifier.units', /input width of mass block 1 \(16\), got 4/);
  assert.deepEqual(errors(mutate(csv, (x) => { x.feedback[0].combine = 'add'; x.feedback[0].amplifier.units = 16; })), []);
  // BiGRU encoder (hidden 16): token towers see 2 x 16, sentence towers the mean+max pool 4 x 16.
  expectError(mutate(slu, (x) => { x.feedback[1].combine = 'add'; x.feedback[1].amplifier.units = 32; }), 'feedback[1].amplifier.units', /intent block 1 \(64\), got 32/);
  assert.deepEqual(errors(mutate(slu, (x) => { x.feedback[1].combine = 'add'; x.feedback[1].amplifier.units = 64; })), []);
  expectError(mutate(slu, (x) => { x.feedback[0].combine = 'add'; x.feedback[0].candidates = [1]; }), 'feedback[0].amplifier.units', /slots block 1 \(32\), got 8/);
  // bigru block output is 2 x units (block 2 of slots reads 32).
  expectError(mutate(slu, (x) => { x.feedback[0].combine = 'add'; x.feedback[0].candidates = [2]; x.feedback[0].amplifier.units = 16; }), 'feedback[0].amplifier.units', /slots block 2 \(32\), got 16/);
});

test('early-stopping metric names', () => {
  expectError(mutate(csv, (x) => { x.training.earlyStopping.metric = 'overall'; }), 'training.earlyStopping.metric', /needs text data/);
  expectError(mutate(slu, (x) => { x.training.earlyStopping.metric = 'intent.f1'; }), 'training.earlyStopping.metric', /'f1' is not a metric of classification task 'intent'.*'intent.accuracy'/);
  expectError(mutate(slu, (x) => { x.training.earlyStopping.metric = 'slot.f1'; }), 'training.earlyStopping.metric', /unknown task 'slot' \(did you mean 'slots'\?\)/);
  expectError(mutate(slu, (x) => { x.training.earlyStopping.metric = 'accuracy'; }), 'training.earlyStopping.metric', /'<taskId>.<metric>'/);
  assert.deepEqual(errors(mutate(slu, (x) => { x.training.earlyStopping.metric = 'slots.f1'; })), []);
  assert.match(warnings(mutate(csv, (x) => { x.training.earlyStopping.mode = 'max'; }))[0].message, /lower is better/);
});

test('missing data files via fileExists', () => {
  const have = new Set(['data/snips/train/seq.in', 'data/snips/train/seq.out', 'data/snips/train/label',
    'data/snips/valid/seq.in', 'data/snips/valid/seq.out', 'data/snips/valid/label',
    'data/snips/test/seq.in', 'data/snips/test/label']);
  const asked: string[] = [];
  const fileExists = (p: string) => { asked.push(p); return have.has(p); };
  const e = expectError(slu(), 'tasks[1].label', /data file not found: 'data\/snips\/test\/seq.out', relative to the experiment file \(label file of task 'slots', split 'test'\).*no test split/, { fileExists });
  assert.ok(e);
  assert.equal(asked.length, 9);
  // Explicit splits without test: nothing missing.
  assert.deepEqual(errors(mutate(slu, (x) => { x.data.splits = { train: 'train', valid: 'valid' }; }), { fileExists }), []);
  expectError(csv(), 'data.path', /CSV file not found: 'penguins.csv'/, { fileExists: () => false });
  assert.deepEqual(errors(csv(), { fileExists: (p: string) => p === 'penguins.csv' }), []);
});

test('every error is returned at once', () => {
  const x = slu();
  x.iterations = 0;
  x.convergence.beta = 2;
  x.feedback[0].to = 'nobody';
  x.training.epochs = 'ten';
  const paths = errors(x).map((e) => e.pathText).sort();
  assert.deepEqual(paths, ['convergence.beta', 'feedback[0].to', 'iterations', 'training.epochs']);
});

test('formatPath and lineColumn', () => {
  assert.equal(formatPath(['feedback', 0, 'amplifier', 'units']), 'feedback[0].amplifier.units');
  assert.equal(formatPath([]), '');
  assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
  assert.deepEqual(lineColumn('ab', 0), { line: 1, column: 1 });
});

test("task output: 'crf' only on tagging tasks, an unknown output named", () => {
  assert.deepEqual(errors(mutate(slu, (x) => { x.tasks[1].output = 'crf'; })), []);
  assert.deepEqual(errors(mutate(slu, (x) => { x.tasks[1].output = 'softmax'; x.tasks[0].output = 'softmax'; })), []);
  expectError(mutate(slu, (x) => { x.tasks[0].output = 'crf'; }), 'tasks[0].output', /not a tagging task/);
  expectError(mutate(slu, (x) => { x.tasks[1].output = 'CRF'; }), 'tasks[1].output', /one of 'softmax', 'crf'.*did you mean 'crf'/);
  expectError(mutate(slu, (x) => { x.tasks[1].output = true; }), 'tasks[1].output', /one of/);
});

test("tokenLevel: classification over text only; 'vote' needs it; a bigru block is then allowed", () => {
  const ok = mutate(slu, (x) => { x.tasks[0].tokenLevel = true; x.tasks[0].vote = 'majority'; x.tasks[0].blocks[0].type = 'bigru'; });
  assert.deepEqual(errors(ok), []);
  expectError(mutate(slu, (x) => { x.tasks[1].tokenLevel = true; }), 'tasks[1].tokenLevel', /classification tasks.*per token already/);
  expectError(mutate(slu, (x) => { x.tasks[0].tokenLevel = 'yes'; }), 'tasks[0].tokenLevel', /true or false/);
  expectError(mutate(slu, (x) => { x.tasks[0].tokenLevel = true; x.tasks[0].vote = 'max'; }), 'tasks[0].vote', /'mean', 'majority'/);
  expectError(mutate(csv, (x) => { x.tasks[0].tokenLevel = true; }), 'tasks[0].tokenLevel', /CSV/);
  assert.ok(warnings(mutate(slu, (x) => { x.tasks[0].vote = 'mean'; })).some((w) => w.pathText === 'tasks[0].vote'));
  expectError(mutate(slu, (x) => { x.tasks[0].blocks[0].type = 'bigru'; }), 'tasks[0].blocks[0].type', /"tokenLevel": true/);
  // 'add' feedback into a token-level tower must match the token width (2 x hidden), not the pooled one.
  const add = (units: number) => mutate(slu, (x) => {
    x.tasks[0].tokenLevel = true;
    x.feedback[1] = { id: 's2i', from: 'slots', to: 'intent', amplifier: { type: 'linear', units }, injection: 1, combine: 'add' };
  });
  assert.deepEqual(errors(add(32)), []);
  expectError(add(64), 'feedback[1].amplifier.units', /\(32\)/);
});

test('encoder.attention: heads, dim (a multiple of heads), dropout, combine; widths for combine add', () => {
  const withAtt = (a: unknown) => mutate(slu, (x) => { x.encoder.attention = a; });
  assert.deepEqual(errors(withAtt({ heads: 4, dim: 32, dropout: 0.1, combine: 'add' })), []);
  expectError(withAtt({ heads: 3, dim: 32 }), 'encoder.attention.dim', /multiple of 'heads'/);
  expectError(withAtt({ heads: 0, dim: 32 }), 'encoder.attention.heads', />= 1/);
  expectError(withAtt({ dim: 32 }), 'encoder.attention.heads', /missing required/);
  expectError(withAtt({ heads: 2, dim: 32, dropout: 1 }), 'encoder.attention.dropout', /< 1/);
  expectError(withAtt({ heads: 2, dim: 32, combine: 'sum' }), 'encoder.attention.combine', /'concat', 'add'/);
  expectError(withAtt(4), 'encoder.attention', /must be an object/);
  assert.ok(warnings(withAtt({ heads: 2, dim: 32, head: 1 })).some((w) => w.pathText === 'encoder.attention.head'));
  // combine 'add' into slots block 1 must match the token width: 2 x 16 + 8 with concatenated attention.
  const add = (units: number) => mutate(slu, (x) => {
    x.encoder.attention = { heads: 2, dim: 8 };
    x.feedback[0] = { id: 'i2s', from: 'intent', to: 'slots', amplifier: { type: 'linear', units }, injection: 1, combine: 'add' };
  });
  assert.deepEqual(errors(add(40)), []);
  expectError(add(32), 'feedback[0].amplifier.units', /\(40\)/);
});

test("'bilstm' encoder and block: the same options and rules as 'bigru'", () => {
  const lstm = mutate(slu, (x) => { x.encoder.type = 'bilstm'; x.encoder.attention = { heads: 2, dim: 8 }; x.tasks[1].blocks[0].type = 'bilstm'; });
  assert.deepEqual(errors(lstm), []);
  expectError(mutate(slu, (x) => { x.encoder.type = 'bilstn'; }), 'encoder.type', /'bigru', 'bilstm', 'cnn', 'transformer', 'mlp'.*did you mean 'bilstm'/);
  expectError(mutate(csv, (x) => { x.encoder = { type: 'bilstm', embeddingDim: 8, hidden: 8 }; }), 'encoder.type', /'bilstm' encoder reads token sequences/);
  expectError(mutate(slu, (x) => { x.tasks[0].blocks[0].type = 'bilstm'; }), 'tasks[0].blocks[0].type', /'bilstm' block runs over tokens/);
  expectError(mutate(csv, (x) => { x.tasks[0].blocks[0].type = 'bilstm'; }), 'tasks[0].blocks[0].type', /tabular/);
  // A bilstm block feeds 2 x units to the block above it ('add' width check).
  const add = (units: number) => mutate(slu, (x) => {
    x.encoder.type = 'bilstm'; x.tasks[1].blocks[0].type = 'bilstm';
    x.feedback[0] = { id: 'i2s', from: 'intent', to: 'slots', amplifier: { type: 'linear', units }, injection: 2, combine: 'add' };
  });
  assert.deepEqual(errors(add(32)), []);
  expectError(add(16), 'feedback[0].amplifier.units', /\(32\)/);
});

test("'cnn' encoder: options, shared text input (chars, wordDropout), a located error for every wrong option, widths for towers", () => {
  const cnn = (e: object) => mutate(slu, (x) => { x.encoder = { type: 'cnn', embeddingDim: 16, filters: 8, ...e }; });
  assert.deepEqual(validateExperiment(cnn({})), []);
  assert.deepEqual(validateExperiment(cnn({ widths: [1, 3, 5], layers: 2, activation: 'gelu', dropout: 0.2, wordDropout: 0.1, chars: { filters: 4, widths: [2, 3] } })), []);
  expectError(cnn({ filters: undefined }), 'encoder.filters', /missing required property 'filters'/);
  expectError(cnn({ filters: 0 }), 'encoder.filters', /'filters' must be an integer >= 1, got 0/);
  expectError(cnn({ filters: 1e6 }), 'encoder.filters', /filters per width .*65536/);
  expectError(cnn({ embeddingDim: undefined }), 'encoder.embeddingDim', /missing required property 'embeddingDim'/);
  expectError(cnn({ widths: [] }), 'encoder.widths', /at least one window width/);
  expectError(cnn({ widths: [3, 0] }), 'encoder.widths[1]', /window width \(tokens\) must be an integer >= 1 and <= 31, got 0/);
  expectError(cnn({ widths: [3, 3] }), 'encoder.widths[1]', /window width 3 is listed twice/);
  expectError(cnn({ widths: 3 }), 'encoder.widths', /must be an array/);
  expectError(cnn({ layers: 1.5 }), 'encoder.layers', /'layers' must be an integer >= 1/);
  expectError(cnn({ activation: 'relu6' }), 'encoder.activation', /must be one of 'relu'/);
  expectError(cnn({ dropout: 1 }), 'encoder.dropout', /'dropout' must be a number >= 0 and < 1/);
  expectError(cnn({ wordDropout: -0.1 }), 'encoder.wordDropout', /'wordDropout' must be a number >= 0 and < 1/);
  expectError(cnn({ chars: { filters: 0 } }), 'encoder.chars.filters', /'filters' must be an integer >= 1/);
  expectError(cnn({ chars: { widths: [3, 3] } }), 'encoder.chars.widths[1]', /window width 3 is listed twice/);
  assert.match(warnings(cnn({ hidden: 8 }))[0].pathText, /^encoder\.hidden$/, 'an option of another encoder is flagged (a warning, as every unknown key)');
  expectError(mutate(csv, (x) => { x.encoder = { type: 'cnn', embeddingDim: 8, filters: 8 }; }), 'encoder.type', /'cnn' encoder reads token sequences/);
  // Towers read filters x widths per token ([mean | max], twice that, per sentence): the 'add' width check.
  const add = (units: number) => mutate(slu, (x) => {
    x.encoder = { type: 'cnn', embeddingDim: 8, filters: 6, widths: [2, 3] };
    x.feedback[0] = { id: 'i2s', from: 'intent', to: 'slots', amplifier: { type: 'linear', units }, injection: 1, combine: 'add' };
    x.feedback[1] = { id: 's2i', from: 'slots', to: 'intent', amplifier: { type: 'linear', units: 24 }, injection: 1, combine: 'add' };
  });
  assert.deepEqual(errors(add(12)), []);
  expectError(add(6), 'feedback[0].amplifier.units', /\(12\)/);
});

test("'transformer' encoder and block: options, heads dividing the width, a located error for every wrong option", () => {
  const tr = (e: object) => mutate(slu, (x) => { x.encoder = { type: 'transformer', embeddingDim: 16, width: 32, heads: 4, ...e }; });
  assert.deepEqual(validateExperiment(tr({})), []);
  assert.deepEqual(validateExperiment(tr({ layers: 3, ffn: 64, dropout: 0.1, positions: 'learned', wordDropout: 0.05, chars: {} })), []);
  expectError(tr({ heads: 5 }), 'encoder.heads', /'width' \(32\) must be a multiple of 'heads' \(5\)/);
  expectError(tr({ heads: undefined }), 'encoder.heads', /missing required property 'heads'/);
  expectError(tr({ heads: 0 }), 'encoder.heads', /'heads' must be an integer >= 1/);
  expectError(tr({ width: undefined }), 'encoder.width', /missing required property 'width'/);
  expectError(tr({ width: 100000, heads: 1 }), 'encoder.width', /model width .*65536/);
  expectError(tr({ layers: 0 }), 'encoder.layers', /'layers' must be an integer >= 1/);
  expectError(tr({ ffn: 2.5 }), 'encoder.ffn', /'ffn' must be an integer >= 1/);
  expectError(tr({ positions: 'rotary' }), 'encoder.positions', /must be one of 'sinusoidal', 'learned'/);
  expectError(tr({ dropout: -1 }), 'encoder.dropout', /'dropout' must be a number >= 0 and < 1/);
  assert.match(warnings(tr({ attention: { heads: 2, dim: 8 } }))[0].message, /unknown property 'attention'/);
  expectError(mutate(csv, (x) => { x.encoder = { type: 'transformer', embeddingDim: 8, width: 8, heads: 2 }; }), 'encoder.type', /'transformer' encoder reads token sequences/);
  // Blocks: token towers only, heads divide units, heads/ffn belong to transformer blocks.
  const blk = (b: object) => mutate(slu, (x) => { x.tasks[1].blocks[0] = { type: 'transformer', units: 16, ...b }; });
  assert.deepEqual(validateExperiment(blk({})), []);
  assert.deepEqual(validateExperiment(blk({ heads: 4, ffn: 32, dropout: 0.1 })), []);
  expectError(blk({ heads: 3 }), 'tasks[1].blocks[0].heads', /'units' \(16\) must be a multiple of 'heads' \(3\)/);
  expectError(blk({ ffn: 0 }), 'tasks[1].blocks[0].ffn', /'ffn' must be an integer >= 1/);
  expectError(mutate(slu, (x) => { x.tasks[1].blocks[1].heads = 2; }), 'tasks[1].blocks[1].heads', /'heads' belongs to a 'transformer' block; a 'dense' block has none/);
  expectError(mutate(slu, (x) => { x.tasks[0].blocks[0] = { type: 'transformer', units: 16 }; }), 'tasks[0].blocks[0].type', /'transformer' block runs over tokens/);
  expectError(mutate(csv, (x) => { x.tasks[0].blocks[0] = { type: 'transformer', units: 8 }; }), 'tasks[0].blocks[0].type', /tabular/);
  assert.match(warnings(blk({ activation: 'tanh' }))[0].message, /'activation' is ignored for a 'transformer' block/);
  // A transformer block hands `units` to the block above; the encoder hands `width` to token towers.
  const add = (units: number) => mutate(slu, (x) => {
    x.encoder = { type: 'transformer', embeddingDim: 8, width: 24, heads: 2 };
    x.tasks[1].blocks[0] = { type: 'transformer', units: 12, heads: 2 };
    x.feedback[0] = { id: 'i2s', from: 'intent', to: 'slots', amplifier: { type: 'linear', units }, injection: 2, combine: 'add' };
  });
  assert.deepEqual(errors(add(12)), []);
  expectError(add(24), 'feedback[0].amplifier.units', /\(12\)/);
  // Defaults: 2 layers, ffn 4 x width, sinusoidal positions; a block gets 1 head and ffn 4 x units.
  const d = withDefaults(blk({}) as Experiment);
  assert.deepEqual(d.encoder, { type: 'bigru', embeddingDim: 16, hidden: 16, layers: 1, dropout: 0 });
  assert.deepEqual(d.tasks[1].blocks[0], { type: 'transformer', units: 16, heads: 1, ffn: 64, dropout: 0 });
  assert.deepEqual(withDefaults(tr({}) as Experiment).encoder, { type: 'transformer', embeddingDim: 16, width: 32, heads: 4, layers: 2, ffn: 128, positions: 'sinusoidal', dropout: 0 });
});

test('loss weighting: every type and option validates, every wrong option has a located error', () => {
  for (const lw of [{ type: 'fixed' }, { type: 'uncertainty' }, { type: 'dwa' }, { type: 'dwa', temperature: 0.5 }, { type: 'dtp', gamma: 2, alpha: 1 }, { type: 'gradnorm', alpha: 0, learningRate: 0.01 }]) {
    assert.deepEqual(validateExperiment(mutate(slu, (x) => { x.lossWeighting = lw; })), [], JSON.stringify(lw));
  }
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'gradnrom' }; }), 'lossWeighting.type', /one of 'fixed', 'uncertainty', 'dwa', 'dtp', 'gradnorm'.*did you mean 'gradnorm'/);
  expectError(mutate(slu, (x) => { x.lossWeighting = {}; }), 'lossWeighting.type', /missing required property 'type'/);
  expectError(mutate(slu, (x) => { x.lossWeighting = 'dwa'; }), 'lossWeighting', /must be an object/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'dwa', temperature: 0 }; }), 'lossWeighting.temperature', /'temperature' must be a number > 0, got 0 \(the softmax temperature/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'dwa', temperature: 'hot' }; }), 'lossWeighting.temperature', /must be a number > 0/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'dtp', gamma: -1 }; }), 'lossWeighting.gamma', /'gamma' must be a number >= 0, got -1/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'dtp', alpha: 0 }; }), 'lossWeighting.alpha', /'alpha' must be a number > 0 and <= 1, got 0/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'dtp', alpha: 1.5 }; }), 'lossWeighting.alpha', /<= 1, got 1.5/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'gradnorm', alpha: -0.5 }; }), 'lossWeighting.alpha', /'alpha' must be a number >= 0, got -0.5 \(the asymmetry/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'gradnorm', learningRate: 0 }; }), 'lossWeighting.learningRate', /'learningRate' must be a number > 0, got 0/);
  // An option of another type is an error (it would silently do nothing), naming whose it is.
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'uncertainty', temperature: 2 }; }), 'lossWeighting.temperature', /'temperature' is an option of lossWeighting 'dwa', not of 'uncertainty' \(it has no options\)/);
  expectError(mutate(slu, (x) => { x.lossWeighting = { type: 'dwa', alpha: 2 }; }), 'lossWeighting.alpha', /option of lossWeighting 'dtp' and 'gradnorm', not of 'dwa' \(its options: temperature\)/);
  // A key no type knows is a warning with a suggestion, as elsewhere.
  const w = validateExperiment(mutate(slu, (x) => { x.lossWeighting = { type: 'dwa', temperatur: 2 }; }));
  assert.equal(w.length, 1);
  assert.equal(w[0].severity, 'warning');
  assert.equal(w[0].pathText, 'lossWeighting.temperatur');
  assert.match(w[0].message, /did you mean 'temperature'/);
  // dtp needs an accuracy per task: a regression task is refused.
  expectError(mutate(csv, (x) => { x.lossWeighting = { type: 'dtp' }; }), 'lossWeighting.type', /regression task 'mass' has none/);
  // lossWeight is for 'fixed' only: ignored (warned) with a dynamic weighting, and all-zero is no error there.
  const lw = warnings(mutate(csv, (x) => { x.lossWeighting = { type: 'uncertainty' }; x.tasks[1].lossWeight = 0.5; }));
  assert.deepEqual(lw.map((i) => i.pathText), ['tasks[1].lossWeight']);
  assert.match(lw[0].message, /used by lossWeighting 'fixed' only/);
  assert.deepEqual(errors(mutate(csv, (x) => { x.lossWeighting = { type: 'dwa' }; x.tasks[0].lossWeight = 0; x.tasks[1].lossWeight = 0; })), []);
});

/** The SLU experiment over JSONL data (one file split by fractions). */
function jsonl(): any {
  return mutate(slu, (x) => {
    x.data = { format: 'jsonl', path: 'data/snips.jsonl', text: 'text', split: { valid: 0.2, test: 0.1 } };
    x.tasks[0].label = 'intent';
    x.tasks[1].label = 'slots';
  });
}

/** The SLU experiment over CoNLL split files. */
function conll(): any {
  return mutate(slu, (x) => {
    x.data = { format: 'conll', path: 'data', splits: { train: 'train.conll', valid: 'valid.conll' }, columns: ['word', 'slot'] };
    x.tasks[0].label = 'intent';
    x.tasks[1].label = 'slot';
  });
}

test('JSONL data: text or tabular input, splits or split, a located error for every wrong option', () => {
  assert.deepEqual(validateExperiment(jsonl()), []);
  assert.deepEqual(validateExperiment(mutate(jsonl, (x) => { x.data.text = undefined; x.data.features = ['len']; x.data.categorical = ['lang']; x.encoder = { type: 'mlp', hidden: [8] };
    x.tasks[1] = { id: 'score', kind: 'regression', label: 'score', blocks: [{ type: 'dense', units: 8 }] }; x.feedback = []; x.iterations = 0; x.training.earlyStopping.metric = 'score.rmse'; })), []);
  expectError(mutate(jsonl, (x) => { delete x.data.text; }), 'data.text', /needs its input: 'text' .* or 'features'/);
  expectError(mutate(jsonl, (x) => { x.data.features = ['len']; }), 'data.text', /two kinds of input/);
  expectError(mutate(jsonl, (x) => { x.data.text = 3; }), 'data.text', /'text' must be a string, not number 3/);
  expectError(mutate(jsonl, (x) => { x.data.splits = { train: 'a', valid: 'b' }; }), 'data.split', /either 'splits' .* or 'split'/);
  expectError(mutate(jsonl, (x) => { x.data.split = { valid: 0.6, test: 0.4 }; }), 'data.split', /leaves no training rows/);
  expectError(mutate(jsonl, (x) => { x.data.split.valid = 0; }), 'data.split.valid', /> 0/);
  expectError(mutate(jsonl, (x) => { delete x.data.split; x.data.splits = { train: 'a' }; }), 'data.splits.valid', /missing required property 'valid'/);
  expectError(mutate(jsonl, (x) => { x.data.minFreq = 0; }), 'data.minFreq', />= 1/);
  expectError(mutate(jsonl, (x) => { x.tasks[1].label = 'text'; }), 'tasks[1].label', /is the input text/);
  expectError(mutate(jsonl, (x) => { x.encoder = { type: 'mlp', hidden: [8] }; }), 'encoder.type', /JSONL data with 'text' is token sequences/);
  const tab = mutate(jsonl, (x) => { delete x.data.text; x.data.features = ['len', 'intent']; x.data.maxLength = 9; });
  const errs = errors(tab).map((e) => `${e.pathText}: ${e.message}`);
  assert.ok(errs.some((e) => /^encoder.type: .*JSONL data with 'features' has rows of features/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^tasks\[1\].kind: .*JSONL data has no tokens/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^tasks\[0\].label: field 'intent' is also an input \(data.features\)/.test(e)), errs.join('\n'));
  assert.ok(validateExperiment(tab).some((w) => w.severity === 'warning' && w.pathText === 'data.maxLength' && /only used with text input/.test(w.message)));
  const jd = withDefaults(jsonl()).data;
  assert.equal(jd.format === 'jsonl' && jd.split?.seed, 1, 'the split seed follows training.seed');
});

test('CoNLL data: columns by index or name, the token column, the comment prefix, sentence-label keys', () => {
  assert.deepEqual(validateExperiment(conll()), []);
  assert.deepEqual(errors(mutate(conll, (x) => { delete x.data.columns; x.tasks[1].label = '1'; })), []);
  expectError(mutate(conll, (x) => { delete x.data.columns; }), 'tasks[1].label', /name the columns in 'data.columns'/);
  expectError(mutate(conll, (x) => { x.tasks[1].label = 'slots'; }), 'tasks[1].label', /tag column 'slots' is not in 'data.columns' \(word, slot\); did you mean 'slot'\?/);
  expectError(mutate(conll, (x) => { x.tasks[1].label = '2'; }), 'tasks[1].label', /tag column 2 is out of range/);
  expectError(mutate(conll, (x) => { x.tasks[1].label = 'word'; }), 'tasks[1].label', /is the token column/);
  expectError(mutate(conll, (x) => { x.data.token = 'slot'; }), 'tasks[1].label', /column 1 is the token column/);
  expectError(mutate(conll, (x) => { x.data.token = 5; }), 'data.token', /column 5 is out of range/);
  expectError(mutate(conll, (x) => { x.data.token = -1; }), 'data.token', /'token' must be an integer >= 0/);
  expectError(mutate(conll, (x) => { x.data.columns = ['word', '1']; x.tasks[1].label = '1'; }), 'data.columns[1]', /looks like a column index/);
  expectError(mutate(conll, (x) => { x.data.commentPrefix = '# '; }), 'data.commentPrefix', /must not contain spaces/);
  expectError(mutate(conll, (x) => { x.tasks[0].label = 'intent ='; }), 'tasks[0].label', /one word, without spaces or '='/);
  assert.ok(errors(mutate(conll, (x) => { x.tasks[0].kind = 'regression'; })).some((e) => e.pathText === 'tasks[0].kind' && /CoNLL data has no real-valued targets/.test(e.message)));
  expectError(mutate(conll, (x) => { x.data.lowercase = 'yes'; }), 'data.lowercase', /true or false/);
  const d = withDefaults(conll()).data;
  assert.ok(d.format === 'conll' && d.token === 0 && d.commentPrefix === '#' && d.split === undefined && d.maxLength === 64);
});

test('JSONL and CoNLL files: the one file, or each split file, must exist', () => {
  expectError(jsonl(), 'data.path', /JSONL file not found: 'data\/snips.jsonl'/, { fileExists: () => false });
  assert.deepEqual(errors(jsonl(), { fileExists: (p: string) => p === 'data/snips.jsonl' }), []);
  const asked: string[] = [];
  expectError(mutate(conll, (x) => { x.data.splits.test = 'test.conll'; }), 'data.splits.valid', /CoNLL file not found: 'data\/valid.conll' \(the valid split/,
    { fileExists: (p: string) => { asked.push(p); return p !== 'data/valid.conll'; } });
  assert.deepEqual(asked, ['data/train.conll', 'data/valid.conll', 'data/test.conll']);
});

test('sharing: soft and cross-stitch validate; every wrong option has a located error naming what to change', () => {
  // The SLU sample stitched after block 2 (dense 16 in both towers) with a token-level intent.
  const stitchable = (x: any) => { x.tasks[0].tokenLevel = true; x.tasks[0].blocks[0] = { type: 'bigru', units: 16 }; };
  for (const sh of [{ type: 'hard' }, { type: 'soft' }, { type: 'soft', l2: 0 }, { type: 'soft', l2: 0.5 }]) {
    assert.deepEqual(validateExperiment(mutate(slu, (x) => { x.sharing = sh; })), [], JSON.stringify(sh));
  }
  assert.deepEqual(validateExperiment(mutate(slu, (x) => { stitchable(x); x.sharing = { type: 'soft', crossStitch: { after: [1, 2], self: 1 } }; })), []);
  assert.deepEqual(validateExperiment(mutate(csv, (x) => { x.tasks[1].blocks.push({ type: 'dense', units: 8 }); x.sharing = { crossStitch: { after: [2] } }; })), []);
  expectError(mutate(slu, (x) => { x.sharing = 'soft'; }), 'sharing', /'sharing' must be an object/);
  expectError(mutate(slu, (x) => { x.sharing = { type: 'sfot' }; }), 'sharing.type', /one of 'hard', 'soft'.*did you mean 'soft'/);
  expectError(mutate(slu, (x) => { x.sharing = { type: 'soft', l2: -1 }; }), 'sharing.l2', /'l2' must be a number >= 0, got -1 \(the weight of l2 \* sum over task pairs/);
  expectError(mutate(slu, (x) => { stitchable(x); x.sharing = { crossStitch: { after: [2], self: 0 } }; }), 'sharing.crossStitch.self', /'self' must be a number > 0 and <= 1, got 0/);
  expectError(mutate(slu, (x) => { x.sharing = { crossStitch: {} }; }), 'sharing.crossStitch.after', /missing required property 'after'/);
  expectError(mutate(slu, (x) => { x.sharing = { crossStitch: { after: [] } }; }), 'sharing.crossStitch.after', /no block depths/);
  expectError(mutate(slu, (x) => { stitchable(x); x.sharing = { crossStitch: { after: [2, 0] } }; }), 'sharing.crossStitch.after[1]', /a cross-stitch depth must be an integer >= 1, got 0/);
  expectError(mutate(slu, (x) => { stitchable(x); x.sharing = { crossStitch: { after: [2, 2] } }; }), 'sharing.crossStitch.after[1]', /depth 2 is listed twice/);
  expectError(mutate(slu, (x) => { stitchable(x); x.sharing = { crossStitch: { after: [3] } }; }), 'sharing.crossStitch.after[0]', /cross-stitch after block 3 needs block 3 in every task, but task 'intent' \(tasks\[0\]\) has 2 blocks/);
  // Level: the sentence-level intent tower against the token-level slots tower, with the fix.
  expectError(mutate(slu, (x) => { x.sharing = { crossStitch: { after: [2] } }; }), 'sharing.crossStitch.after[0]',
    /cannot cross-stitch intent block 2 \(tasks\[0\]\.blocks\[1\]: sentence level, width 16\) with slots block 2 \(tasks\[1\]\.blocks\[1\]: token level, width 16\).*set "tokenLevel": true on 'intent'/);
  // Width: a BiGRU block is 2 x units wide.
  expectError(mutate(slu, (x) => { x.tasks[0].tokenLevel = true; x.sharing = { crossStitch: { after: [1] } }; }), 'sharing.crossStitch.after[0]',
    /cannot cross-stitch intent block 1 \(tasks\[0\]\.blocks\[0\]: token level, width 16\) with slots block 1 \(tasks\[1\]\.blocks\[0\]: token level, width 32\).*same output width/);
  expectError(mutate(slu, (x) => { x.tasks.pop(); x.feedback = []; x.iterations = 0; x.training.earlyStopping.metric = 'intent.accuracy'; x.sharing = { crossStitch: { after: [1] } }; }), 'sharing.crossStitch', /mixes the towers of several tasks; this experiment has 1 task/);
  // Warnings: l2 without soft sharing, soft sharing with one task, unknown keys.
  const w = (x: any) => warnings(x).map((i) => `${i.pathText}: ${i.message}`);
  assert.match(w(mutate(slu, (x) => { x.sharing = { l2: 0.1 }; })).join('\n'), /sharing\.l2: 'l2' ties the encoder copies of soft sharing; with type 'hard' there is one encoder and it is ignored/);
  assert.match(w(mutate(slu, (x) => { x.tasks.pop(); x.feedback = []; x.iterations = 0; x.training.earlyStopping.metric = 'intent.accuracy'; x.sharing = { type: 'soft' }; })).join('\n'), /sharing\.type: soft sharing .* with one task there is nothing to tie/);
  assert.match(w(mutate(slu, (x) => { x.sharing = { type: 'soft', L2: 0.1 }; })).join('\n'), /sharing\.L2: unknown property 'L2' \(did you mean 'l2'\?\)/);
});

// ---- language-model tasks ------------------------------------------------------------------------

/** The SLU experiment with a next-word language model fed back into the slots. */
function sluLm(): any {
  return mutate(slu, (x) => {
    x.tasks.push({ id: 'lm', kind: 'language-model', title: 'Next word', blocks: [{ type: 'dense', units: 16 }] });
    x.feedback.push({ id: 'lm2s', from: 'lm', to: 'slots', amplifier: { type: 'label-embedding', units: 8 }, injection: 1 });
  });
}

test('language model: valid without a label, as a feedback source; early stopping on its perplexity is a minimum', () => {
  assert.deepEqual(validateExperiment(sluLm()), []);
  const p = parseExperiment(JSON.stringify(mutate(sluLm, (x) => { x.training.earlyStopping = { metric: 'lm.perplexity', patience: 2 }; })));
  assert.deepEqual(p.errors, []);
  assert.equal(p.experiment!.training.earlyStopping!.mode, 'min');
  expectError(mutate(sluLm, (x) => { x.training.earlyStopping = { metric: 'lm.f1', patience: 2 }; }), 'training.earlyStopping.metric', /'f1' is not a metric of language-model task 'lm' \(use one of 'lm.perplexity', 'lm.tokenAccuracy'\)/);
  // Direction from the catalogue: 'max' on perplexity is flagged.
  const w = warnings(mutate(sluLm, (x) => { x.training.earlyStopping = { metric: 'lm.perplexity', mode: 'max', patience: 2 }; }));
  assert.deepEqual(w.map((i) => i.pathText), ['training.earlyStopping.mode']);
  // Other kinds still need their label.
  expectError(mutate(sluLm, (x) => { delete x.tasks[0].label; }), 'tasks[0].label', /missing required property 'label'/);
});

test('language model: a non-causal encoder or block is refused where it is written, with the reason', () => {
  expectError(mutate(sluLm, (x) => { x.encoder = { type: 'cnn', embeddingDim: 16, filters: 8 }; }), 'tasks[2].kind', /must not see the word it predicts.*'cnn' encoder.*windows are centred on t.*'bigru' or 'bilstm'/);
  expectError(mutate(sluLm, (x) => { x.encoder = { type: 'transformer', embeddingDim: 16, width: 16, heads: 2 }; }), 'tasks[2].kind', /'transformer' encoder.*self-attention reads the whole sentence/);
  for (const type of ['bigru', 'bilstm', 'transformer']) {
    expectError(mutate(sluLm, (x) => { x.tasks[2].blocks = [{ type: 'dense', units: 16 }, { type, units: 8 }]; }), 'tasks[2].blocks[1].type', new RegExp(`a '${type}' block reads the whole sentence, so the language model would see the word it predicts`));
  }
  // A stacked BiGRU with attention is fine: the LM reads the first layer's forward direction.
  assert.deepEqual(errors(mutate(sluLm, (x) => { x.encoder.layers = 2; x.encoder.attention = { heads: 2, dim: 8 }; })), []);
  expectError(mutate(csv, (x) => { x.tasks.push({ id: 'lm', kind: 'language-model', blocks: [{ type: 'dense', units: 8 }] }); }), 'tasks[2].kind', /predicts the next word of a sentence; this CSV data has rows of features/);
});

test('language model: a label is ignored with a warning; an arrow INTO it from a whole-sentence task warns at the arrow (not a true LM perplexity)', () => {
  assert.deepEqual(warnings(mutate(sluLm, (x) => { x.tasks[2].label = 'seq.in'; })).map((i) => i.pathText), ['tasks[2].label']);
  const w = warnings(mutate(sluLm, (x) => { x.feedback.push({ id: 'i2lm', from: 'intent', to: 'lm', amplifier: { type: 'linear', units: 8 }, injection: 1 }); }));
  assert.equal(w.length, 1);
  assert.equal(w[0].pathText, 'feedback[3]');
  assert.match(w[0].message, /'intent' reads the whole sentence.*'lm' perplexity is then not a true language-model perplexity/);
  // Disabled, the arrow leaks nothing.
  assert.deepEqual(warnings(mutate(sluLm, (x) => { x.feedback.push({ id: 'i2lm', from: 'intent', to: 'lm', amplifier: { type: 'linear', units: 8 }, injection: 1, enabled: false }); })), []);
  // combine 'add' into the LM's first block needs the causal width: hidden (16), not 2 x hidden.
  expectError(mutate(sluLm, (x) => { x.feedback.push({ id: 's2lm', from: 'slots', to: 'lm', amplifier: { type: 'linear', units: 32 }, injection: 1, combine: 'add' }); }), 'feedback[3].amplifier.units', /input width of lm block 1 \(16\)/);
  // Cross-stitch units mix the whole-sentence towers into the LM's: the same warning, at sharing.crossStitch.
  const cs = warnings(mutate(sluLm, (x) => { x.tasks[0].tokenLevel = true; x.tasks[0].blocks = [{ type: 'dense', units: 16 }]; x.tasks[1].blocks = [{ type: 'dense', units: 16 }]; x.feedback = []; x.iterations = 0; x.sharing = { type: 'soft', crossStitch: { after: [1] } }; }));
  assert.deepEqual(cs.map((i) => i.pathText), ['sharing.crossStitch']);
  assert.match(cs[0].message, /language model 'lm'.*not a true language-model perplexity/);
});

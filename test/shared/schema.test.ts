// media/fmtl.schema.json must accept the samples, reject what validate() rejects structurally, and
// agree with experimentTypes.ts (property names, required fields, enums). The type-level tables
// below fail to compile if experimentTypes.ts changes, and the schema comparisons fail at run time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../../src/shared/experiment';
import type {
  CharFeaturesSpec, LrScheduleSpec,
  Activation, AmplifierSpec, BiGruEncoderSpec, BlockSpec, ConvergenceSpec, CsvDataSpec, EarlyStoppingSpec, Experiment,
  AttentionSpec, FeedbackSpec, GumbelSpec, MlpEncoderSpec, SluDataSpec, TaskKind, TaskSpec, TrainingSpec,
} from '../../src/shared/experimentTypes';

const root = join(__dirname, '..', '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'media', 'fmtl.schema.json'), 'utf8'));

// ---- a small draft-07 validator (the subset the schema uses) ----------------------------------
type S = any;
function resolve(s: S): S {
  if (s && s.$ref) {
    const parts = (s.$ref as string).replace(/^#\//, '').split('/');
    let x: S = schema;
    for (const p of parts) x = x[p];
    return resolve(x);
  }
  return s;
}
function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number';
    case 'integer': return Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    default: throw new Error(`type ${t}`);
  }
}
function check(s0: S, v: any, path: string, out: string[]): void {
  const s = resolve(s0);
  if (s.type && !typeOk(s.type, v)) { out.push(`${path}: not ${s.type}`); return; }
  if (s.const !== undefined && v !== s.const) out.push(`${path}: not ${s.const}`);
  if (s.enum && !s.enum.includes(v)) out.push(`${path}: not in enum`);
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${path}: < minimum`);
    if (s.maximum !== undefined && v > s.maximum) out.push(`${path}: > maximum`);
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) out.push(`${path}: <= exclusiveMinimum`);
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) out.push(`${path}: >= exclusiveMaximum`);
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) out.push(`${path}: too short`);
    if (s.pattern && !new RegExp(s.pattern).test(v)) out.push(`${path}: pattern`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`${path}: minItems`);
    if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) out.push(`${path}: uniqueItems`);
    if (s.items) v.forEach((x, i) => check(s.items, x, `${path}[${i}]`, out));
  }
  if (typeOk('object', v)) {
    for (const r of s.required ?? []) if (!(r in v)) out.push(`${path}.${r}: required`);
    for (const [k, x] of Object.entries(v)) {
      if (s.properties && k in s.properties) check(s.properties[k], x, `${path}.${k}`, out);
      else if (s.additionalProperties === false) out.push(`${path}.${k}: additional property`);
      else if (typeof s.additionalProperties === 'object') check(s.additionalProperties, x, `${path}.${k}`, out);
    }
  }
  if (s.oneOf) {
    const ok = s.oneOf.filter((x: S) => { const o: string[] = []; check(x, v, path, o); return o.length === 0; }).length;
    if (ok !== 1) out.push(`${path}: oneOf matched ${ok}`);
  }
  if (s.if) {
    const o: string[] = [];
    check(s.if, v, path, o);
    const branch = o.length === 0 ? s.then : s.else;
    if (branch) check(branch, v, path, out);
  }
}
function schemaErrors(v: unknown): string[] {
  const out: string[] = [];
  check(schema, v, '$', out);
  return out;
}

function sample(name: string): any {
  return JSON.parse(readFileSync(join(root, 'samples', name), 'utf8'));
}

test('the schema accepts every sample, and validate() agrees', () => {
  for (const name of ['penguins.fmtl.json', 'penguins-quick.fmtl.json', 'snips.fmtl.json']) {
    assert.deepEqual(schemaErrors(sample(name)), [], name);
    const r = parseExperiment(readFileSync(join(root, 'samples', name), 'utf8'));
    assert.deepEqual(r.errors, [], name);
  }
});

test('the schema rejects structural mistakes', () => {
  const bad = (f: (x: any) => void, re: RegExp) => {
    const x = sample('snips.fmtl.json');
    f(x);
    const errs = schemaErrors(x);
    assert.ok(errs.some((e) => re.test(e)), `${re} not in ${JSON.stringify(errs)}`);
  };
  bad((x) => { delete x.training; }, /\$\.training: required/);
  bad((x) => { x.convergence.beta = 1; }, /beta: >= exclusiveMaximum/);
  bad((x) => { x.feedback[0].injection = 0; }, /injection: oneOf matched 0/);
  bad((x) => { x.feedback[0].amplifier.type = 'attention'; }, /amplifier.type: not in enum/);
  bad((x) => { x.encoder.features = []; }, /encoder.features: additional property/);
  bad((x) => { x.data.features = ['a']; }, /data.features: additional property/);
  bad((x) => { x.tasks[0].id = '1st'; }, /tasks\[0\].id: pattern/);
  bad((x) => { x.training.earlyStopping.metric = 'intent.acc'; }, /metric: pattern/);
  const p = sample('penguins.fmtl.json');
  delete p.data.features;
  assert.ok(schemaErrors(p).includes('$.data.features: required'));
});

// ---- agreement with experimentTypes.ts ---------------------------------------------------------
// Record<union, true> literals: a missing or extra member is a compile error, so these tables are
// the TypeScript unions, enumerated.
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
type Keys<T> = Record<keyof T, true>;
type Req<T> = Record<RequiredKeys<T>, true>;

const amplifierTypes: Record<AmplifierSpec['type'], true> = { linear: true, mlp: true, 'label-embedding': true };
const taskKinds: Record<TaskKind, true> = { classification: true, tagging: true, regression: true };
const activations: Record<Activation, true> = { relu: true, tanh: true, sigmoid: true, gelu: true, linear: true };
const blockTypes: Record<BlockSpec['type'], true> = { dense: true, bigru: true, bilstm: true };
const optimizers: Record<TrainingSpec['optimizer'], true> = { adam: true, sgd: true, rmsprop: true };
const combines: Record<NonNullable<FeedbackSpec['combine']>, true> = { concat: true, add: true };
const anneals: Record<NonNullable<GumbelSpec['anneal']>, true> = { exp: true, linear: true, none: true };
const masks: Record<NonNullable<ConvergenceSpec['dropoutMasks']>, true> = { shared: true, fresh: true };
const taskOutputs: Record<NonNullable<TaskSpec['output']>, true> = { softmax: true, crf: true };
const votes: Record<NonNullable<TaskSpec['vote']>, true> = { mean: true, majority: true };
const encoderTypes: Record<(BiGruEncoderSpec | MlpEncoderSpec)['type'], true> = { bigru: true, bilstm: true, mlp: true };
const formats: Record<(SluDataSpec | CsvDataSpec)['format'], true> = { slu: true, csv: true };

const sorted = (x: object | string[]) => (Array.isArray(x) ? [...x] : Object.keys(x)).sort();
const def = (name: string) => schema.definitions[name];

test('schema enums equal the TypeScript unions', () => {
  assert.deepEqual(sorted(def('amplifier').properties.type.enum), sorted(amplifierTypes));
  assert.deepEqual(sorted(def('task').properties.kind.enum), sorted(taskKinds));
  assert.deepEqual(sorted(def('task').properties.output.enum), sorted(taskOutputs));
  assert.deepEqual(sorted(def('task').properties.vote.enum), sorted(votes));
  assert.deepEqual(sorted(def('activation').enum), sorted(activations));
  assert.deepEqual(sorted(def('block').properties.type.enum), sorted(blockTypes));
  assert.deepEqual(sorted(def('training').properties.optimizer.enum), sorted(optimizers));
  assert.deepEqual(sorted(def('feedback').properties.combine.enum), sorted(combines));
  assert.deepEqual(sorted(schema.properties.gumbel.properties.anneal.enum), sorted(anneals));
  assert.deepEqual(sorted(schema.properties.convergence.properties.dropoutMasks.enum), sorted(masks));
  assert.deepEqual(sorted(def('encoder').properties.type.enum), sorted(encoderTypes));
  assert.deepEqual(sorted(def('data').properties.format.enum), sorted(formats));
});

test('schema properties and required fields equal the TypeScript interfaces', () => {
  const cases: [string, S, Keys<any>, Req<any>][] = [
    ['Experiment', schema, {
      $schema: true, name: true, description: true, data: true, encoder: true, tasks: true, feedback: true, iterations: true,
      convergence: true, gumbel: true, training: true, lossWeighting: true, layout: true,
    } satisfies Keys<Experiment>, {
      name: true, data: true, encoder: true, tasks: true, feedback: true, iterations: true, convergence: true, gumbel: true,
      training: true, lossWeighting: true,
    } satisfies Req<Experiment>],
    ['TaskSpec', def('task'), { id: true, kind: true, label: true, blocks: true, lossWeight: true, title: true, output: true, tokenLevel: true, vote: true } satisfies Keys<TaskSpec>,
      { id: true, kind: true, label: true, blocks: true } satisfies Req<TaskSpec>],
    ['BlockSpec', def('block'), { type: true, units: true, activation: true, dropout: true } satisfies Keys<BlockSpec>,
      { type: true, units: true } satisfies Req<BlockSpec>],
    ['AmplifierSpec', def('amplifier'), { type: true, units: true, hidden: true, activation: true } satisfies Keys<AmplifierSpec>,
      { type: true, units: true } satisfies Req<AmplifierSpec>],
    ['FeedbackSpec', def('feedback'), {
      id: true, from: true, to: true, amplifier: true, injection: true, candidates: true, combine: true, enabled: true,
    } satisfies Keys<FeedbackSpec>, { id: true, from: true, to: true, amplifier: true, injection: true } satisfies Req<FeedbackSpec>],
    ['ConvergenceSpec', schema.properties.convergence, { beta: true, lambda: true, startK: true, dropoutMasks: true } satisfies Keys<ConvergenceSpec>,
      { beta: true, lambda: true } satisfies Req<ConvergenceSpec>],
    ['GumbelSpec', schema.properties.gumbel, { tau0: true, tauMin: true, anneal: true, annealEpochs: true, hard: true } satisfies Keys<GumbelSpec>,
      { tau0: true, tauMin: true } satisfies Req<GumbelSpec>],
    ['TrainingSpec', def('training'), {
      epochs: true, batchSize: true, optimizer: true, learningRate: true, seed: true, stopGradient: true, clipNorm: true,
      earlyStopping: true, logEvery: true, lrSchedule: true,
    } satisfies Keys<TrainingSpec>, { epochs: true, batchSize: true, optimizer: true, learningRate: true, seed: true } satisfies Req<TrainingSpec>],
    ['LrScheduleSpec', def('training').properties.lrSchedule, {
      warmupSteps: true, decay: true, decayEpochs: true, minFactor: true, factor: true, patience: true,
    } satisfies Keys<LrScheduleSpec>, {} satisfies Req<LrScheduleSpec>],
    ['CharFeaturesSpec', def('encoder').else.properties.chars, { embeddingDim: true, filters: true, widths: true, maxWordLength: true } satisfies Keys<CharFeaturesSpec>,
      {} satisfies Req<CharFeaturesSpec>],
    ['EarlyStoppingSpec', def('training').properties.earlyStopping, { metric: true, mode: true, patience: true } satisfies Keys<EarlyStoppingSpec>,
      { metric: true, patience: true } satisfies Req<EarlyStoppingSpec>],
    ['MlpEncoderSpec', def('encoder').then, { type: true, hidden: true, activation: true, dropout: true } satisfies Keys<MlpEncoderSpec>,
      { type: true, hidden: true } satisfies Req<MlpEncoderSpec>],
    ['BiGruEncoderSpec', def('encoder').else, { type: true, embeddingDim: true, hidden: true, layers: true, dropout: true, chars: true, wordDropout: true, attention: true } satisfies Keys<BiGruEncoderSpec>,
      { type: true, embeddingDim: true, hidden: true } satisfies Req<BiGruEncoderSpec>],
    ['AttentionSpec', def('encoder').else.properties.attention, { heads: true, dim: true, dropout: true, combine: true } satisfies Keys<AttentionSpec>,
      { heads: true, dim: true } satisfies Req<AttentionSpec>],
    ['CsvDataSpec', def('data').then, { format: true, path: true, features: true, categorical: true, split: true, missing: true } satisfies Keys<CsvDataSpec>,
      { format: true, path: true, features: true } satisfies Req<CsvDataSpec>],
    ['SluDataSpec', def('data').else, {
      format: true, path: true, splits: true, lowercase: true, minFreq: true, maxLength: true, limitTrain: true,
    } satisfies Keys<SluDataSpec>, { format: true, path: true } satisfies Req<SluDataSpec>],
  ];
  for (const [name, s, keys, req] of cases) {
    assert.deepEqual(sorted(s.properties), sorted(keys), `${name} properties`);
    // Discriminated members inherit `format`/`type` (+ `path`) requirements from the parent schema.
    const parentReq = name.endsWith('DataSpec') ? def('data').required : name.endsWith('EncoderSpec') ? def('encoder').required : [];
    assert.deepEqual([...new Set([...(s.required ?? []), ...parentReq])].sort(), sorted(req), `${name} required`);
  }
});

test('top-level properties and definitions carry descriptions (VS Code hover)', () => {
  // Hover in VS Code shows descriptions: the top-level ones and every definition must have one.
  for (const [k, v] of Object.entries<S>(schema.properties)) assert.ok(v.description || v.$ref, `property ${k}`);
  for (const [k, v] of Object.entries<S>(schema.definitions)) assert.ok(v.description, `definition ${k}`);
});

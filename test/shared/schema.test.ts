// media/fmtl.schema.json (checked by ajv) must accept the samples and fixtures, reject what validate() rejects structurally, and
// agree with experimentTypes.ts (property names, required fields, enums). The type-level tables
// below fail to compile if experimentTypes.ts changes, and the schema comparisons fail at run time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseJsonc } from 'jsonc-parser';
import { parseExperiment } from '../../src/shared/experiment';
import { SAMPLE } from '../editor/fixture';
import type {
  CharFeaturesSpec, LrScheduleSpec, WeightAveragingSpec,
  Activation, AmplifierSpec, BiGruEncoderSpec, BlockSpec, CnnEncoderSpec, EncoderSpec, TransformerEncoderSpec, ConvergenceSpec, CsvDataSpec, EarlyStoppingSpec, Experiment,
  AttentionSpec, ConllDataSpec, FeedbackSpec, GumbelSpec, JsonlDataSpec, MlpEncoderSpec, SluDataSpec, SplitFiles, TaskKind, TaskSpec, TrainingSpec,
  SharingSpec, CrossStitchSpec,
} from '../../src/shared/experimentTypes';
import { LOSS_WEIGHTING_TYPES } from '../../src/shared/experimentTypes';

const root = join(__dirname, '..', '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'media', 'fmtl.schema.json'), 'utf8'));

// ---- ajv (draft-07) over the schema; errors as `$.path: keyword` so failures read like validate()'s --------
type S = any;
const ajv = new Ajv({ allErrors: true, strict: false });
const validateExperimentSchema = ajv.compile(schema);
const sweepSchema = JSON.parse(readFileSync(join(root, 'media', 'fmtl-sweep.schema.json'), 'utf8'));
const validateSweepSchema = ajv.compile(sweepSchema);

function errorText(e: ErrorObject): string {
  const at = `$${e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`;
  if (e.keyword === 'required') return `${at}.${(e.params as { missingProperty: string }).missingProperty}: required`;
  if (e.keyword === 'additionalProperties') return `${at}.${(e.params as { additionalProperty: string }).additionalProperty}: additional property`;
  return `${at}: ${e.keyword} ${e.message}`;
}
function schemaErrors(v: unknown, validate: ValidateFunction = validateExperimentSchema): string[] {
  return validate(v) ? [] : (validate.errors ?? []).map(errorText);
}

function sample(name: string): any {
  return JSON.parse(readFileSync(join(root, 'samples', name), 'utf8'));
}

const samples = readdirSync(join(root, 'samples'));

test('the schema accepts every sample experiment and the editor fixture, and validate() agrees', () => {
  const experiments = samples.filter((n) => n.endsWith('.fmtl.json'));
  assert.ok(experiments.length >= 3, `samples: ${experiments}`);
  for (const name of experiments) {
    assert.deepEqual(schemaErrors(sample(name)), [], name);
    const r = parseExperiment(readFileSync(join(root, 'samples', name), 'utf8'));
    assert.deepEqual(r.errors, [], name);
  }
  assert.deepEqual(schemaErrors(parseJsonc(SAMPLE)), [], 'test/editor/fixture.ts SAMPLE');
});

test('the sweep schema accepts every sample sweep', () => {
  const sweeps = samples.filter((n) => n.endsWith('.sweep.json'));
  assert.ok(sweeps.length >= 1, `samples: ${sweeps}`);
  for (const name of sweeps) assert.deepEqual(schemaErrors(sample(name), validateSweepSchema), [], name);
});

test('the schema rejects structural mistakes', () => {
  const bad = (f: (x: any) => void, re: RegExp) => {
    const x = sample('snips.fmtl.json');
    f(x);
    const errs = schemaErrors(x);
    assert.ok(errs.some((e) => re.test(e)), `${re} not in ${JSON.stringify(errs)}`);
  };
  bad((x) => { delete x.training; }, /\$\.training: required/);
  bad((x) => { x.convergence.beta = 1; }, /beta: exclusiveMaximum/);
  bad((x) => { x.feedback[0].injection = 0; }, /injection: oneOf/);
  bad((x) => { x.feedback[0].amplifier.type = 'attention'; }, /amplifier.type: enum/);
  bad((x) => { x.encoder.features = []; }, /encoder.features: additional property/);
  bad((x) => { x.data.features = ['a']; }, /data.features: additional property/);
  bad((x) => { x.tasks[0].id = '1st'; }, /tasks\[0\].id: pattern/);
  bad((x) => { x.training.earlyStopping.metric = 'intent.acc'; }, /metric: pattern/);
  const jsonl = (data: object) => ({ ...sample('snips.fmtl.json'), data: { format: 'jsonl', path: 'x.jsonl', ...data } });
  assert.deepEqual(schemaErrors(jsonl({ text: 'text' })), []);
  assert.deepEqual(schemaErrors(jsonl({ features: ['a'], categorical: ['b'] })), []);
  assert.ok(schemaErrors(jsonl({ text: 'text', features: ['a'] })).some((e) => /data: oneOf/.test(e)));
  assert.ok(schemaErrors(jsonl({})).some((e) => /data: oneOf/.test(e)));
  assert.ok(schemaErrors(jsonl({ text: 't', splits: { train: 'a', valid: 'b' }, split: { valid: 0.1, test: 0.1 } })).some((e) => /data: not/.test(e)));
  const conll = (data: object) => ({ ...sample('snips.fmtl.json'), data: { format: 'conll', path: 'x.conll', ...data } });
  assert.deepEqual(schemaErrors(conll({ columns: ['token', 'ner'], token: 'token', commentPrefix: '##' })), []);
  assert.ok(schemaErrors(conll({ columns: ['token', '1'] })).some((e) => /columns\[1\]: pattern/.test(e)));
  assert.ok(schemaErrors(conll({ features: ['a'] })).some((e) => /data.features: additional property/.test(e)));
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
const taskKinds: Record<TaskKind, true> = { classification: true, tagging: true, regression: true, 'language-model': true };
const activations: Record<Activation, true> = { relu: true, tanh: true, sigmoid: true, gelu: true, linear: true };
const blockTypes: Record<BlockSpec['type'], true> = { dense: true, bigru: true, bilstm: true, transformer: true };
const optimizers: Record<TrainingSpec['optimizer'], true> = { adam: true, sgd: true, rmsprop: true };
const combines: Record<NonNullable<FeedbackSpec['combine']>, true> = { concat: true, add: true };
const sharingTypes: Record<NonNullable<SharingSpec['type']>, true> = { hard: true, soft: true };
const anneals: Record<NonNullable<GumbelSpec['anneal']>, true> = { exp: true, linear: true, none: true };
const masks: Record<NonNullable<ConvergenceSpec['dropoutMasks']>, true> = { shared: true, fresh: true };
const taskOutputs: Record<NonNullable<TaskSpec['output']>, true> = { softmax: true, crf: true };
const votes: Record<NonNullable<TaskSpec['vote']>, true> = { mean: true, majority: true };
const encoderTypes: Record<EncoderSpec['type'], true> = { bigru: true, bilstm: true, cnn: true, transformer: true, mlp: true };
const formats: Record<Experiment['data']['format'], true> = { slu: true, csv: true, jsonl: true, conll: true };

const sorted = (x: object | string[]) => (Array.isArray(x) ? [...x] : Object.keys(x)).sort();
const def = (name: string) => schema.definitions[name];
/** The `then` branch of `encoder` for one type (the type is `const` or in the branch's `enum`). */
const encoderBranch = (type: string): S => def('encoder').allOf.find((b: S) => b.if.properties.type.const === type || b.if.properties.type.enum?.includes(type)).then;
/** The `then` branch of `data` for one format. */
const dataThen = (format: string): S => def('data').allOf.find((b: S) => b.if.properties.format.const === format).then;

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
  assert.deepEqual(sorted(schema.properties.sharing.properties.type.enum), sorted(sharingTypes));
  assert.deepEqual(sorted(schema.properties.convergence.properties.dropoutMasks.enum), sorted(masks));
  assert.deepEqual(sorted(def('encoder').properties.type.enum), sorted(encoderTypes));
  assert.deepEqual(sorted(def('data').properties.format.enum), sorted(formats));
});

test('schema properties and required fields equal the TypeScript interfaces', () => {
  const cases: [string, S, Keys<any>, Req<any>][] = [
    ['Experiment', schema, {
      $schema: true, name: true, description: true, data: true, encoder: true, tasks: true, feedback: true, iterations: true,
      convergence: true, gumbel: true, training: true, lossWeighting: true, sharing: true, layout: true,
    } satisfies Keys<Experiment>, {
      name: true, data: true, encoder: true, tasks: true, feedback: true, iterations: true, convergence: true, gumbel: true,
      training: true, lossWeighting: true,
    } satisfies Req<Experiment>],
    ['TaskSpec', def('task'), { id: true, kind: true, label: true, blocks: true, lossWeight: true, title: true, output: true, tokenLevel: true, vote: true } satisfies Keys<TaskSpec>,
      { id: true, kind: true, blocks: true } satisfies Req<TaskSpec>],
    ['BlockSpec', def('block'), { type: true, units: true, activation: true, dropout: true, heads: true, ffn: true } satisfies Keys<BlockSpec>,
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
      earlyStopping: true, logEvery: true, lrSchedule: true, weightAveraging: true,
    } satisfies Keys<TrainingSpec>, { epochs: true, batchSize: true, optimizer: true, learningRate: true, seed: true } satisfies Req<TrainingSpec>],
    ['LrScheduleSpec', def('training').properties.lrSchedule, {
      warmupSteps: true, decay: true, decayEpochs: true, minFactor: true, factor: true, patience: true,
    } satisfies Keys<LrScheduleSpec>, {} satisfies Req<LrScheduleSpec>],
    ['WeightAveragingSpec', def('training').properties.weightAveraging, { decay: true } satisfies Keys<WeightAveragingSpec>,
      { decay: true } satisfies Req<WeightAveragingSpec>],
    ['SharingSpec', schema.properties.sharing, { type: true, l2: true, crossStitch: true } satisfies Keys<SharingSpec>, {} satisfies Req<SharingSpec>],
    ['CrossStitchSpec', schema.properties.sharing.properties.crossStitch, { after: true, self: true } satisfies Keys<CrossStitchSpec>,
      { after: true } satisfies Req<CrossStitchSpec>],
    ['CharFeaturesSpec', def('charFeatures'), { embeddingDim: true, filters: true, widths: true, maxWordLength: true } satisfies Keys<CharFeaturesSpec>,
      {} satisfies Req<CharFeaturesSpec>],
    ['EarlyStoppingSpec', def('training').properties.earlyStopping, { metric: true, mode: true, patience: true } satisfies Keys<EarlyStoppingSpec>,
      { metric: true, patience: true } satisfies Req<EarlyStoppingSpec>],
    ['MlpEncoderSpec', encoderBranch('mlp'), { type: true, hidden: true, activation: true, dropout: true } satisfies Keys<MlpEncoderSpec>,
      { type: true, hidden: true } satisfies Req<MlpEncoderSpec>],
    ['BiGruEncoderSpec', encoderBranch('bigru'), { type: true, embeddingDim: true, hidden: true, layers: true, dropout: true, chars: true, wordDropout: true, attention: true } satisfies Keys<BiGruEncoderSpec>,
      { type: true, embeddingDim: true, hidden: true } satisfies Req<BiGruEncoderSpec>],
    ['CnnEncoderSpec', encoderBranch('cnn'), { type: true, embeddingDim: true, chars: true, wordDropout: true, widths: true, filters: true, layers: true, activation: true, dropout: true } satisfies Keys<CnnEncoderSpec>,
      { type: true, embeddingDim: true, filters: true } satisfies Req<CnnEncoderSpec>],
    ['TransformerEncoderSpec', encoderBranch('transformer'), {
      type: true, embeddingDim: true, chars: true, wordDropout: true, width: true, heads: true, layers: true, ffn: true, dropout: true, positions: true,
    } satisfies Keys<TransformerEncoderSpec>, { type: true, embeddingDim: true, width: true, heads: true } satisfies Req<TransformerEncoderSpec>],
    ['AttentionSpec', encoderBranch('bigru').properties.attention, { heads: true, dim: true, dropout: true, combine: true } satisfies Keys<AttentionSpec>,
      { heads: true, dim: true } satisfies Req<AttentionSpec>],
    ['CsvDataSpec', dataThen('csv'), { format: true, path: true, features: true, categorical: true, split: true, missing: true } satisfies Keys<CsvDataSpec>,
      { format: true, path: true, features: true } satisfies Req<CsvDataSpec>],
    ['JsonlDataSpec', dataThen('jsonl'), {
      format: true, path: true, splits: true, split: true, text: true, features: true, categorical: true, lowercase: true, minFreq: true, maxLength: true, limitTrain: true,
    } satisfies Keys<JsonlDataSpec>, { format: true, path: true } satisfies Req<JsonlDataSpec>],
    ['ConllDataSpec', dataThen('conll'), {
      format: true, path: true, splits: true, split: true, columns: true, token: true, commentPrefix: true, lowercase: true, minFreq: true, maxLength: true, limitTrain: true,
    } satisfies Keys<ConllDataSpec>, { format: true, path: true } satisfies Req<ConllDataSpec>],
    ['SplitFiles', dataThen('conll').properties.splits, { train: true, valid: true, test: true } satisfies Keys<SplitFiles>, { train: true, valid: true } satisfies Req<SplitFiles>],
    ['SluDataSpec', dataThen('slu'), {
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

test('loss weighting: the schema lists every type with exactly its options, as validate() does', () => {
  const lw = schema.properties.lossWeighting;
  assert.deepEqual(sorted(lw.properties.type.enum), sorted([...LOSS_WEIGHTING_TYPES]));
  const withLw = (x: unknown) => ({ ...sample('penguins.fmtl.json'), lossWeighting: x });
  for (const good of [{ type: 'fixed' }, { type: 'uncertainty' }, { type: 'dwa', temperature: 2 }, { type: 'dtp', gamma: 1, alpha: 0.1 }, { type: 'gradnorm', alpha: 1.5, learningRate: 0.025 }]) {
    assert.deepEqual(schemaErrors(withLw(good)), [], JSON.stringify(good));
  }
  for (const [bad, want] of [
    [{ type: 'uncertainty', temperature: 2 }, '$.lossWeighting.temperature: additional property'],
    [{ type: 'dwa', alpha: 1 }, '$.lossWeighting.alpha: additional property'],
    [{ type: 'dwa', temperature: 0 }, '$.lossWeighting.temperature: exclusiveMinimum must be > 0'],
    [{ type: 'dtp', alpha: 2 }, '$.lossWeighting.alpha: maximum must be <= 1'],
    [{ type: 'gradnorm', learningRate: -1 }, '$.lossWeighting.learningRate: exclusiveMinimum must be > 0'],
  ] as [unknown, string][]) {
    assert.ok(schemaErrors(withLw(bad)).includes(want), `${JSON.stringify(bad)}: ${schemaErrors(withLw(bad))}`);
  }
});

// Limits with reasons: validate() warns above the soft limit and refuses above the hard one, naming
// the limit and why; the parameter estimate matches the model the trainer builds; the schema carries
// the same hard limits.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parseExperiment, withDefaults } from '../../src/shared/experiment';
import { estimateParameters, LIMITS } from '../../src/shared/limits';
import type { Experiment } from '../../src/shared/experimentTypes';
import { buildModel } from '../../src/trainer/model/feedbackModel';
import { arrow, tabularData, tabularExperiment, textData, textExperiment } from '../trainer/synthetic';

const root = join(__dirname, '..', '..', '..');
const penguins = readFileSync(join(root, 'samples', 'penguins.fmtl.json'), 'utf8');

function withChange(change: (e: any) => void): ReturnType<typeof parseExperiment> {
  const e = JSON.parse(penguins);
  change(e);
  return parseExperiment(JSON.stringify(e, null, 2));
}

function only(r: ReturnType<typeof parseExperiment>, severity: 'error' | 'warning') {
  return r.errors.filter((i) => i.severity === severity);
}

test('iterations: 10000 and 1e9 are refused at iterations with the limit and why; 20 warns', () => {
  for (const K of [10000, 1e9]) {
    const errs = only(withChange((e) => { e.iterations = K; }), 'error');
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0].pathText, 'iterations');
    assert.match(errs[0].message, /above the limit of 100: each iteration re-runs every task tower/);
    assert.ok(errs[0].offset !== undefined);
  }
  const r = withChange((e) => { e.iterations = 20; });
  assert.ok(r.experiment, 'a soft limit does not refuse');
  assert.match(only(r, 'warning').find((w) => w.pathText === 'iterations')!.message, /above 10 \(allowed up to 100/);
});

test('widths: units 1e9, hidden [1000000], amplifier units, embeddingDim refused at their place', () => {
  const cases: [(e: any) => void, string][] = [
    [(e) => { e.tasks[0].blocks[0].units = 1e9; }, 'tasks[0].blocks[0].units'],
    [(e) => { e.encoder.hidden = [1000000]; }, 'encoder.hidden[0]'],
    [(e) => { e.feedback[0].amplifier.units = 100000; }, 'feedback[0].amplifier.units'],
    [(e) => { e.training.batchSize = 1e6; }, 'training.batchSize'],
  ];
  for (const [change, at] of cases) {
    const errs = only(withChange(change), 'error');
    assert.deepEqual(errs.map((x) => x.pathText), [at]);
    assert.match(errs[0].message, /above the limit of \d+: /);
  }
});

test('parameters: a model estimated above the soft limit warns at its widest layer, above the hard limit is refused', () => {
  const warn = withChange((e) => { e.encoder.hidden = [20000]; e.tasks.forEach((t: any) => { t.blocks[0].units = 200; }); });
  assert.ok(warn.experiment);
  const w = only(warn, 'warning').find((x) => /trainable parameters/.test(x.message));
  assert.ok(w, JSON.stringify(warn.errors));
  assert.equal(w.pathText, 'encoder.hidden[0]');
  const big = withChange((e) => { e.encoder.hidden = [30000, 30000]; });
  const errs = only(big, 'error');
  assert.equal(errs.length, 1, JSON.stringify(errs));
  assert.match(errs[0].message, /at least 9\d\d\.\d M trainable parameters .* above the limit of 200\.0 M: every parameter takes 4 bytes/);
});

test('SLU maxLength is a sequence-length limit', () => {
  const snips = JSON.parse(readFileSync(join(root, 'samples', 'snips.fmtl.json'), 'utf8'));
  snips.data.maxLength = 100000;
  const errs = parseExperiment(JSON.stringify(snips)).errors.filter((i) => i.severity === 'error');
  assert.deepEqual(errs.map((x) => x.pathText), ['data.maxLength']);
  assert.match(errs[0].message, /above the limit of 4096: the BiGRU runs one step per token/);
});

test('estimateParameters equals the built model (tabular and text, arrows, Gumbel gates, bigru and transformer blocks, every encoder, soft sharing, cross-stitch)', async () => {
  await tf.setBackend('cpu');
  const tab = tabularData(32);
  const text = textData(16);
  const outDims = (d: typeof tab, e: Experiment) => new Map(e.tasks.map((t) => [t.id, t.kind === 'regression' ? 1 : d.labelNames[t.id].length]));
  const exps: [Experiment, typeof tab][] = [
    [withDefaults(tabularExperiment([arrow('a', 'cls', 'reg', { amplifier: { type: 'mlp', units: 3, hidden: 5 } }), arrow('b', 'reg', 'cls')])), tab],
    [withDefaults(textExperiment([arrow('s', 'slots', 'intent', { injection: 'gumbel' }), arrow('i', 'intent', 'slots', { amplifier: { type: 'label-embedding', units: 4 } })], [{ type: 'bigru', units: 5 }, { type: 'dense', units: 7 }])), text],
  ];
  // Character CNN, a CRF slot head and a token-level intent tower.
  const rich = textExperiment([arrow('s', 'slots', 'intent')]);
  (rich.encoder as any).chars = { embeddingDim: 5, filters: 6, widths: [2, 3], maxWordLength: 10 };
  (rich.tasks[1] as any).output = 'crf';
  (rich.tasks[0] as any).tokenLevel = true;
  exps.push([withDefaults(rich), text]);
  for (const combine of ['concat', 'add'] as const) {
    const att = textExperiment([arrow('i', 'intent', 'slots')]);
    (att.encoder as any).attention = { heads: 2, dim: 6, combine };
    exps.push([withDefaults(att), text]);
  }
  const lstm = textExperiment([arrow('i', 'intent', 'slots')], [{ type: 'bilstm', units: 5 } as any, { type: 'dense', units: 3 }]);
  (lstm.encoder as any).type = 'bilstm';
  exps.push([withDefaults(lstm), text]);
  // CNN encoder (two layers, two widths, with character features) and Transformer encoders
  // (projected input and learned positions; no projection and sinusoidal), a transformer block fed.
  const cnn = textExperiment([arrow('i', 'intent', 'slots')]);
  cnn.encoder = { type: 'cnn', embeddingDim: 6, filters: 5, widths: [1, 3], layers: 2, chars: { embeddingDim: 3, filters: 2, widths: [2] } };
  exps.push([withDefaults(cnn), text]);
  const tr = textExperiment([arrow('i', 'intent', 'slots', { injection: 1 })], [{ type: 'transformer', units: 6, heads: 2, ffn: 7 }, { type: 'dense', units: 3 }]);
  tr.encoder = { type: 'transformer', embeddingDim: 5, width: 8, heads: 2, layers: 2, ffn: 9, positions: 'learned' };
  exps.push([withDefaults(tr), text]);
  const tr2 = textExperiment([arrow('s', 'slots', 'intent')]);
  tr2.encoder = { type: 'transformer', embeddingDim: 8, width: 8, heads: 4 };
  exps.push([withDefaults(tr2), text]);
  // Soft sharing (one encoder copy per task: tabular three, text two with characters) and
  // cross-stitch units (a T x T alpha per depth), alone and together.
  exps.push([withDefaults({ ...tabularExperiment([arrow('a', 'cls', 'bin')]), sharing: { type: 'soft', l2: 0.01 } }), tab]);
  exps.push([withDefaults({ ...tabularExperiment(), sharing: { type: 'hard', crossStitch: { after: [1, 2] } } }), tab]);
  exps.push([withDefaults({ ...rich, name: 'rich-soft', sharing: { type: 'soft', crossStitch: { after: [1] } } }), text]);
  for (const [e, d] of exps) {
    const m = buildModel(e, d, 1);
    const est = estimateParameters(e, { inputWidth: d.featureDim, vocab: d.vocab?.tokens.length, charVocab: d.charVocab?.tokens.length, outDims: outDims(d, e) });
    assert.equal(est.count, m.parameterCount, e.name);
    assert.equal(est.complete, true);
    m.dispose();
  }
});

test('the schema carries the hard limits as maximum', () => {
  const schema = JSON.parse(readFileSync(join(root, 'media', 'fmtl.schema.json'), 'utf8'));
  assert.equal(schema.properties.iterations.maximum, LIMITS.iterations.hard);
  assert.equal(schema.definitions.training.properties.batchSize.maximum, LIMITS.batchSize.hard);
  assert.equal(schema.definitions.block.properties.units.maximum, LIMITS.width.hard);
  assert.equal(schema.definitions.amplifier.properties.units.maximum, LIMITS.width.hard);
  assert.equal(schema.definitions.block.properties.units.maximum, LIMITS.width.hard);
  const branch = (type: string) => schema.definitions.encoder.allOf.find((b: any) => b.if.properties.type.const === type || b.if.properties.type.enum?.includes(type)).then;
  assert.equal(branch('bigru').properties.layers.maximum, LIMITS.depth.hard);
  assert.equal(branch('mlp').properties.hidden.items.maximum, LIMITS.width.hard);
  for (const t of ['cnn', 'transformer']) assert.equal(branch(t).properties.layers.maximum, LIMITS.depth.hard);
  assert.equal(branch('cnn').properties.filters.maximum, LIMITS.width.hard);
  assert.equal(branch('transformer').properties.width.maximum, LIMITS.width.hard);
  assert.equal(branch('transformer').properties.ffn.maximum, LIMITS.width.hard);
  assert.equal(schema.definitions.block.properties.ffn.maximum, LIMITS.width.hard);
  assert.equal(schema.definitions.embeddingDim.maximum, LIMITS.width.hard);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'jsonc-parser';
import { applyTextEdits, computeEdits, invertEdits, uniqueId } from '../../src/editor/edits';
import type { EditOutcome } from '../../src/editor/edits';
import { composeEdit, JsonTextEditor } from '../../src/editor/jsonTextEditor';
import type { TextEdit } from '../../src/editor/jsonTextEditor';
import type { IntentMessage } from '../../src/shared/graphEditorProtocol';
import { SAMPLE } from './fixture';
import { toGraphModel } from '../../src/editor/graphModel';
import { parseExperiment } from '../../src/shared/experiment';

type Intent = IntentMessage extends infer I ? (I extends IntentMessage ? Omit<I, 'baseVersion'> : never) : never;

function run(text: string, intent: Intent): EditOutcome {
  return computeEdits(text, { ...intent, baseVersion: 1 } as IntentMessage);
}

/** `text` with each [from, to] replaced; each `from` must occur exactly once. */
function replaced(text: string, pairs: [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) {
    assert.equal(out.split(from).length, 2, `fixture must contain exactly one ${JSON.stringify(from)}`);
    out = out.replace(from, () => to);
  }
  return out;
}

/** Apply the intent, check the exact text, that edits are sorted/non-overlapping, and that the inverse restores the bytes. */
function expectText(text: string, intent: Intent, expected: string): EditOutcome & { ok: true } {
  const r = run(text, intent);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const after = applyTextEdits(text, r.edits);
  assert.equal(after, expected);
  for (let i = 1; i < r.edits.length; i++) assert.ok(r.edits[i - 1].offset + r.edits[i - 1].length <= r.edits[i].offset, 'edits overlap');
  assert.equal(applyTextEdits(after, invertEdits(text, r.edits)), text, 'undo restores the bytes');
  assert.doesNotThrow(() => parse(after, [], { allowTrailingComma: true }));
  const errors: unknown[] = [];
  parse(after, errors as never, { allowTrailingComma: true });
  assert.deepEqual(errors, [], 'result is valid JSONC');
  return r;
}

function expectRefused(text: string, intent: Intent, reason: RegExp): void {
  const r = run(text, intent);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.reason, reason);
}

const ARROW = `\t\t{
\t\t\t"id": "intent_to_slots",
\t\t\t"from": "intent", "to": "slots",
\t\t\t"amplifier": { "type": "linear", "units": 16 },
\t\t\t"injection": "gumbel", "candidates": [1, 2, 3]
\t\t} // the paper's main arrow
`;

test('addFeedback appends a formatted arrow after the last one, keeping its trailing comment', () => {
  const r = expectText(SAMPLE, { type: 'graph/addFeedback', from: 'slots', to: 'intent', injection: 1 }, replaced(SAMPLE, [[
    `\t\t} // the paper's main arrow\n`,
    `\t\t}, // the paper's main arrow
\t\t{
\t\t\t"id": "slots-to-intent",
\t\t\t"from": "slots",
\t\t\t"to": "intent",
\t\t\t"amplifier": { "type": "linear", "units": 16 },
\t\t\t"injection": 1
\t\t}
`]]));
  assert.equal(r.created, 'slots-to-intent');
});

test('addFeedback: Gumbel injection, custom amplifier, id collision gets -2, creates the feedback array when absent', () => {
  const taken = SAMPLE.replace('"id": "intent_to_slots"', '"id": "slots-to-intent"');
  const r = run(taken, { type: 'graph/addFeedback', from: 'slots', to: 'intent', injection: 'gumbel', amplifier: { type: 'mlp', units: 8 } });
  assert.ok(r.ok);
  assert.equal(r.created, 'slots-to-intent-2');
  assert.match(applyTextEdits(taken, r.edits), /"amplifier": \{ "type": "mlp", "units": 8 \},\n\t\t\t"injection": "gumbel"\n/);

  const none = '{\n  "name": "x",\n  "tasks": [{ "id": "a", "blocks": [{}] }, { "id": "b", "blocks": [{}] }]\n}\n';
  expectText(none, { type: 'graph/addFeedback', from: 'a', to: 'b', injection: 1 }, `{
  "name": "x",
  "tasks": [{ "id": "a", "blocks": [{}] }, { "id": "b", "blocks": [{}] }],
  "feedback": [
    {
      "id": "a-to-b",
      "from": "a",
      "to": "b",
      "amplifier": { "type": "linear", "units": 16 },
      "injection": 1
    }
  ]
}
`);
});

test('addFeedback refusals: self-loop, duplicate arrow, unknown task, unknown block, bad amplifier', () => {
  expectRefused(SAMPLE, { type: 'graph/addFeedback', from: 'slots', to: 'slots', injection: 1 }, /self-loop/);
  expectRefused(SAMPLE, { type: 'graph/addFeedback', from: 'intent', to: 'slots', injection: 2 }, /already feeds "slots" \(arrow "intent_to_slots"\)/);
  expectRefused(SAMPLE, { type: 'graph/addFeedback', from: 'nope', to: 'slots', injection: 1 }, /no task "nope"/);
  expectRefused(SAMPLE, { type: 'graph/addFeedback', from: 'slots', to: 'intent', injection: 2 }, /has no block 2 \(it has h\^1..h\^1\)/);
  expectRefused(SAMPLE, { type: 'graph/addFeedback', from: 'slots', to: 'intent', injection: 1, amplifier: { type: 'linear', units: 0 } }, /units/);
});

test('deleteFeedback of the only arrow collapses the array, taking its same-line comment', () => {
  expectText(SAMPLE, { type: 'graph/deleteFeedback', id: 'intent_to_slots' }, replaced(SAMPLE, [[`"feedback": [\n${ARROW}\t]`, '"feedback": []']]));
  expectRefused(SAMPLE, { type: 'graph/deleteFeedback', id: 'x' }, /no arrow "x"/);
});

test('deleteFeedback of a middle and a last item in a multi-line array keeps the other items and comments', () => {
  const text = '[\n  1, // one\n  // about two\n  2,\n  3 // three\n]';
  const ed = new JsonTextEditor(text);
  ed.remove([1]);
  assert.equal(ed.text, '[\n  1, // one\n  // about two\n  3 // three\n]');
  ed.remove([1]);
  assert.equal(ed.text, '[\n  1 // one\n  // about two\n]');
  assert.equal(applyTextEdits(text, ed.edits), ed.text);
  const inline = new JsonTextEditor('{ "a": [1, 2, 3], "b": { "x": 1 } }');
  inline.remove(['a', 2]);
  inline.remove(['a', 0]);
  inline.remove(['b', 'x']);
  assert.equal(inline.text, '{ "a": [2], "b": {} }');
});

test('updateFeedback: amplifier, fixed injection drops candidates, combine, minimal replacements', () => {
  const r = expectText(SAMPLE, {
    type: 'graph/updateFeedback', id: 'intent_to_slots',
    patch: { injection: 2, combine: 'add', amplifier: { type: 'mlp', hidden: 32 } },
  }, replaced(SAMPLE, [
    ['"amplifier": { "type": "linear", "units": 16 }', '"amplifier": { "type": "mlp", "units": 16, "hidden": 32 }'],
    ['"injection": "gumbel", "candidates": [1, 2, 3]', '"injection": 2, "combine": "add"'],
  ]));
  assert.ok(r.edits.every((e) => e.length + e.content.length < 40), 'each edit touches only the changed value');
});

test('updateFeedback: candidates, enabled, null removes a key; refusals', () => {
  expectText(SAMPLE, { type: 'graph/updateFeedback', id: 'intent_to_slots', patch: { candidates: [2, 3], enabled: false } },
    replaced(SAMPLE, [['"candidates": [1, 2, 3]', '"candidates": [2, 3], "enabled": false']]));
  expectText(SAMPLE, { type: 'graph/updateFeedback', id: 'intent_to_slots', patch: { candidates: null } },
    replaced(SAMPLE, [['"injection": "gumbel", "candidates": [1, 2, 3]', '"injection": "gumbel"']]));
  expectRefused(SAMPLE, { type: 'graph/updateFeedback', id: 'intent_to_slots', patch: { injection: 4 } }, /no block 4/);
  expectRefused(SAMPLE, { type: 'graph/updateFeedback', id: 'intent_to_slots', patch: { candidates: [] } }, /at least one candidate/);
  expectRefused(SAMPLE, { type: 'graph/updateFeedback', id: 'intent_to_slots', patch: { candidates: [1, 1] } }, /distinct/);
  expectRefused(SAMPLE, { type: 'graph/updateFeedback', id: 'intent_to_slots', patch: { amplifier: { units: 2.5 } } }, /whole number/);
  expectRefused(SAMPLE, { type: 'graph/updateFeedback', id: 'nope', patch: { enabled: true } }, /no arrow/);
});

test('addTask appends a task with one dense block and a generated id', () => {
  const r = expectText(SAMPLE, { type: 'graph/addTask', kind: 'regression' }, replaced(SAMPLE, [[
    '\t\t\t] }\n\t],',
    `\t\t\t] },
\t\t{
\t\t\t"id": "task",
\t\t\t"kind": "regression",
\t\t\t"label": "label",
\t\t\t"blocks": [
\t\t\t\t{ "type": "dense", "units": 64, "activation": "relu" }
\t\t\t]
\t\t}
\t],`]]));
  assert.equal(r.created, 'task');
  const again = run(applyTextEdits(SAMPLE, r.edits), { type: 'graph/addTask', kind: 'tagging' });
  assert.ok(again.ok);
  assert.equal(again.created, 'task-2');
  expectRefused(SAMPLE, { type: 'graph/addTask', kind: 'tagging', id: 'slots' }, /already exists/);
  expectRefused(SAMPLE, { type: 'graph/addTask', kind: 'tagging', id: '9x' }, /not a valid id/);
});

test('removeTask removes its arrows and layout positions in one edit set; the last task cannot go', () => {
  const r = expectText(SAMPLE, { type: 'graph/removeTask', id: 'slots' }, replaced(SAMPLE, [
    [`\t\t},
\t\t{ "id": "slots", "kind": "tagging", "label": "seq.out", // per token
\t\t\t"blocks": [
\t\t\t\t{ "type": "bigru", "units": 64 },
\t\t\t\t{ "type": "dense", "units": 64, "activation": "relu" },
\t\t\t\t{ "type": "dense", "units": 32 }
\t\t\t] }
`, '\t\t}\n'],
    [`"feedback": [\n${ARROW}\t]`, '"feedback": []'],
    [`"nodes": {
\t\t\t"slots": { "x": 300, "y": 40 },
\t\t\t"slots/2": { "x": 300, "y": 200 },
\t\t\t"slots/3": { "x": 300, "y": 140 }
\t\t}`, '"nodes": {}'],
  ]));
  assert.equal(r.note, 'Removed task "slots" and its arrow "intent_to_slots".');
  const one = applyTextEdits(SAMPLE, r.edits);
  expectRefused(one, { type: 'graph/removeTask', id: 'intent' }, /at least one task/);
});

test('renameTask updates the id, arrow ends, layout keys and the early-stopping metric', () => {
  expectText(SAMPLE, { type: 'graph/renameTask', id: 'slots', newId: 'tags' }, replaced(SAMPLE, [
    ['{ "id": "slots"', '{ "id": "tags"'],
    ['"to": "slots"', '"to": "tags"'],
    ['"metric": "slots.f1"', '"metric": "tags.f1"'],
    ['"slots": { "x"', '"tags": { "x"'],
    ['"slots/2"', '"tags/2"'],
    ['"slots/3"', '"tags/3"'],
  ]));
  expectRefused(SAMPLE, { type: 'graph/renameTask', id: 'slots', newId: 'intent' }, /already exists/);
  expectRefused(SAMPLE, { type: 'graph/renameTask', id: 'slots', newId: 'a b' }, /not a valid id/);
  expectRefused(SAMPLE, { type: 'graph/renameTask', id: 'x', newId: 'y' }, /no task "x"/);
});

test('updateTask sets kind/title and removes a key with null', () => {
  expectText(SAMPLE, { type: 'graph/updateTask', id: 'intent', patch: { title: 'Intent', lossWeight: 0.5 } }, replaced(SAMPLE, [[
    '\t\t\t"blocks": [ { "type": "dense", "units": 64 } ]\n',
    '\t\t\t"blocks": [ { "type": "dense", "units": 64 } ],\n\t\t\t"title": "Intent",\n\t\t\t"lossWeight": 0.5\n',
  ]]));
  const titled = replaced(SAMPLE, [['"label": "label",', '"label": "label", "title": "Intent",']]);
  expectText(titled, { type: 'graph/updateTask', id: 'intent', patch: { title: null, kind: 'regression' } },
    replaced(SAMPLE, [['"kind": "classification"', '"kind": "regression"']]));
  expectRefused(SAMPLE, { type: 'graph/updateTask', id: 'intent', patch: { label: ' ' } }, /label source cannot be empty/);
  expectRefused(SAMPLE, { type: 'graph/updateTask', id: 'intent', patch: { lossWeight: -1 } }, /Loss weight/);
  // A tagging task's output: 'crf' is written, null (softmax, the default) removes the key.
  const r = run(SAMPLE, { type: 'graph/updateTask', id: 'slots', patch: { output: 'crf' } });
  assert.ok(r.ok);
  const withCrf = applyTextEdits(SAMPLE, r.edits);
  assert.match(withCrf, /"output": "crf"/);
  expectText(withCrf, { type: 'graph/updateTask', id: 'slots', patch: { output: null } }, SAMPLE);
  expectRefused(SAMPLE, { type: 'graph/updateTask', id: 'slots', patch: { output: 'hmm' as 'crf' } }, /Unknown task output/);
  const r2 = run(SAMPLE, { type: 'graph/updateTask', id: 'intent', patch: { tokenLevel: true, vote: 'majority' } });
  assert.ok(r2.ok);
  const tokenLevel = applyTextEdits(SAMPLE, r2.edits);
  assert.match(tokenLevel, /"tokenLevel": true,\s*"vote": "majority"/);
  expectText(tokenLevel, { type: 'graph/updateTask', id: 'intent', patch: { tokenLevel: null, vote: null } }, SAMPLE);
  expectRefused(SAMPLE, { type: 'graph/updateTask', id: 'intent', patch: { vote: 'all' as 'majority' } }, /Unknown vote/);
});

test('addBlock inserts a copy of the block below and renumbers candidates and layout keys above it', () => {
  const r = expectText(SAMPLE, { type: 'graph/addBlock', taskId: 'slots', at: 2 }, replaced(SAMPLE, [
    ['\t\t\t\t{ "type": "bigru", "units": 64 },\n', '\t\t\t\t{ "type": "bigru", "units": 64 },\n\t\t\t\t{ "type": "bigru", "units": 64 },\n'],
    ['[1, 2, 3]', '[1, 3, 4]'],
    ['"slots/3"', '"slots/4"'],
    ['"slots/2"', '"slots/3"'],
  ]));
  assert.equal(r.created, 'slots/2');
  expectText(SAMPLE, { type: 'graph/addBlock', taskId: 'intent', block: { type: 'dense', units: 8 } },
    replaced(SAMPLE, [['[ { "type": "dense", "units": 64 } ]', '[ { "type": "dense", "units": 64 }, { "type": "dense", "units": 8 } ]']]));
  expectRefused(SAMPLE, { type: 'graph/addBlock', taskId: 'intent', at: 5 }, /position 5/);
});

test('removeBlock renumbers arrows and layout above it; refuses the last block and blocks a fixed arrow uses', () => {
  expectText(SAMPLE, { type: 'graph/removeBlock', taskId: 'slots', block: 2 }, replaced(SAMPLE, [
    ['\t\t\t\t{ "type": "dense", "units": 64, "activation": "relu" },\n', ''],
    ['[1, 2, 3]', '[1, 2]'],
    ['\t\t\t"slots/2": { "x": 300, "y": 200 },\n', ''],
    ['"slots/3"', '"slots/2"'],
  ]));
  expectRefused(SAMPLE, { type: 'graph/removeBlock', taskId: 'intent', block: 1 }, /at least one block/);
  const fixed = SAMPLE.replace('"injection": "gumbel", "candidates": [1, 2, 3]', '"injection": 2');
  expectRefused(fixed, { type: 'graph/removeBlock', taskId: 'slots', block: 2 }, /"intent_to_slots" injects into slots h\^2/);
  const shifted = expectText(fixed, { type: 'graph/removeBlock', taskId: 'slots', block: 1 }, replaced(fixed, [
    ['\t\t\t\t{ "type": "bigru", "units": 64 },\n', ''],
    ['"injection": 2', '"injection": 1'],
    ['"slots/2"', '"slots/1"'],
    ['"slots/3"', '"slots/2"'],
  ]));
  assert.ok(shifted.ok);
  const only = SAMPLE.replace('[1, 2, 3]', '[3]');
  expectRefused(only, { type: 'graph/removeBlock', taskId: 'slots', block: 3 }, /only candidate/);
});

test('updateBlock edits units, removes activation, adds dropout', () => {
  expectText(SAMPLE, { type: 'graph/updateBlock', taskId: 'slots', block: 2, patch: { units: 128, activation: null, dropout: 0.1 } },
    replaced(SAMPLE, [['{ "type": "dense", "units": 64, "activation": "relu" }', '{ "type": "dense", "units": 128, "dropout": 0.1 }']]));
  expectRefused(SAMPLE, { type: 'graph/updateBlock', taskId: 'slots', block: 4, patch: { units: 1 } }, /no block 4/);
  expectRefused(SAMPLE, { type: 'graph/updateBlock', taskId: 'slots', block: 1, patch: { dropout: 1 } }, /Dropout/);
});

test('updateSettings: K, beta, lambda, Gumbel and training values in place; new keys appended inline', () => {
  expectText(SAMPLE, {
    type: 'graph/updateSettings',
    patch: { iterations: 3, convergence: { beta: 0.7 }, gumbel: { tau0: 2, hard: true }, training: { learningRate: 0.0005, optimizer: 'sgd' } },
  }, replaced(SAMPLE, [
    ['"iterations": 2', '"iterations": 3'],
    ['"beta": 0.5', '"beta": 0.7'],
    ['{ "tau0": 1, "tauMin": 0.1 }', '{ "tau0": 2, "tauMin": 0.1, "hard": true }'],
    ['"optimizer": "adam", "learningRate": 0.001', '"optimizer": "sgd", "learningRate": 0.0005'],
  ]));
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { convergence: { beta: 1 } } }, /β/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { gumbel: { tauMin: 2 } } }, /cannot exceed/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { iterations: 0 } }, /at least 1 while feedback arrows exist/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { training: { epochs: 0 } } }, /Epochs/);
});

test('updateSettings: character features, word dropout, the LR schedule and the Gumbel horizon; removal restores the text', () => {
  const on = run(SAMPLE, { type: 'graph/updateSettings', patch: { encoder: { chars: {}, wordDropout: 0.1 }, training: { lrSchedule: { decay: 'linear', warmupSteps: 200 } }, gumbel: { annealEpochs: 8 } } });
  assert.ok(on.ok, on.ok ? '' : on.reason);
  const after = applyTextEdits(SAMPLE, on.edits);
  const v = parse(after) as { encoder: Record<string, unknown>; training: Record<string, unknown>; gumbel: Record<string, unknown> };
  assert.deepEqual(v.encoder, { type: 'bigru', embeddingDim: 64, hidden: 64, chars: {}, wordDropout: 0.1 });
  assert.deepEqual(v.training.lrSchedule, { decay: 'linear', warmupSteps: 200 });
  assert.equal(v.gumbel.annealEpochs, 8);
  assert.match(after, /\/\/ SNIPS: intent \+ slots with feedback/, 'comments survive');
  const filters = run(after, { type: 'graph/updateSettings', patch: { encoder: { chars: { filters: 64 } } } });
  assert.ok(filters.ok);
  assert.deepEqual((parse(applyTextEdits(after, filters.edits)) as { encoder: { chars: unknown } }).encoder.chars, { filters: 64 });
  const off = run(after, { type: 'graph/updateSettings', patch: { encoder: { chars: null, wordDropout: null }, training: { lrSchedule: null }, gumbel: { annealEpochs: null } } });
  assert.ok(off.ok);
  assert.deepEqual(parse(applyTextEdits(after, off.edits)), parse(SAMPLE));
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { encoder: { wordDropout: 1 } } }, /Word dropout/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { encoder: { chars: { filters: 0 } } } }, /filters/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { training: { lrSchedule: { decay: 'step' as 'linear' } } } }, /Unknown learning-rate decay/);
  expectRefused(SAMPLE.replace('"type": "bigru", "embeddingDim": 64, "hidden": 64', '"type": "mlp", "hidden": [8]'),
    { type: 'graph/updateSettings', patch: { encoder: { chars: {} } } }, /belong to a text encoder \(bigru, bilstm, cnn, transformer\)/);
});

test('updateSettings: weight averaging on, its decay, off again restores the text; a decay outside (0, 1) is refused', () => {
  const on = run(SAMPLE, { type: 'graph/updateSettings', patch: { training: { weightAveraging: { decay: 0.999 } } } });
  assert.ok(on.ok, on.ok ? '' : on.reason);
  const after = applyTextEdits(SAMPLE, on.edits);
  assert.deepEqual((parse(after) as { training: Record<string, unknown> }).training.weightAveraging, { decay: 0.999 });
  assert.deepEqual(parseExperiment(after).errors, []);
  assert.equal(toGraphModel(parse(after)).settings.training.weightAveraging?.decay, 0.999);
  const slower = run(after, { type: 'graph/updateSettings', patch: { training: { weightAveraging: { decay: 0.9995 } } } });
  assert.ok(slower.ok);
  assert.deepEqual((parse(applyTextEdits(after, slower.edits)) as { training: Record<string, unknown> }).training.weightAveraging, { decay: 0.9995 });
  const off = run(after, { type: 'graph/updateSettings', patch: { training: { weightAveraging: null } } });
  assert.ok(off.ok);
  assert.equal(applyTextEdits(after, off.edits), SAMPLE);
  for (const decay of [1, 0, -0.5]) expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { training: { weightAveraging: { decay } } } }, /weight-averaging decay/);
});

test('updateSettings: the encoder type and its sizes; a new type drops the old one\'s options and writes its required sizes', () => {
  const apply = (text: string, encoder: object) => {
    const r = run(text, { type: 'graph/updateSettings', patch: { encoder } });
    assert.ok(r.ok, r.ok ? '' : r.reason);
    const after = applyTextEdits(text, r.edits);
    assert.match(after, /\/\/ SNIPS: intent \+ slots with feedback/, 'comments survive');
    return after;
  };
  const enc = (text: string) => (parse(text) as { encoder: unknown }).encoder;
  const withAtt = SAMPLE.replace('"hidden": 64', '"hidden": 64, "layers": 2, "attention": { "heads": 2, "dim": 8 }, "wordDropout": 0.1');
  const cnn = apply(withAtt, { type: 'cnn' });
  assert.deepEqual(enc(cnn), { type: 'cnn', embeddingDim: 64, layers: 2, wordDropout: 0.1, filters: 64 });
  const sized = apply(cnn, { filters: 32, widths: [3, 5], activation: 'gelu', dropout: 0.2, layers: null });
  assert.deepEqual(enc(sized), { type: 'cnn', embeddingDim: 64, wordDropout: 0.1, filters: 32, widths: [3, 5], activation: 'gelu', dropout: 0.2 });
  const tr = apply(sized, { type: 'transformer', heads: 8 });
  assert.deepEqual(enc(tr), { type: 'transformer', embeddingDim: 64, wordDropout: 0.1, dropout: 0.2, heads: 8, width: 128 });
  assert.deepEqual(enc(apply(tr, { positions: 'learned', ffn: 256, layers: 3 })), { type: 'transformer', embeddingDim: 64, wordDropout: 0.1, dropout: 0.2, heads: 8, width: 128, positions: 'learned', ffn: 256, layers: 3 });
  assert.deepEqual(enc(apply(tr, { type: 'bigru' })), { type: 'bigru', embeddingDim: 64, wordDropout: 0.1, dropout: 0.2, hidden: 64 });
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { encoder: { type: 'mlp' as 'cnn' } } }, /Unknown text encoder "mlp"/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { encoder: { filters: 8 } } }, /"filters" is not an option of a bigru encoder/);
  expectRefused(cnn, { type: 'graph/updateSettings', patch: { encoder: { widths: [3, 0] } } }, /Window widths/);
  expectRefused(tr, { type: 'graph/updateSettings', patch: { encoder: { heads: 0 } } }, /Heads must be a whole number/);
  expectRefused(tr, { type: 'graph/updateSettings', patch: { encoder: { positions: 'rotary' as 'learned' } } }, /Unknown positions/);
});

test('updateBlock: a transformer block takes heads and ffn; another type drops them', () => {
  const tr = run(SAMPLE, { type: 'graph/updateBlock', taskId: 'slots', block: 1, patch: { type: 'transformer', heads: 4, ffn: 128 } });
  assert.ok(tr.ok, tr.ok ? '' : tr.reason);
  const after = applyTextEdits(SAMPLE, tr.edits);
  const blocks = (t: string) => (parse(t) as { tasks: { id: string; blocks: unknown[] }[] }).tasks.find((x) => x.id === 'slots')!.blocks;
  assert.deepEqual(blocks(after)[0], { ...(blocks(SAMPLE)[0] as object), type: 'transformer', heads: 4, ffn: 128 });
  const back = run(after, { type: 'graph/updateBlock', taskId: 'slots', block: 1, patch: { type: 'dense' } });
  assert.ok(back.ok);
  assert.deepEqual(blocks(applyTextEdits(after, back.edits))[0], { ...(blocks(SAMPLE)[0] as object), type: 'dense' });
  expectRefused(after, { type: 'graph/updateBlock', taskId: 'slots', block: 1, patch: { heads: 0 } }, /Heads/);
  expectRefused(SAMPLE, { type: 'graph/updateBlock', taskId: 'slots', block: 1, patch: { type: 'conv' as 'dense' } }, /use dense, bigru, bilstm, transformer/);
});

test('moveNodes replaces coordinates in place, adds new keys, creates layout when missing', () => {
  expectText(SAMPLE, { type: 'graph/moveNodes', positions: { 'slots/2': { x: 10.4, y: 20 }, intent: { x: 0, y: -5 } } }, replaced(SAMPLE, [
    ['"slots/2": { "x": 300, "y": 200 }', '"slots/2": { "x": 10, "y": 20 }'],
    ['\t\t\t"slots/3": { "x": 300, "y": 140 }\n', '\t\t\t"slots/3": { "x": 300, "y": 140 },\n\t\t\t"intent": { "x": 0, "y": -5 }\n'],
  ]));
  const bare = '{\r\n  "tasks": [ { "id": "a", "blocks": [ {} ] } ] // one\r\n}\r\n';
  expectText(bare, { type: 'graph/moveNodes', positions: { encoder: { x: 1, y: 2 }, 'a/1': { x: 3, y: 4 } } },
    '{\r\n  "tasks": [ { "id": "a", "blocks": [ {} ] } ], // one\r\n  "layout": {\r\n    "nodes": {\r\n      "encoder": { "x": 1, "y": 2 },\r\n      "a/1": { "x": 3, "y": 4 }\r\n    }\r\n  }\r\n}\r\n');
  expectRefused(SAMPLE, { type: 'graph/moveNodes', positions: { 'slots/9': { x: 1, y: 1 } } }, /no node "slots\/9"/);
});

test('broken JSON is refused without edits', () => {
  expectRefused('{ "tasks": [ ', { type: 'graph/addTask', kind: 'classification' }, /syntax errors/);
});

test('uniqueId appends -2, -3 on collision', () => {
  assert.equal(uniqueId('a', []), 'a');
  assert.equal(uniqueId('a', ['a', 'a-2']), 'a-3');
});

test('composeEdit: composing random edit sequences equals applying them one after another', () => {
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let trial = 0; trial < 300; trial++) {
    const original = 'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 5 + rand(30));
    let text = original;
    let edits: TextEdit[] = [];
    for (let k = 0; k < 1 + rand(6); k++) {
      const offset = rand(text.length + 1);
      const length = rand(Math.min(4, text.length - offset) + 1);
      const e = { offset, length, content: 'XYZ'.slice(0, rand(4)) };
      edits = composeEdit(edits, e, text);
      text = text.slice(0, offset) + e.content + text.slice(offset + length);
    }
    assert.equal(applyTextEdits(original, edits), text);
    assert.equal(applyTextEdits(text, invertEdits(original, edits)), original);
  }
});

test('updateSettings: loss weighting type and options as minimal edits; a new type drops the old options; bad values refused', () => {
  const dwa = expectText(SAMPLE, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'dwa', temperature: 3 } } },
    replaced(SAMPLE, [['"lossWeighting": { "type": "fixed" }', '"lossWeighting": { "type": "dwa", "temperature": 3 }']]));
  const afterDwa = applyTextEdits(SAMPLE, dwa.edits);
  // Switching type removes the option the new type does not have.
  expectText(afterDwa, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'uncertainty' } } },
    replaced(SAMPLE, [['"lossWeighting": { "type": "fixed" }', '"lossWeighting": { "type": "uncertainty" }']]));
  // Clearing an option removes its key (its default applies).
  expectText(afterDwa, { type: 'graph/updateSettings', patch: { lossWeighting: { temperature: null } } },
    replaced(SAMPLE, [['"lossWeighting": { "type": "fixed" }', '"lossWeighting": { "type": "dwa" }']]));
  const gn = run(SAMPLE, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'gradnorm', alpha: 0.5, learningRate: 0.01 } } });
  assert.ok(gn.ok);
  assert.deepEqual((parse(applyTextEdits(SAMPLE, gn.edits)) as { lossWeighting: unknown }).lossWeighting, { type: 'gradnorm', alpha: 0.5, learningRate: 0.01 });
  // A file without lossWeighting gets one.
  const without = SAMPLE.replace('\t"lossWeighting": { "type": "fixed" },\n', '');
  assert.notEqual(without, SAMPLE);
  const add = run(without, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'dtp' } } });
  assert.ok(add.ok);
  assert.deepEqual((parse(applyTextEdits(without, add.edits)) as { lossWeighting: unknown }).lossWeighting, { type: 'dtp' });
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'gradnrom' as 'gradnorm' } } }, /Unknown loss weighting/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { lossWeighting: { temperature: 2 } } }, /'temperature' is not an option of the fixed loss weighting/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'dwa', temperature: 0 } } }, /temperature must be a number > 0/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'dtp', alpha: 2 } } }, /in \(0, 1\]/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { lossWeighting: { type: 'gradnorm', learningRate: -1 } } }, /learning rate must be a number > 0/);
});

test('a language-model task is added without a label; turning a task into one removes its label and CRF, and back adds the default label', () => {
  const r = run(SAMPLE, { type: 'graph/addTask', kind: 'language-model', id: 'lm' });
  assert.ok(r.ok);
  const added = parse(applyTextEdits(SAMPLE, r.edits), [], { allowTrailingComma: true });
  assert.deepEqual(added.tasks.at(-1), { id: 'lm', kind: 'language-model', blocks: [{ type: 'dense', units: 64, activation: 'relu' }] });
  const crf = applyTextEdits(SAMPLE, (run(SAMPLE, { type: 'graph/updateTask', id: 'slots', patch: { output: 'crf' } }) as EditOutcome & { ok: true }).edits);
  const toLm = run(crf, { type: 'graph/updateTask', id: 'slots', patch: { kind: 'language-model' } });
  assert.ok(toLm.ok);
  const lmText = applyTextEdits(crf, toLm.edits);
  const slots = parse(lmText, [], { allowTrailingComma: true }).tasks.find((t: { id: string }) => t.id === 'slots');
  assert.equal(slots.kind, 'language-model');
  assert.equal(slots.label, undefined);
  assert.equal(slots.output, undefined);
  const back = run(lmText, { type: 'graph/updateTask', id: 'slots', patch: { kind: 'tagging' } });
  assert.ok(back.ok);
  const again = parse(applyTextEdits(lmText, back.edits), [], { allowTrailingComma: true }).tasks.find((t: { id: string }) => t.id === 'slots');
  assert.deepEqual([again.kind, again.label], ['tagging', 'seq.out']);
});

test('updateSettings sharing: soft, l2 and cross-stitch written in place; hard and null remove keys; an emptied sharing is removed', () => {
  const LAYOUT_END = '\t\t\t"slots/3": { "x": 300, "y": 140 }\n\t\t}\n\t}\n}';
  const soft = applyTextEdits(SAMPLE, (expectText(SAMPLE, { type: 'graph/updateSettings', patch: { sharing: { type: 'soft' } } },
    replaced(SAMPLE, [[LAYOUT_END, '\t\t\t"slots/3": { "x": 300, "y": 140 }\n\t\t}\n\t},\n\t"sharing": { "type": "soft" }\n}']])).edits));
  const both = replaced(SAMPLE, [[LAYOUT_END, '\t\t\t"slots/3": { "x": 300, "y": 140 }\n\t\t}\n\t},\n\t"sharing": { "type": "soft", "l2": 0.01, "crossStitch": { "after": [1, 2] } }\n}']]);
  expectText(soft, { type: 'graph/updateSettings', patch: { sharing: { l2: 0.01, crossStitch: { after: [1, 2] } } } }, both);
  // Back to hard: type and l2 go (l2 is soft's), the units stay; self is added in place.
  const hard = replaced(SAMPLE, [[LAYOUT_END, '\t\t\t"slots/3": { "x": 300, "y": 140 }\n\t\t}\n\t},\n\t"sharing": { "crossStitch": { "after": [1, 2], "self": 0.8 } }\n}']]);
  expectText(both, { type: 'graph/updateSettings', patch: { sharing: { type: 'hard', crossStitch: { self: 0.8 } } } }, hard);
  // Removing the units leaves nothing: the whole key goes, back to the original bytes.
  expectText(hard, { type: 'graph/updateSettings', patch: { sharing: { crossStitch: null } } }, SAMPLE);
  // Turning the units on writes after [1].
  const on = run(SAMPLE, { type: 'graph/updateSettings', patch: { sharing: { crossStitch: { after: [1] } } } });
  assert.ok(on.ok);
  assert.deepEqual((parse(applyTextEdits(SAMPLE, on.edits)) as { sharing: unknown }).sharing, { crossStitch: { after: [1] } });
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { sharing: { l2: -1 } } }, /l2 must be a number >= 0/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { sharing: { crossStitch: { after: [1, 1] } } } }, /different whole numbers >= 1/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { sharing: { crossStitch: { after: [0] } } } }, /different whole numbers >= 1/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { sharing: { crossStitch: { self: 1.5 } } } }, /self weight must be in \(0, 1\]/);
  expectRefused(SAMPLE, { type: 'graph/updateSettings', patch: { sharing: { type: 'shared' as 'soft' } } }, /Unknown sharing type "shared"/);
});

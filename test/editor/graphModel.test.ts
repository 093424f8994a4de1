import test from 'node:test';
import assert from 'node:assert/strict';
import { computeBadges, readGraph, toGraphModel } from '../../src/editor/graphModel';
import { issueTarget } from '../../webview/graph/issues';
import type { EpochEvent } from '../../src/shared/trainerProtocol';
import { SAMPLE } from './fixture';

test('readGraph: lenient model as written (no defaults), layout positions, encoder caption', () => {
  const r = readGraph(SAMPLE);
  assert.deepEqual(r.parseErrors, []);
  const m = r.model!;
  assert.equal(m.name, 'snips-feedback');
  assert.equal(m.encoder, 'BiGRU 64 · emb 64');
  assert.equal(readGraph(JSON.stringify({ encoder: { type: 'bigru', hidden: 32, embeddingDim: 16, attention: { heads: 4, dim: 128 } } })).model!.encoder, 'BiGRU 32 · emb 16 · attention 4×128');
  assert.equal(readGraph(JSON.stringify({ encoder: { type: 'bilstm', hidden: 32, embeddingDim: 16 } })).model!.encoder, 'BiLSTM 32 · emb 16');
  assert.equal(readGraph(JSON.stringify({ encoder: { type: 'cnn', filters: 64, embeddingDim: 16, chars: {} } })).model!.encoder, 'CNN 64×[3] · emb 16 + chars');
  assert.equal(readGraph(JSON.stringify({ encoder: { type: 'cnn', filters: 8, widths: [3, 5], layers: 2, embeddingDim: 16 } })).model!.encoder, 'CNN 8×[3,5] ×2 layers · emb 16');
  assert.equal(readGraph(JSON.stringify({ encoder: { type: 'transformer', width: 128, heads: 4, embeddingDim: 64 } })).model!.encoder, 'Transformer 128 · 4 heads ×2 layers · emb 64');
  const tr = readGraph(JSON.stringify({ encoder: { type: 'transformer', width: 96, heads: 3, layers: 1, ffn: 200, positions: 'learned', embeddingDim: 64, wordDropout: 0.1 },
    tasks: [{ id: 's', kind: 'tagging', blocks: [{ type: 'transformer', units: 32, heads: 4, ffn: 64 }, { type: 'dense', units: 8, heads: 2 }] }] })).model!;
  assert.equal(tr.encoder, 'Transformer 96 · 3 heads · emb 64');
  assert.deepEqual(Object.fromEntries(Object.entries(tr.settings.encoder).filter(([, v]) => v !== undefined)),
    { type: 'transformer', width: 96, heads: 3, layers: 1, ffn: 200, positions: 'learned', embeddingDim: 64, wordDropout: 0.1 });
  assert.deepEqual(tr.tasks[0].blocks.map((b) => [b.heads, b.ffn]), [[4, 64], [undefined, undefined]], 'heads and ffn are read for transformer blocks only');
  assert.deepEqual(m.tasks.map((t) => [t.id, t.kind, t.blocks.length]), [['intent', 'classification', 1], ['slots', 'tagging', 3]]);
  assert.deepEqual(m.tasks[1].blocks[1], { n: 2, type: 'dense', units: 64, activation: 'relu', dropout: undefined });
  const a = m.arrows[0];
  assert.deepEqual([a.id, a.from, a.to, a.injection, a.candidates, a.combine, a.enabled], ['intent_to_slots', 'intent', 'slots', 'gumbel', [1, 2, 3], undefined, undefined]);
  assert.equal(m.settings.gumbel.anneal, undefined, 'defaults are not filled in');
  assert.equal(m.settings.convergence.beta, 0.5);
  assert.deepEqual(m.settings.lossWeighting, { type: 'fixed', temperature: undefined, gamma: undefined, alpha: undefined, learningRate: undefined });
  assert.deepEqual(m.layout['slots/2'], { x: 300, y: 200 });
});

test('readGraph: a half-written file still draws and its validation issues come with JSON paths', () => {
  const text = '{ "name": "x", "tasks": [ { "id": "a", "kind": "classification", "blocks": [ {} ] }, { "kind": "tagging" } ],\n "feedback": [ { "id": "f", "from": "a", "to": "zzz", "injection": 1, "amplifier": { "type": "linear", "units": 4 } } ] }';
  const r = readGraph(text);
  assert.ok(r.model);
  assert.deepEqual(r.model.tasks.map((t) => t.id), ['a'], 'a task without id is not drawn');
  assert.equal(r.model.arrows.length, 1);
  assert.ok(r.issues.length > 0);
  const onArrow = r.issues.find((i) => i.path[0] === 'feedback' && i.path[2] === 'to');
  assert.ok(onArrow, JSON.stringify(r.issues));
  assert.deepEqual(issueTarget(onArrow, r.model), { kind: 'arrow', id: 'f' });
});

test('readGraph: syntax errors come with line and column and no model', () => {
  const r = readGraph('{\n  "name": "x",\n  "tasks": [\n}');
  assert.equal(r.model, undefined);
  assert.ok(r.parseErrors.length > 0);
  assert.equal(r.parseErrors[0].line, 4);
  assert.ok(r.parseErrors.every((e) => !/^[A-Z][a-z]+[A-Z]/.test(e.message)), `readable words, not parser codes: ${r.parseErrors.map((e) => e.message).join('; ')}`);
  assert.equal(readGraph('{ "a": 1 "b": 2 }').parseErrors[0].message, "',' expected");
  assert.equal(readGraph('[1]').parseErrors[0].message, 'The experiment must be a JSON object.');
});

test('issueTarget maps tasks, blocks, encoder and layout paths; file-level issues map to nothing', () => {
  const m = readGraph(SAMPLE).model!;
  const at = (path: (string | number)[]) => issueTarget({ path, pathText: '', message: '', severity: 'error' }, m);
  assert.deepEqual(at(['tasks', 1, 'blocks', 2, 'units']), { kind: 'node', id: 'slots/3' });
  assert.deepEqual(at(['tasks', 0, 'label']), { kind: 'node', id: 'intent' });
  assert.deepEqual(at(['encoder', 'hidden']), { kind: 'node', id: 'encoder' });
  assert.equal(at(['training', 'epochs']), undefined);
  assert.equal(at(['feedback', 5]), undefined);
});

function epoch(valid: EpochEvent['valid']): EpochEvent {
  return { type: 'run/epoch', runId: 'r', t: 0, epoch: 1, step: 1, train: {}, valid, trainLoss: {}, validLoss: {}, ms: 1 };
}

test('computeBadges: headline figure per task at the best-validation checkpoint (not each metric\'s own best epoch), gate argmax per arrow', () => {
  const m = readGraph(SAMPLE).model!;
  const b = computeBadges(m, {
    id: 'run-1', status: 'running',
    epochs: [{ ...epoch({ intent: { accuracy: 0.91 }, slots: { f1: 0.8 } }), epoch: 1, monitor: { metric: 'intent.accuracy', value: 0.91, best: 0.91, improved: true } },
      { ...epoch({ intent: { accuracy: 0.95 }, slots: { f1: 0.78 } }), epoch: 2, monitor: { metric: 'intent.accuracy', value: 0.95, best: 0.95, improved: true } }],
    lastGates: { intent_to_slots: { blocks: [1, 2, 3], probs: [0.1, 0.7, 0.2] } },
  });
  assert.deepEqual(b.tasks.intent, { metric: 'accuracy', value: 0.95, text: 'acc 95.0', label: 'accuracy 95.0' });
  assert.equal(b.tasks.slots.text, 'F1 78.0', 'slots at the best checkpoint (epoch 2), not its own best epoch');
  assert.equal(b.where, 'valid, best epoch so far 2');
  assert.deepEqual(b.arrows.intent_to_slots, { blocks: [1, 2, 3], probs: [0.1, 0.7, 0.2], argmax: 2, prob: 0.7 });
  const fromSummary = computeBadges(m, {
    id: 'run-2', status: 'completed', epochs: [],
    summary: { status: 'completed', epochs: 1, steps: 1, bestEpoch: 1, best: { valid: { intent: { accuracy: 0.5 } } }, last: { valid: {} }, gates: { intent_to_slots: { block: 3, prob: 0.9 } }, durationMs: 1, backend: 'cpu' },
  });
  assert.equal(fromSummary.tasks.intent.value, 0.5);
  assert.equal(fromSummary.tasks.slots, undefined);
  assert.equal(fromSummary.arrows.intent_to_slots.argmax, 3);
  assert.equal(fromSummary.where, 'valid, best epoch 1');
  const reg = { ...m, tasks: m.tasks.map((t) => (t.id === 'intent' ? { ...t, kind: 'regression' } : t)) };
  const mon = (improved: boolean) => ({ metric: 'intent.rmse', value: 0, best: 0, improved });
  const r = computeBadges(reg, { id: 'run-3', status: 'completed', epochs: [{ ...epoch({ intent: { rmse: 12.34 } }), epoch: 1, monitor: mon(true) }, { ...epoch({ intent: { rmse: 10.5 } }), epoch: 2, monitor: mon(true) }, { ...epoch({ intent: { rmse: 11 } }), epoch: 3, monitor: mon(false) }] });
  assert.equal(r.tasks.intent.text, 'RMSE 10.5', 'the best-validation checkpoint (epoch 2), 3 significant digits');
});

test('computeBadges: a two-way gate known only by its argmax shows both shares (74 / 26), not 74 / 0', () => {
  const m = readGraph(SAMPLE).model!;
  m.arrows[0].candidates = [1, 3];
  const summary = { status: 'completed' as const, epochs: 1, steps: 1, bestEpoch: 1, best: { valid: {} }, last: { valid: {} }, durationMs: 1, backend: 'cpu' };
  const b = computeBadges(m, { id: 'r', status: 'completed', epochs: [], summary: { ...summary, gates: { intent_to_slots: { block: 3, prob: 0.74 } } } });
  assert.deepEqual(b.arrows.intent_to_slots.blocks, [1, 3]);
  assert.equal(b.arrows.intent_to_slots.probs[0].toFixed(2), '0.26');
  assert.equal(b.arrows.intent_to_slots.argmax, 3);
  // Over three candidates the rest's split is unknown: argmax only, nothing invented.
  m.arrows[0].candidates = undefined;
  const three = computeBadges(m, { id: 'r', status: 'completed', epochs: [], lastGates: { intent_to_slots: { blocks: [2], probs: [0.6] } } });
  assert.deepEqual(three.arrows.intent_to_slots.blocks, [2]);
});

test('sharing as written: type, l2, the cross-stitch depths (whole numbers only) and self; nothing when absent', () => {
  assert.deepEqual(toGraphModel({}).settings.sharing, { type: undefined, l2: undefined });
  assert.deepEqual(toGraphModel({ sharing: { type: 'soft', l2: 0.01, crossStitch: { after: [1, 'x', 2.5, 2], self: 0.8 } } }).settings.sharing,
    { type: 'soft', l2: 0.01, crossStitch: { after: [1, 2], self: 0.8 } });
});

test('soft sharing: the encoder\'s issues point at the first task\'s encoder copy', () => {
  const m = toGraphModel({ tasks: [{ id: 'a', kind: 'classification', blocks: [] }, { id: 'b', kind: 'tagging', blocks: [] }], sharing: { type: 'soft' } });
  assert.deepEqual(issueTarget({ path: ['encoder', 'hidden'], pathText: 'encoder.hidden', message: 'x', severity: 'error' }, m), { kind: 'node', id: 'encoder@a' });
  const hard = toGraphModel({ tasks: [{ id: 'a', kind: 'classification', blocks: [] }] });
  assert.deepEqual(issueTarget({ path: ['encoder', 'hidden'], pathText: 'encoder.hidden', message: 'x', severity: 'error' }, hard), { kind: 'node', id: 'encoder' });
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { arrowLens, fileLens, hoverTable, pickRuns, taskLens } from '../../src/insights/lensAndHoverText';
import type { RunFigures } from '../../src/shared/runFigures';
import { runFigures } from '../../src/runs/runFigures';
import { itemAtOffset, outlineExperiment, LineIndex } from '../../src/insights/experimentOutline';
import type { RunInfo } from '../../src/runs/runStore';

const fig = (id: string, over: Partial<RunFigures> = {}): RunFigures => ({ id, name: id, status: 'completed', live: false, gates: {}, ...over });

test('task lens: headline metric per kind with the change against the previous finished run', () => {
  const latest = fig('r3', { valid: { slots: { f1: 0.941, precision: 0.95, recall: 0.93 } } });
  const prev = fig('r2', { valid: { slots: { f1: 0.935 } } });
  assert.equal(taskLens({ id: 'slots', taskKind: 'tagging' }, latest, prev)?.title, 'slots · F1 94.1 (+0.6)');
  assert.equal(taskLens({ id: 'slots', taskKind: 'tagging' }, latest, undefined)?.title, 'slots · F1 94.1');
  const sp = fig('a', { valid: { species: { accuracy: 0.931, macroF1: 0.92 } } });
  assert.equal(taskLens({ id: 'species', taskKind: 'classification' }, sp, fig('b', { valid: { species: { accuracy: 0.943 } } }))?.title, 'species · accuracy 93.1 (-1.2)');
  const mass = fig('m', { valid: { mass: { rmse: 312.4, mae: 250 } } });
  const t = taskLens({ id: 'mass', taskKind: 'regression' }, mass, fig('n', { valid: { mass: { rmse: 316.9 } } }))!;
  assert.equal(t.title, 'mass · RMSE 312 (-4.5)');
  assert.match(t.tooltip, /lower is better/);
  assert.equal(t.runId, 'm');
  assert.match(taskLens({ id: 'new', taskKind: 'tagging' }, latest, prev)!.title, /new · no figures/);
  assert.equal(taskLens({ id: 'x' }, undefined, undefined), undefined);
});

test('task lens of a live run says which epoch the figures are from', () => {
  const live = fig('l', { status: 'running', live: true, epoch: 3, epochs: 30, valid: { species: { accuracy: 0.9 } } });
  assert.equal(taskLens({ id: 'species', taskKind: 'classification' }, live, undefined)?.title, 'species · accuracy 90.0 · epoch 3/30');
});

test('arrow lens: learned gate, fixed block, switched off, not learned', () => {
  const r = fig('r', { gates: { i2s: { block: 2, prob: 0.9104 } } });
  assert.equal(arrowLens({ id: 'i2s', from: 'intent', to: 'slots', injection: 'gumbel', enabled: true }, r).title, 'intent→slots · gate: block 2 (0.91)');
  assert.equal(arrowLens({ id: 'x', from: 'a', to: 'b', injection: 1, enabled: true }, r).title, 'a→b · block 1 (fixed)');
  assert.equal(arrowLens({ id: 'x', from: 'a', to: 'b', injection: 'gumbel', enabled: false }, r).title, 'a→b · off');
  assert.equal(arrowLens({ id: 'zz', from: 'a', to: 'b', injection: 'gumbel', enabled: true }, r).title, 'a→b · gate: not learned yet');
});

test('pickRuns: newest run with metrics, previous finished run with metrics (failed and empty runs skipped), newest with gates', () => {
  const runs = [
    fig('starting', { status: 'running', live: true, gates: { g: { block: 1, prob: 0.5 } } }),
    fig('new', { valid: { a: { accuracy: 1 } } }),
    fig('failed', { status: 'failed', valid: { a: { accuracy: 0 } } }),
    fig('old', { valid: { a: { accuracy: 0.5 } } }),
  ];
  const p = pickRuns(runs);
  assert.equal(p.newest?.id, 'starting');
  assert.equal(p.latest?.id, 'new', 'a run before its first epoch does not blank the task lenses');
  assert.equal(p.previous?.id, 'old');
  assert.equal(p.gates?.id, 'starting');
  const none = pickRuns([fig('x')]);
  assert.equal(none.latest, undefined);
  assert.equal(none.newest?.id, 'x');
});

test('runFigures: best valid metrics, gates from the summary or the argmax of the last gate event', () => {
  const base = { id: 'r', name: 'r-ablation-fixed', colorIndex: 0, status: 'running', live: true, hasLastCheckpoint: false } as RunInfo;
  const f = runFigures({ ...base, lastGates: { g: { blocks: [1, 2, 3], probs: [0.2, 0.7, 0.1] } } });
  assert.deepEqual(f.gates, { g: { block: 2, prob: 0.7 } });
  assert.equal(f.tag, 'ablation-fixed');
  const done = runFigures({ ...base, summary: { status: 'completed', epochs: 1, steps: 1, bestEpoch: 0, best: { valid: { a: { accuracy: 0.8 } } }, last: { valid: { a: { accuracy: 0.7 } } }, gates: { g: { block: 3, prob: 0.6 } }, durationMs: 1, backend: 'wasm' } });
  assert.deepEqual(done.valid, { a: { accuracy: 0.8 } });
  assert.deepEqual(done.gates, { g: { block: 3, prob: 0.6 } });
});

test('file lens and hover table', () => {
  assert.equal(fileLens(fig('l', { status: 'running', live: true, epoch: 2, epochs: 200, backend: 'wasm' }), 0)?.title, 'last run: running · epoch 2/200 · wasm');
  const now = Date.UTC(2026, 0, 1, 12);
  assert.equal(fileLens(fig('r', { startedAt: now - 5 * 60_000, backend: 'wasm', valid: { _overall: { accuracy: 0.882 } } }), now)?.title,
    'last run: completed 5 min ago · overall accuracy 88.2 · wasm');
  const runs = [fig('r2', { valid: { a: { accuracy: 0.9 } } }), fig('r1|x', { status: 'stopped', valid: { a: { accuracy: 0.85 } } })];
  const md = hoverTable({ kind: 'task', id: 'a', taskKind: 'classification' }, runs, (id) => `cmd:${id}`);
  assert.equal(md, [
    '**Task `a`** — last runs', '',
    '| run | status | accuracy | change |', '|---|---|--:|--:|',
    '| [r2](cmd:r2) | completed | 90.0 | +5.0 |',
    '| [r1\\|x](cmd:r1|x) | stopped | 85.0 |  |',
  ].join('\n'));
  assert.match(hoverTable({ kind: 'arrow', id: 'g', from: 'a', to: 'b', injection: 'gumbel' }, [], () => ''), /No runs with figures yet/);
  const said = [fig('r2', { valid: { a: { accuracy: 0.9 } }, test: { a: { accuracy: 0.88 } }, where: 'valid, best epoch 4' })];
  assert.equal(hoverTable({ kind: 'task', id: 'a', taskKind: 'classification' }, said, (id) => `cmd:${id}`).split('\n').slice(2).join('\n'), [
    '| run | status | figures | accuracy | change | test |', '|---|---|---|--:|--:|--:|',
    '| [r2](cmd:r2) | completed | valid, best epoch 4 | 90.0 |  | 88.0 |',
  ].join('\n'));
});

test('outline: tasks and arrows with id ranges, hover lookup by id and by from/to', () => {
  const text = '{\n  "name": "x", // c\n  "tasks": [{"id": "a", "kind": "tagging"}, {"id": "b"}],\n  "feedback": [{"id": "f", "from": "a", "to": "b", "injection": "gumbel", "enabled": false}]\n}';
  const o = outlineExperiment(text);
  assert.deepEqual(o.tasks.map((t) => [t.id, t.taskKind]), [['a', 'tagging'], ['b', undefined]]);
  assert.equal(o.arrows[0].injection, 'gumbel');
  assert.equal(o.arrows[0].enabled, false);
  assert.equal(new LineIndex(text).positionAt(o.tasks[1].offset).line, 2);
  assert.equal(itemAtOffset(o, text.indexOf('"f"') + 1)?.id, 'f');
  assert.equal(itemAtOffset(o, text.indexOf('"to": "b"') + 7)?.id, 'b');
  assert.equal(itemAtOffset(o, 1), undefined);
  assert.equal(o.name, 'x');
  assert.deepEqual(outlineExperiment('{ broken').tasks, []);
});

test('task lens says its split and checkpoint and shows the test score of the same checkpoint (the run headline)', () => {
  const base = { id: 'r', name: 'r', colorIndex: 0, status: 'completed', live: false, hasLastCheckpoint: true } as RunInfo;
  const f = runFigures({ ...base, config: { tasks: [{ id: 'mass', kind: 'regression' }] } as RunInfo['config'],
    summary: { status: 'completed', epochs: 5, steps: 5, bestEpoch: 4, best: { valid: { mass: { rmse: 331, mae: 250 } }, test: { mass: { rmse: 340 } } }, last: { valid: { mass: { rmse: 325 } } }, gates: {}, durationMs: 1, backend: 'wasm' } });
  assert.equal(f.where, 'valid, best epoch 4');
  assert.equal(taskLens({ id: 'mass', taskKind: 'regression' }, f, undefined)?.title, 'mass · RMSE 331 (valid, best epoch 4) · test 340');
  assert.match(taskLens({ id: 'mass', taskKind: 'regression' }, f, undefined)!.tooltip, /Test RMSE of the same checkpoint: 340\./);
});

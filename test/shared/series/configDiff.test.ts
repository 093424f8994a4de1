import test from 'node:test';
import assert from 'node:assert/strict';
import { configKey, diffConfigs, flattenConfig } from '../../../src/shared/series/configDiff';
import { assignColors, fnv1a, paletteColor } from '../../../src/shared/series/colors';

test('flattenConfig keys id-bearing arrays by id and skips layout', () => {
  const flat = flattenConfig({ tasks: [{ id: 'a', blocks: [{ units: 4 }] }], layout: { nodes: {} }, feedback: [] });
  assert.deepEqual([...flat], [['feedback', '[]'], ['tasks[a].blocks[0].units', '4'], ['tasks[a].id', '"a"']]);
});

test('diffConfigs reports only settings that differ, with each run\'s value', () => {
  const a = { iterations: 3, training: { seed: 1, epochs: 5 }, feedback: [{ id: 'f', injection: 'gumbel' }] };
  const b = { iterations: 3, training: { seed: 2, epochs: 5 }, feedback: [{ id: 'f', injection: 2 }] };
  const c = { iterations: 3, training: { seed: 1, epochs: 5 }, feedback: [] };
  assert.deepEqual(diffConfigs([a, b, c]), [
    { path: 'feedback[f].id', values: ['"f"', '"f"', undefined] },
    { path: 'feedback[f].injection', values: ['"gumbel"', '2', undefined] },
    { path: 'training.seed', values: ['1', '2', '1'] },
    { path: 'feedback', values: [undefined, undefined, '[]'] },
  ]);
  assert.deepEqual(diffConfigs([a, undefined]), []);
});

test('configKey ignores seed, name and key order', () => {
  const a = { name: 'x', training: { seed: 1, epochs: 5 }, iterations: 2 };
  const b = { iterations: 2, training: { epochs: 5, seed: 9 }, name: 'y' };
  const c = { iterations: 3, training: { epochs: 5, seed: 1 }, name: 'x' };
  assert.equal(configKey(a), configKey(b));
  assert.notEqual(configKey(a), configKey(c));
});

test('assignColors: stable per id, distinct while slots remain, existing kept', () => {
  const m = assignColors(['r1', 'r2', 'r3']);
  assert.equal(new Set(m.values()).size, 3);
  assert.equal(m.get('r1'), fnv1a('r1') % 6);
  const again = assignColors(['r0', 'r2'], new Map(m));
  assert.equal(again.get('r2'), m.get('r2'));
  assert.ok(![...m.values()].includes(again.get('r0')!));
  assert.equal(paletteColor(7), 'var(--fmtl-series-orange, #d18616)');
});

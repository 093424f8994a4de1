import test from 'node:test';
import assert from 'node:assert/strict';
import { argmax, columnAt, computeHeatmapLayout, heatmapSvg, probColor } from '../../../src/shared/series/heatmapLayout';

const input = {
  blocks: [1, 2], steps: [10, 20, 30, 40], probs: [0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.05, 0.95], width: 214, height: 94,
};

test('columns tile the plot, argmax path switches rows where the gate flips', () => {
  const l = computeHeatmapLayout(input);
  assert.deepEqual(l.plot, { x: 58, y: 6, w: 100, h: 60 });
  assert.deepEqual(l.columns.map((c) => [c.x, c.w, c.step]), [[58, 25, 10], [83, 25, 20], [108, 25, 30], [133, 25, 40]]);
  assert.equal(l.argmaxPath, 'M58,21L83,21L108,21L108,51L133,51L158,51');
  assert.deepEqual(l.rows.map((r) => r.label), ['block 1', 'block 2']);
  assert.equal(columnAt(l, 110)!.step, 30);
  assert.equal(columnAt(l, 10), undefined);
});

test('narrow columns merge into their mean', () => {
  const l = computeHeatmapLayout({ ...input, minColumnPx: 40 });
  assert.equal(l.columns.length, 2);
  assert.ok(Math.abs(l.columns[0].p[0] - 0.75) < 1e-6);
});

test('SVG export has one rect per cell, the argmax path and a legend', () => {
  const svg = heatmapSvg(computeHeatmapLayout({ ...input, selectedStep: 20 }));
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 8 + 1);
  assert.ok(svg.includes('M58,21L83,21L108,21L108,51L133,51L158,51'));
  assert.ok(svg.includes(`fill="${probColor(0.95)}"`));
  assert.ok(svg.includes('x1="108" x2="108"'));
});

test('colour scale is monotone in brightness and argmax ignores NaN', () => {
  const lum = (hex: string) => parseInt(hex.slice(1, 3), 16) + parseInt(hex.slice(3, 5), 16) + parseInt(hex.slice(5, 7), 16);
  assert.ok(lum(probColor(0)) < lum(probColor(0.5)) && lum(probColor(0.5)) < lum(probColor(1)));
  assert.equal(argmax([NaN, 0.2, 0.1]), 1);
  assert.equal(argmax([NaN]), -1);
});

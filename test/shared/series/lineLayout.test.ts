import test from 'node:test';
import assert from 'node:assert/strict';
import { computeLineLayout, cssFallback, formatTick, layoutScales, lineSvg } from '../../../src/shared/series/lineLayout';

test('exact SVG of a small two-line chart', () => {
  const layout = computeLineLayout({
    width: 200, height: 120, xLabel: 'step',
    lines: [
      { id: 'a', label: 'train', color: 'var(--vscode-charts-blue, #3794ff)', x: [0, 1, 2], y: [1, 0.5, 0.25] },
      { id: 'b', label: 'valid', color: '#f00', x: [0, 2], y: [0.9, 0.4], markers: true, dash: '4 3' },
    ],
  });
  assert.equal(lineSvg(layout),
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120" viewBox="0 0 200 120" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">'
    + '<rect width="200" height="120" fill="#ffffff"/>'
    + '<defs><clipPath id="clip"><rect x="48" y="24" width="140" height="66"/></clipPath></defs>'
    + '<g stroke="#e5e5e5" stroke-width="1"><line x1="48" x2="188" y1="67" y2="67"/><line x1="48" x2="188" y1="27" y2="27"/></g>'
    + '<g fill="#6f6f6f" text-anchor="end"><text x="42" y="67" dy="0.32em">0.5</text><text x="42" y="27" dy="0.32em">1</text></g>'
    + '<line x1="48" x2="188" y1="90" y2="90" stroke="#6f6f6f"/>'
    + '<g fill="#6f6f6f" text-anchor="middle"><text x="48" y="104">0</text><text x="118" y="104">1</text><text x="188" y="104">2</text></g>'
    + '<text x="188" y="118" text-anchor="end" fill="#6f6f6f">step</text>'
    + '<g clip-path="url(#clip)" fill="none">'
    + '<path d="M48,27L118,67L188,87" stroke="#3794ff" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>'
    + '<path d="M48,35L188,75" stroke="#f00" stroke-width="1.5" stroke-dasharray="4 3" stroke-linejoin="round" stroke-linecap="round"/>'
    + '<circle cx="48" cy="35" r="2.5" fill="#f00"/><circle cx="188" cy="75" r="2.5" fill="#f00"/></g>'
    + '<g fill="#333333"><line x1="48" x2="62" y1="8" y2="8" stroke="#3794ff" stroke-width="2"/><text x="66" y="8" dy="0.32em">train</text>'
    + '<line x1="111" x2="125" y1="8" y2="8" stroke="#f00" stroke-width="2" stroke-dasharray="4 3"/><text x="129" y="8" dy="0.32em">valid</text></g>'
    + '</svg>');
});

test('empty chart says it is waiting and does not throw', () => {
  const l = computeLineLayout({ width: 100, height: 80, lines: [{ id: 'a', label: 'a', color: 'red', x: [], y: [] }] });
  assert.ok(l.empty);
  assert.ok(lineSvg(l).includes('waiting for data'));
});

test('zoomed x domain clips and rescales y to the visible points', () => {
  const x = Array.from({ length: 100 }, (_, i) => i);
  const y = x.map((i) => (i < 50 ? 10 : 1));
  const l = computeLineLayout({ width: 300, height: 200, lines: [{ id: 'a', label: 'a', color: 'red', x, y }], xDomain: [60, 90] });
  assert.deepEqual(l.yDomain, [0, 2]);
  const { x: sx } = layoutScales(l);
  assert.equal(sx(60), l.plot.x);
});

test('log axis labels powers of ten and skips non-positive values', () => {
  const l = computeLineLayout({ width: 300, height: 200, yLog: true, lines: [{ id: 'a', label: 'a', color: 'red', x: [0, 1, 2, 3], y: [0.2, 0.007, 0, 0.003] }] });
  assert.deepEqual(l.yTicks.map((t) => t.label), ['0.01', '0.1']);
  assert.equal((l.lines[0].d.match(/M/g) ?? []).length, 2);
});

test('helpers: tick format and CSS fallback', () => {
  assert.equal(formatTick(20000), '20k');
  assert.equal(formatTick(0.0001), '1e-4');
  assert.equal(formatTick(0.25), '0.25');
  assert.equal(cssFallback('var(--vscode-charts-red, #f14c4c)'), '#f14c4c');
});

test('a K = 2 convergence chart: room around its two points, one tick per iteration step in words', () => {
  const l = computeLineLayout({
    lines: [{ id: 'e1', label: 'epoch 1', color: '#000', x: [0, 1], y: [0.02, 0.005] }],
    width: 400, height: 200, yLog: true, xIntegerTicks: true, xPad: 0.35,
    xTickLabel: (k) => `y${'⁰¹²'[k]}→y${'⁰¹²'[k + 1]}`,
  });
  assert.deepEqual(l.xDomain, [-0.35, 1.35]);
  assert.deepEqual(l.xTicks.map((t) => t.label), ['y⁰→y¹', 'y¹→y²']);
  assert.ok(l.xTicks[0].pos > l.plot.x + 20 && l.xTicks[1].pos < l.plot.x + l.plot.w - 20, 'the points are not pinned to the edges');
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { candidateBlocks, columnBox, columnCentres, computeLayout, curve, defaultPositions, entryPoint, FORK_ROOM, GAP, nodeWidths, pathPoints, portPoint, ROW, routeArrows, sharingGeometry } from '../../../webview/graph/layout';
import { FONT, MIN_FONT, textWidth } from '../../../webview/graph/captions';
import type { GraphModel } from '../../../src/shared/graphEditorProtocol';

function model(extra: Partial<GraphModel> = {}): GraphModel {
  return {
    name: 't', encoder: 'BiGRU 64',
    tasks: [
      { id: 'intent', index: 0, kind: 'classification', blocks: [{ n: 1, type: 'dense' }] },
      { id: 'slots', index: 1, kind: 'tagging', blocks: [{ n: 1, type: 'bigru' }, { n: 2, type: 'dense' }, { n: 3, type: 'dense' }] },
    ],
    arrows: [
      { id: 'i2s', index: 0, from: 'intent', to: 'slots', amplifier: { type: 'linear', units: 16 }, injection: 'gumbel', candidates: [1, 3] },
      { id: 's2i', index: 1, from: 'slots', to: 'intent', amplifier: { type: 'linear', units: 16 }, injection: 1 },
    ],
    settings: { convergence: {}, gumbel: {}, training: {}, encoder: {}, lossWeighting: {}, sharing: {} },
    layout: {},
    ...extra,
  };
}

test('default layout: encoder at the bottom centred, each task a column of blocks h^1 (lowest) .. h^m topped by its output', () => {
  const p = defaultPositions(model());
  const enc = p.get('encoder')!;
  const [x0, x1] = columnCentres(model());
  assert.equal(p.get('intent/1')!.x, 0);
  assert.equal(p.get('slots/1')!.x, x1);
  const { column } = nodeWidths(model());
  assert.equal(enc.x, (x0 - column[0] / 2 + x1 + column[1] / 2) / 2, 'encoder centred under the columns, edge to edge');
  // Rows go up (smaller y) from the encoder, one ROW per block.
  assert.equal(p.get('slots/1')!.y, enc.y - ROW);
  assert.equal(p.get('slots/3')!.y, enc.y - 3 * ROW);
  assert.ok(p.get('slots')!.y < p.get('slots/3')!.y, 'output above its top block');
  assert.ok(p.get('intent')!.y < p.get('intent/1')!.y);
  assert.ok(p.get('intent')!.y > p.get('slots')!.y, 'a shorter stack has a lower output');
});

test('positions from the file override defaults node by node; drag overrides beat both', () => {
  const m = model({ layout: { 'slots/2': { x: 900, y: 10 } } });
  const l = computeLayout(m);
  assert.deepEqual([l.byId.get('slots/2')!.x, l.byId.get('slots/2')!.y], [900, 10]);
  assert.equal(l.byId.get('slots/2')!.pinned, true);
  assert.equal(l.byId.get('slots/1')!.pinned, false);
  assert.equal(l.byId.get('slots/1')!.x, columnCentres(m)[1]);
  const dragged = computeLayout(m, { 'slots/2': { x: 5, y: 6 } });
  assert.deepEqual([dragged.byId.get('slots/2')!.x, dragged.byId.get('slots/2')!.y], [5, 6]);
  assert.ok(l.bounds.x + l.bounds.w >= 900 + l.byId.get('slots/2')!.w / 2, 'bounds include the moved node');
  assert.equal(l.nodes.length, 1 + 2 + 4);
});

test('arrows: a fixed arrow ends at its block, a Gumbel arrow forks to each candidate', () => {
  const m = model();
  const l = computeLayout(m);
  const [g, f] = routeArrows(m, l);
  assert.equal(g.id, 'i2s');
  assert.deepEqual(g.branches.map((b) => b.block), [1, 3]);
  const s3 = l.byId.get('slots/3')!;
  assert.equal(g.branches[1].end.x, s3.x - s3.w / 2, 'branch enters the block on the side facing the fork');
  assert.ok(g.fork!.x < s3.x - s3.w / 2, 'fork sits beside the target column, towards the source');
  assert.equal(f.branches.length, 0);
  const i1 = l.byId.get('intent/1')!;
  assert.match(f.path, new RegExp(`${i1.x + i1.w / 2},${i1.y}$`), 'fixed arrow ends on the right side of intent h^1');
  assert.deepEqual(candidateBlocks({ ...m.arrows[0], candidates: undefined }, m), [1, 2, 3]);
});

test('arrows from unknown tasks draw from a placeholder, arrows with no end name are skipped; empty models still lay out', () => {
  const m = model({ arrows: [{ id: 'x', index: 0, from: 'nope', to: 'slots', amplifier: { type: 'linear' }, injection: 1 }] });
  assert.equal(routeArrows(m, computeLayout(m)).length, 1);
  const unnamed = model({ arrows: [{ id: 'y', index: 0, from: '', to: 'slots', amplifier: { type: 'linear' }, injection: 1 }] });
  assert.equal(routeArrows(unnamed, computeLayout(unnamed)).length, 0);
  const empty = computeLayout(model({ tasks: [], arrows: [] }));
  assert.equal(empty.nodes.length, 1);
  assert.ok(Number.isFinite(empty.bounds.w));
});

test('stored left-to-right stacks: Gumbel forks above/below the row and branches enter blocks from the top or bottom', () => {
  const m = model({
    layout: {
      'slots/1': { x: 220, y: 240 }, 'slots/2': { x: 390, y: 240 }, 'slots/3': { x: 560, y: 240 }, slots: { x: 730, y: 240 },
      'intent/1': { x: 220, y: 0 }, intent: { x: 390, y: 0 },
    },
  });
  const l = computeLayout(m);
  const [g] = routeArrows(m, l);
  assert.ok(g.fork!.y < 240 - 19, 'fork between the rows, above the target row (source is above)');
  const s1 = l.byId.get('slots/1')!;
  assert.equal(g.branches[0].end.y, s1.y - s1.h / 2, 'branch enters h1 on its top side');
});

test('labels avoid nodes and each other', () => {
  const m = model();
  const l = computeLayout(m);
  const geo = routeArrows(m, l, () => ({ w: 80, h: 20 }));
  const boxes = geo.map((g) => ({ x: g.label.x - 40, y: g.label.y - 10, w: 80, h: 20 }));
  const hit = (a: typeof boxes[number], b: { x: number; y: number; w: number; h: number }) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  for (const b of boxes) for (const n of l.nodes) assert.ok(!hit(b, { x: n.x - n.w / 2, y: n.y - n.h / 2, w: n.w, h: n.h }), `label on node ${n.id}`);
  assert.ok(!hit(boxes[0], boxes[1]), 'labels overlap');
});

/** The penguins layout: species (1 block), sex (2 blocks, taller column), mass (1 block). */
function penguins(arrows: GraphModel['arrows']): GraphModel {
  return model({
    tasks: [
      { id: 'species', index: 0, kind: 'classification', blocks: [{ n: 1, type: 'dense' }] },
      { id: 'sex', index: 1, kind: 'classification', blocks: [{ n: 1, type: 'dense' }, { n: 2, type: 'dense' }] },
      { id: 'mass', index: 2, kind: 'regression', blocks: [{ n: 1, type: 'dense' }] },
    ],
    arrows,
  });
}

const strictlyInside = (p: { x: number; y: number }, n: { x: number; y: number; w: number; h: number }) =>
  Math.abs(p.x - n.x) < n.w / 2 && Math.abs(p.y - n.y) < n.h / 2;

test('an arrow whose direct curve passes under another column is routed around every node', () => {
  for (const injection of [1, 'gumbel'] as const) {
    const m = penguins([
      { id: 's2m', index: 0, from: 'species', to: 'mass', amplifier: { type: 'linear', units: 8 }, injection },
      { id: 'm2s', index: 1, from: 'mass', to: 'species', amplifier: { type: 'linear', units: 8 }, injection: 1 },
    ]);
    const l = computeLayout(m);
    // Precondition: the old direct curve species -> mass/1 does cross the sex column.
    const m1 = l.byId.get('mass/1')!;
    const end = entryPoint(m1, l.byId.get('species')!);
    const direct = pathPoints(curve(portPoint(l.byId.get('species')!, end), end));
    const sexCol = columnBox(m, l, 'sex')!;
    const sexCentre = { x: sexCol.x + sexCol.w / 2, y: sexCol.y + sexCol.h / 2, w: sexCol.w, h: sexCol.h };
    assert.ok(direct.some((p) => strictlyInside(p, sexCentre)), 'direct curve crosses the sex column');
    const geo = routeArrows(m, l);
    for (const g of geo) {
      const arrow = m.arrows.find((a) => a.id === g.id)!;
      const ends = new Set([arrow.from, typeof arrow.injection === 'number' ? `${arrow.to}/${arrow.injection}` : '']);
      const pts = pathPoints(g.path);
      assert.ok(pts.length > 20);
      const others = m.tasks.filter((t) => t.id !== arrow.from && t.id !== arrow.to).map((t) => columnBox(m, l, t.id)!)
        .map((b) => ({ id: 'column', x: b.x + b.w / 2, y: b.y + b.h / 2, w: b.w, h: b.h }));
      for (const n of [...l.nodes, ...others]) {
        if (ends.has(n.id)) continue;
        const bad = pts.find((p) => strictlyInside(p, n));
        assert.equal(bad, undefined, `${injection} ${g.id} passes through ${n.id} at ${JSON.stringify(bad)}`);
      }
      // Still ends where it should: the target block's side (fixed) or the fork (Gumbel).
      const last = pts[pts.length - 1];
      const want = g.fork ?? { x: m1.x - m1.w / 2, y: m1.y };
      if (g.id === 's2m') assert.deepEqual([last.x, last.y], [want.x, want.y]);
      assert.deepEqual(pts[0], { x: g.start.x, y: g.start.y });
    }
    // The detour goes over the taller sex column, not under it.
    const s2m = pathPoints(geo[0].path);
    const sexTop = l.byId.get('sex')!.y - l.byId.get('sex')!.h / 2;
    assert.ok(Math.min(...s2m.map((p) => p.y)) < sexTop, 'lane above the sex output');
    // Two detours do not share a lane.
    const lane = (path: string) => Math.min(...pathPoints(path).map((p) => p.y));
    assert.notEqual(lane(geo[0].path), lane(geo[1].path));
  }
});

test('arrows with a clear path keep their direct curve', () => {
  const m = model();
  const l = computeLayout(m);
  const [g, f] = routeArrows(m, l);
  const i1 = l.byId.get('intent/1')!;
  const end = entryPoint(i1, l.byId.get('slots')!, 0);
  assert.equal(f.path, curve(portPoint(l.byId.get('slots')!, end), end));
  assert.match(g.path, /^M[^LQ]*C[^LQ]*$/, 'single cubic, no detour');
});

test('labels stay off nodes and each other on routed arrows too', () => {
  const m = penguins([
    { id: 'a', index: 0, from: 'species', to: 'sex', amplifier: { type: 'label-embedding', units: 8 }, injection: 'gumbel', candidates: [1, 2] },
    { id: 'b', index: 1, from: 'species', to: 'mass', amplifier: { type: 'linear', units: 8 }, injection: 1 },
    { id: 'c', index: 2, from: 'sex', to: 'species', amplifier: { type: 'linear', units: 4 }, injection: 1 },
  ]);
  const l = computeLayout(m);
  const geo = routeArrows(m, l, () => ({ w: 110, h: 20 }));
  const boxes = geo.map((g) => ({ x: g.label.x - 55, y: g.label.y - 10, w: 110, h: 20 }));
  const hit = (a: typeof boxes[number], b: typeof boxes[number]) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  for (const b of boxes) for (const n of l.nodes) assert.ok(!hit(b, { x: n.x - n.w / 2, y: n.y - n.h / 2, w: n.w, h: n.h }), `label on node ${n.id}`);
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) assert.ok(!hit(boxes[i], boxes[j]), `labels ${i} and ${j} overlap`);  // The detoured arrow's label rides on its lane (the top of its path), not in the empty middle.
  const b = geo.find((g) => g.id === 'b')!;
  assert.equal(b.label.y, Math.min(...pathPoints(b.path).map((p) => p.y)));
});

test('boxes hold their words and columns sit GAP apart (plus room for each extra Gumbel fork in the gap)', () => {
  const m = model();
  const l = computeLayout(m);
  const out = l.byId.get('slots')!;
  assert.ok(out.w >= textWidth('tagging (per token)', FONT.sub) + 20, 'the task box holds its sub-line');
  const [i, s] = [l.byId.get('intent/1')!, l.byId.get('slots/1')!];
  const { column } = nodeWidths(m);
  assert.equal(s.x - column[1] / 2 - (i.x + column[0] / 2), GAP, 'one Gumbel arrow between them: the plain gap');
  const two = model({ arrows: [...m.arrows, { id: 's2i-g', index: 2, from: 'slots', to: 'intent', amplifier: { type: 'linear', units: 4 }, injection: 'gumbel' }] });
  const [a, b] = columnCentres(two);
  assert.equal(b - a - column[0] / 2 - column[1] / 2, GAP + FORK_ROOM, 'two forks share the gap: one FORK_ROOM more');
  // Compact enough to stay readable beside the charts: ~520 px at zoom >= 11 / MIN_FONT.
  assert.ok(l.bounds.w * (11 / MIN_FONT) < 400, `two tasks take ${l.bounds.w} units`);
});

test('an arrow to a task the file does not have draws to a placeholder node right of the columns', () => {
  const m = model({ arrows: [{ id: 's2b', index: 0, from: 'slots', to: 'bird', amplifier: { type: 'linear', units: 4 }, injection: 1 }] });
  const l = computeLayout(m);
  const bird = l.byId.get('?bird')!;
  assert.equal(bird.kind, 'missing');
  assert.deepEqual(bird.missing, { name: 'bird', arrowId: 's2b' });
  assert.ok(bird.x - bird.w / 2 > l.byId.get('slots')!.x + l.byId.get('slots')!.w / 2, 'right of the last column');
  const [g] = routeArrows(m, l);
  assert.equal(g.id, 's2b', 'the arrow is routed, not dropped');
  assert.equal(g.branches.length, 0);
});

test('soft sharing: one encoder copy under each column (no shared box), tied by dashed links labelled with l2', () => {
  const m = model({ settings: { convergence: {}, gumbel: {}, training: {}, encoder: {}, lossWeighting: {}, sharing: { type: 'soft', l2: 0.01 } } });
  const l = computeLayout(m);
  assert.equal(l.byId.has('encoder'), false);
  const [x0, x1] = columnCentres(m);
  const a = l.byId.get('encoder@intent')!, b = l.byId.get('encoder@slots')!;
  assert.deepEqual([a.kind, a.taskId, a.x, b.x], ['encoder', 'intent', x0, x1]);
  assert.equal(a.y, defaultPositions(m).get('encoder')!.y, 'at the shared encoder\'s row');
  assert.ok(a.x + a.w / 2 < b.x - b.w / 2, 'the copies do not overlap');
  const { ties, stitches } = sharingGeometry(m, l);
  assert.deepEqual(ties, [{ from: { x: a.x + a.w / 2, y: a.y }, to: { x: b.x - b.w / 2, y: b.y }, label: 'L2 0.01', between: ['intent', 'slots'] }]);
  assert.deepEqual(stitches, []);
  // l2 left out: the default's label; hard sharing: no ties.
  assert.equal(sharingGeometry(model({ settings: { ...m.settings, sharing: { type: 'soft' } } }), computeLayout(model({ settings: { ...m.settings, sharing: { type: 'soft' } } }))).ties[0].label, 'L2 0.001');
  assert.deepEqual(sharingGeometry(model(), computeLayout(model())).ties, []);
});

test('cross-stitch: one bar per depth across the towers that have that block, half a row gap above it', () => {
  const m = model({ settings: { convergence: {}, gumbel: {}, training: {}, encoder: {}, lossWeighting: {}, sharing: { crossStitch: { after: [1, 3], self: 0.8 } } } });
  const l = computeLayout(m);
  const { stitches } = sharingGeometry(m, l);
  // Depth 3 exists only in slots: nothing to stitch there, no bar.
  assert.equal(stitches.length, 1);
  const i1 = l.byId.get('intent/1')!, s1 = l.byId.get('slots/1')!;
  assert.deepEqual(stitches[0], {
    depth: 1, y: Math.min(i1.y - i1.h / 2, s1.y - s1.h / 2) - (ROW - 40) / 2,
    x0: i1.x - i1.w / 2, x1: s1.x + s1.w / 2, label: 'cross-stitch h1 · α 0.8', tasks: ['intent', 'slots'],
  });
  assert.ok(stitches[0].y > l.byId.get('slots/2')!.y + 20, 'below block 2');
});

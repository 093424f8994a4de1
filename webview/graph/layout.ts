/**
 * Pure geometry of the task graph (no DOM): node boxes and arrow paths. Default layout, as in the
 * paper's figure: the shared encoder at the bottom, each task a column of its blocks h^1..h^m from
 * the bottom up, topped by its output. Positions stored in the file (`layout.nodes`, node centres in
 * graph units) override the defaults node by node.
 */
import type { GraphArrow, GraphModel, Point } from '../../src/shared/protocol';
import { blockNodeId, ENCODER_NODE_ID } from '../../src/shared/protocol';

export const BLOCK_W = 148;
export const BLOCK_H = 38;
export const OUTPUT_W = 160;
export const OUTPUT_H = 48;
export const ENCODER_H = 46;
/** Horizontal distance between task columns. */
export const COLUMN = 320;
/** Vertical distance between rows (block to block). */
export const ROW = 72;

export type NodeKind = 'encoder' | 'task' | 'block';

/** A laid-out node: centre (x, y) and size. */
export interface LayoutNode {
  id: string;
  kind: NodeKind;
  /** Task of a task or block node. */
  taskId?: string;
  /** Block number of a block node. */
  n?: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** True when the position comes from the file. */
  pinned: boolean;
}

export interface Layout {
  nodes: LayoutNode[];
  byId: Map<string, LayoutNode>;
  /** Bounding box of all nodes. */
  bounds: { x: number; y: number; w: number; h: number };
}

/** Default centre of every node of `model`. */
export function defaultPositions(model: GraphModel): Map<string, Point> {
  const out = new Map<string, Point>();
  const maxM = Math.max(1, ...model.tasks.map((t) => t.blocks.length));
  const encoderY = (maxM + 1) * ROW + (OUTPUT_H - BLOCK_H);
  const n = Math.max(1, model.tasks.length);
  out.set(ENCODER_NODE_ID, { x: ((n - 1) * COLUMN) / 2, y: encoderY });
  model.tasks.forEach((t, i) => {
    const x = i * COLUMN;
    t.blocks.forEach((b) => out.set(blockNodeId(t.id, b.n), { x, y: encoderY - b.n * ROW }));
    out.set(t.id, { x, y: encoderY - (t.blocks.length + 1) * ROW - (OUTPUT_H - BLOCK_H) / 2 });
  });
  return out;
}

/** Lay out `model`; `overrides` (e.g. a node being dragged) beat the file's layout, which beats defaults. */
export function computeLayout(model: GraphModel, overrides: Record<string, Point> = {}): Layout {
  const defaults = defaultPositions(model);
  const nodes: LayoutNode[] = [];
  const n = Math.max(1, model.tasks.length);
  const place = (id: string, kind: NodeKind, w: number, h: number, extra: Partial<LayoutNode> = {}) => {
    const p = overrides[id] ?? model.layout[id];
    const d = defaults.get(id)!;
    nodes.push({ id, kind, w, h, x: p?.x ?? d.x, y: p?.y ?? d.y, pinned: Boolean(model.layout[id]), ...extra });
  };
  // Under the default columns the encoder spans them all; placed by the user it is a compact box.
  place(ENCODER_NODE_ID, 'encoder', model.layout[ENCODER_NODE_ID] ? OUTPUT_W : Math.max(OUTPUT_W, (n - 1) * COLUMN + OUTPUT_W), ENCODER_H);
  for (const t of model.tasks) {
    for (const b of t.blocks) place(blockNodeId(t.id, b.n), 'block', BLOCK_W, BLOCK_H, { taskId: t.id, n: b.n });
    place(t.id, 'task', OUTPUT_W, OUTPUT_H, { taskId: t.id });
  }
  const x0 = Math.min(...nodes.map((d) => d.x - d.w / 2));
  const y0 = Math.min(...nodes.map((d) => d.y - d.h / 2));
  const x1 = Math.max(...nodes.map((d) => d.x + d.w / 2));
  const y1 = Math.max(...nodes.map((d) => d.y + d.h / 2));
  return { nodes, byId: new Map(nodes.map((d) => [d.id, d])), bounds: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } };
}

/**
 * A curve end: a point and the unit direction the curve leaves it (start) or comes from (end),
 * i.e. the control point lies at `point + dir * reach`.
 */
export type Anchor = Point & { dx: number; dy: number };

/** Where a task's arrows leave its output box: the side facing `towards` (the drag port is on top). */
export function portPoint(out: LayoutNode, towards: Point): Anchor {
  const side = towards.x >= out.x ? 1 : -1;
  return { x: out.x + (side * out.w) / 2, y: out.y, dx: side, dy: 0 };
}

/**
 * Where an arrow enters `node` coming from `from`: a block of a vertical stack (the default layout)
 * is entered on its left or right side, a block of a horizontal stack on its top or bottom; `shift`
 * separates arrows into the same node.
 */
export function entryPoint(node: LayoutNode, from: Point, shift = 0, stack: 'vertical' | 'horizontal' = 'vertical'): Anchor {
  if (stack === 'horizontal') {
    const side = from.y >= node.y ? 1 : -1;
    return { x: node.x + shift, y: node.y + (side * node.h) / 2, dx: 0, dy: side };
  }
  const side = from.x >= node.x ? 1 : -1;
  return { x: node.x + (side * node.w) / 2, y: node.y + shift, dx: side, dy: 0 };
}

/** How a task's blocks are arranged (as laid out): bottom-up column or left-right row. */
export function stackOrientation(model: GraphModel, layout: Layout, taskId: string): 'vertical' | 'horizontal' {
  const t = model.tasks.find((x) => x.id === taskId);
  const pts = [...(t?.blocks.map((b) => layout.byId.get(blockNodeId(taskId, b.n))) ?? []), layout.byId.get(taskId)]
    .filter((n): n is LayoutNode => Boolean(n));
  if (pts.length < 2) return 'vertical';
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  return Math.max(...xs) - Math.min(...xs) > Math.max(...ys) - Math.min(...ys) ? 'horizontal' : 'vertical';
}

/** Control points of the curve from `a` to `b`. */
function controls(a: Anchor, b: Anchor): [Point, Point] {
  const reach = Math.max(40, Math.abs(b.x - a.x) * 0.45, Math.abs(b.y - a.y) * 0.45);
  return [{ x: a.x + a.dx * reach, y: a.y + a.dy * reach }, { x: b.x + b.dx * reach, y: b.y + b.dy * reach }];
}

/** Cubic curve from `a` to `b`. */
export function curve(a: Anchor, b: Anchor): string {
  const [c1, c2] = controls(a, b);
  return `M${r(a.x)},${r(a.y)} C${r(c1.x)},${r(c1.y)} ${r(c2.x)},${r(c2.y)} ${r(b.x)},${r(b.y)}`;
}

const r = (v: number) => Math.round(v * 10) / 10;

/** Point at parameter t of a cubic Bézier given as control points (for labels). */
export function bezierPoint(p0: Point, p1: Point, p2: Point, p3: Point, t: number): Point {
  const u = 1 - t;
  return {
    x: u * u * u * p0.x + 3 * u * u * t * p1.x + 3 * u * t * t * p2.x + t * t * t * p3.x,
    y: u * u * u * p0.y + 3 * u * u * t * p1.y + 3 * u * t * t * p2.y + t * t * t * p3.y,
  };
}

/** Geometry of one feedback arrow. */
export interface ArrowGeometry {
  id: string;
  /** Main path: output port -> target block (fixed) or -> fork point (Gumbel). */
  path: string;
  /** Gumbel branches: fork -> each candidate block. */
  branches: { block: number; path: string; end: Point }[];
  /** Label anchor (amplifier caption). */
  label: Point;
  /** The fork point of a Gumbel arrow. */
  fork?: Point;
  /** Port position on the source output. */
  start: Point;
}

/** Candidate blocks of a Gumbel arrow: as written, else all blocks of the target. */
export function candidateBlocks(arrow: GraphArrow, model: GraphModel): number[] {
  const target = model.tasks.find((t) => t.id === arrow.to);
  const all = target?.blocks.map((b) => b.n) ?? [];
  return arrow.candidates?.length ? arrow.candidates.filter((c) => all.includes(c)) : all;
}

/**
 * Route every arrow whose ends exist. Arrows into the same target are spread apart; a Gumbel arrow
 * forks beside the target stack into one branch per candidate block. Labels (the arrows' click
 * targets) go to the centre of the arrow's drawing when that spot is free, else along the curve,
 * never on a node or another label when avoidable.
 */
export function routeArrows(model: GraphModel, layout: Layout, labelSize: (a: GraphArrow) => { w: number; h: number } = () => ({ w: 90, h: 20 })): ArrowGeometry[] {
  const out: ArrowGeometry[] = [];
  const taken: Box[] = layout.nodes.map((n) => ({ x: n.x - n.w / 2, y: n.y - n.h / 2, w: n.w, h: n.h }));
  const placeLabel = (a: Anchor, b: Anchor, extra: Point[], arrow: GraphArrow): Point => {
    const [c1, c2] = controls(a, b);
    const { w, h } = labelSize(arrow);
    const pts = [...Array.from({ length: 17 }, (_, i) => bezierPoint(a, c1, c2, b, i / 16)), ...extra];
    const xs = pts.map((p) => p.x);
    const ys = pts.map((p) => p.y);
    const centre = { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2 };
    const candidates = [centre, ...[0.5, 0.3, 0.7, 0.4, 0.6, 0.2, 0.8].map((t) => bezierPoint(a, c1, c2, b, t))];
    let best: { p: Point; hits: number } | undefined;
    for (const p of candidates) {
      const box = { x: p.x - w / 2, y: p.y - h / 2, w, h };
      const hits = taken.filter((o) => overlaps(box, o)).length;
      if (!best || hits < best.hits) best = { p, hits };
      if (hits === 0) break;
    }
    taken.push({ x: best!.p.x - w / 2, y: best!.p.y - h / 2, w, h });
    return best!.p;
  };
  const perTarget = new Map<string, number>();
  for (const a of model.arrows) {
    const src = layout.byId.get(a.from);
    const targetTask = layout.byId.get(a.to);
    if (!src || !targetTask) continue;
    const k = perTarget.get(a.to) ?? 0;
    perTarget.set(a.to, k + 1);
    const shift = (k % 2 === 0 ? -1 : 1) * 6 * Math.ceil(k / 2);
    const stack = stackOrientation(model, layout, a.to);
    if (a.injection === 'gumbel' || a.injection === undefined) {
      const blocks = (a.injection === 'gumbel' ? candidateBlocks(a, model) : [])
        .map((n) => ({ n, node: layout.byId.get(blockNodeId(a.to, n)) }))
        .filter((b): b is { n: number; node: LayoutNode } => Boolean(b.node));
      const targets = blocks.length ? blocks.map((b) => b.node) : [targetTask];
      const cy = targets.reduce((s, t) => s + t.y, 0) / targets.length;
      const cx = targets.reduce((s, t) => s + t.x, 0) / targets.length;
      let fork: Anchor;
      if (stack === 'horizontal') {
        const side = src.y >= cy ? 1 : -1;
        fork = { x: cx + shift, y: cy + side * (Math.max(...targets.map((t) => t.h / 2)) + 34), dx: 0, dy: side };
      } else {
        const side = src.x >= cx ? 1 : -1;
        fork = { x: cx + side * (Math.max(...targets.map((t) => t.w / 2)) + 34), y: cy + shift, dx: side, dy: 0 };
      }
      const start = portPoint(src, fork);
      const branches = blocks.map(({ n, node }) => {
        const end = entryPoint(node, fork, shift / 2, stack);
        const c = stack === 'horizontal' ? { x: end.x, y: (fork.y + end.y) / 2 } : { x: (fork.x + end.x) / 2, y: end.y };
        return { block: n, end, path: `M${r(fork.x)},${r(fork.y)} Q${r(c.x)},${r(c.y)} ${r(end.x)},${r(end.y)}` };
      });
      const label = placeLabel(start, fork, branches.map((b) => b.end), a);
      out.push({ id: a.id, path: curve(start, fork), branches, fork: { x: fork.x, y: fork.y }, start, label });
      continue;
    }
    const target = layout.byId.get(blockNodeId(a.to, a.injection)) ?? targetTask;
    const end = entryPoint(target, src, shift, target === targetTask ? 'vertical' : stack);
    const start = portPoint(src, end);
    out.push({ id: a.id, path: curve(start, end), branches: [], start, label: placeLabel(start, end, [], a) });
  }
  return out;
}

interface Box { x: number; y: number; w: number; h: number }

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

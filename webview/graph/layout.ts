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
  place(ENCODER_NODE_ID, 'encoder', Math.max(OUTPUT_W, (n - 1) * COLUMN + OUTPUT_W), ENCODER_H);
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

/** A curve end: a point and the direction the curve leaves / enters it. */
export type Anchor = Point & { side: number; up?: boolean };

/** Where a task's arrows leave its output box: the side facing `towards` (the drag port is on top). */
export function portPoint(out: LayoutNode, towards: Point): Anchor {
  const side = towards.x >= out.x ? 1 : -1;
  return { x: out.x + (side * out.w) / 2, y: out.y, side };
}

/** Point on the side of `node` that faces `from`, offset vertically by `dy` (to separate arrows). */
export function entryPoint(node: LayoutNode, from: Point, dy = 0): Point & { side: 1 | -1 } {
  const side = from.x >= node.x ? 1 : -1;
  return { x: node.x + (side * node.w) / 2, y: node.y + dy, side };
}

/** Control points of the curve from `a` to `b` (horizontal tangents, or upwards out of a port). */
function controls(a: Anchor, b: Anchor): [Point, Point] {
  const reach = Math.max(40, Math.abs(b.x - a.x) * 0.45, Math.abs(b.y - a.y) * 0.25);
  const c1 = a.up ? { x: a.x + a.side * 30, y: a.y - Math.max(60, reach * 0.8) } : { x: a.x + a.side * reach, y: a.y };
  return [c1, { x: b.x + b.side * reach, y: b.y }];
}

/** Cubic curve from `a` (leaving on side `a.side`, or upwards) to `b` (entering on side `b.side`). */
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
 * Route every arrow whose ends exist. Arrows into the same target are spread vertically so they do
 * not overlap; a Gumbel arrow forks beside the target column into one branch per candidate block.
 */
export function routeArrows(model: GraphModel, layout: Layout, labelSize: (a: GraphArrow) => { w: number; h: number } = () => ({ w: 90, h: 20 })): ArrowGeometry[] {
  const out: ArrowGeometry[] = [];
  // Label boxes must not sit on nodes or on each other (they are the arrows' click targets).
  const taken: Box[] = layout.nodes.map((n) => ({ x: n.x - n.w / 2, y: n.y - n.h / 2, w: n.w, h: n.h }));
  const labelOn = (a: Anchor, b: Anchor, arrow: GraphArrow): Point => {
    const [c1, c2] = controls(a, b);
    const { w, h } = labelSize(arrow);
    let best: { p: Point; hits: number } | undefined;
    for (const t of [0.3, 0.5, 0.4, 0.6, 0.2, 0.7, 0.8]) {
      const p = bezierPoint(a, c1, c2, b, t);
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
    const dy = (k % 2 === 0 ? -1 : 1) * 6 * Math.ceil(k / 2);
    if (a.injection === 'gumbel' || a.injection === undefined) {
      const blocks = (a.injection === 'gumbel' ? candidateBlocks(a, model) : [])
        .map((n) => ({ n, node: layout.byId.get(blockNodeId(a.to, n)) }))
        .filter((b): b is { n: number; node: LayoutNode } => Boolean(b.node));
      const targets = blocks.length ? blocks.map((b) => b.node) : [targetTask];
      const cy = targets.reduce((s, t) => s + t.y, 0) / targets.length;
      const cx = targets.reduce((s, t) => s + t.x, 0) / targets.length;
      const side = src.x >= cx ? 1 : -1;
      const halfW = Math.max(...targets.map((t) => t.w / 2));
      const fork = { x: cx + side * (halfW + 34), y: cy + dy };
      const start = portPoint(src, fork);
      const path = curve(start, { ...fork, side });
      const branches = blocks.map(({ n, node }) => {
        const end = entryPoint(node, fork, dy / 2);
        const c = { x: (fork.x + end.x) / 2, y: end.y };
        return { block: n, end, path: `M${r(fork.x)},${r(fork.y)} Q${r(c.x)},${r(c.y)} ${r(end.x)},${r(end.y)}` };
      });
      out.push({ id: a.id, path, branches, fork, start, label: labelOn(start, { ...fork, side }, a) });
      continue;
    }
    const target = layout.byId.get(blockNodeId(a.to, a.injection)) ?? targetTask;
    const end = entryPoint(target, src, dy);
    const start = portPoint(src, end);
    out.push({ id: a.id, path: curve(start, end), branches: [], start, label: labelOn(start, end, a) });
  }
  return out;
}

interface Box { x: number; y: number; w: number; h: number }

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

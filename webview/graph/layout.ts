/**
 * Pure geometry of the task graph (no DOM): node boxes and arrow paths. Default layout, as in the
 * paper's figure: the shared encoder at the bottom, each task a column of its blocks h^1..h^m from
 * the bottom up, topped by its output. Positions stored in the file (`layout.nodes`, node centres in
 * graph units) override the defaults node by node.
 */
import type { GraphArrow, GraphModel, Point } from '../../src/shared/graphEditorProtocol';
import { blockNodeId, ENCODER_NODE_ID, encoderCopyId } from '../../src/shared/graphEditorProtocol';
import { SHARING_DEFAULTS } from '../../src/shared/experimentTypes';
import { blockSub, blockTitle, boxWidth, FONT, taskSub, taskTitle } from './captions';

/** Smallest block box width (boxes grow to hold their words, see `captions.ts`). */
export const BLOCK_W = 100;
export const BLOCK_H = 40;
/** Smallest task output box width. */
export const OUTPUT_W = 112;
export const OUTPUT_H = 48;
export const ENCODER_H = 46;
/**
 * Free space between neighbouring task columns: room for an arrow label pill and a Gumbel fork.
 * Columns are as wide as their widest box, so the drawing is as compact as its words allow.
 */
export const GAP = 84;
/** Vertical distance between rows (block to block). */
export const ROW = 72;

/** `missing`: a placeholder for a task an arrow names but the file does not have (`"to": "bird"`). */
export type NodeKind = 'encoder' | 'task' | 'block' | 'missing';

/** Node id of the placeholder for an unknown task name. */
export function missingNodeId(name: string): string {
  return `?${name}`;
}

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
  /** Placeholders: the unknown task name and the first arrow that names it. */
  missing?: { name: string; arrowId: string };
}

export interface Layout {
  nodes: LayoutNode[];
  byId: Map<string, LayoutNode>;
  /** Bounding box of all nodes. */
  bounds: { x: number; y: number; w: number; h: number };
}

/** Width of every task and block box (from its words) and of each task's column. */
export function nodeWidths(model: GraphModel): { node: Map<string, number>; column: number[] } {
  const node = new Map<string, number>();
  const column = model.tasks.map((t) => {
    const wt = boxWidth(taskTitle(t), FONT.taskTitle, taskSub(t), OUTPUT_W);
    node.set(t.id, wt);
    let w = wt;
    for (const b of t.blocks) {
      const wb = boxWidth(blockTitle(b), FONT.title, blockSub(b), BLOCK_W);
      node.set(blockNodeId(t.id, b.n), wb);
      w = Math.max(w, wb);
    }
    return w;
  });
  return { node, column };
}

/** Extra room per additional Gumbel fork in one gap (forks sit 34 units out from their target column). */
export const FORK_ROOM = 40;

/**
 * Centre x of each task column: the first at 0, the next `GAP` beyond the previous column's edge,
 * plus `FORK_ROOM` for each Gumbel arrow between the two beyond the first (their forks share the gap).
 */
export function columnCentres(model: GraphModel): number[] {
  const { column } = nodeWidths(model);
  const index = new Map(model.tasks.map((t, i) => [t.id, i]));
  const forks = column.map(() => 0);
  for (const a of model.arrows) {
    const i = index.get(a.from);
    const j = index.get(a.to);
    if (a.injection === 'gumbel' && i !== undefined && j !== undefined && Math.abs(i - j) === 1) forks[Math.max(i, j)]++;
  }
  const xs: number[] = [];
  column.forEach((w, i) => xs.push(i === 0 ? 0 : xs[i - 1] + column[i - 1] / 2 + GAP + FORK_ROOM * Math.max(0, forks[i] - 1) + w / 2));
  return xs;
}

/** Default centre of every node of `model`. */
export function defaultPositions(model: GraphModel): Map<string, Point> {
  const out = new Map<string, Point>();
  const maxM = Math.max(1, ...model.tasks.map((t) => t.blocks.length));
  const encoderY = (maxM + 1) * ROW + (OUTPUT_H - BLOCK_H);
  const xs = columnCentres(model);
  const span = encoderSpan(model);
  out.set(ENCODER_NODE_ID, { x: span.x, y: encoderY });
  model.tasks.forEach((t, i) => {
    const x = xs[i];
    out.set(encoderCopyId(t.id), { x, y: encoderY });
    t.blocks.forEach((b) => out.set(blockNodeId(t.id, b.n), { x, y: encoderY - b.n * ROW }));
    out.set(t.id, { x, y: encoderY - (t.blocks.length + 1) * ROW - (OUTPUT_H - BLOCK_H) / 2 });
  });
  return out;
}

/** Centre and width of the default encoder box: under every column, edge to edge. */
function encoderSpan(model: GraphModel): { x: number; w: number } {
  const { column } = nodeWidths(model);
  const xs = columnCentres(model);
  if (!xs.length) return { x: 0, w: OUTPUT_W };
  const x0 = xs[0] - column[0] / 2;
  const x1 = xs[xs.length - 1] + column[column.length - 1] / 2;
  return { x: (x0 + x1) / 2, w: Math.max(OUTPUT_W, x1 - x0) };
}

/** Lay out `model`; `overrides` (e.g. a node being dragged) beat the file's layout, which beats defaults. */
export function computeLayout(model: GraphModel, overrides: Record<string, Point> = {}): Layout {
  const defaults = defaultPositions(model);
  const widths = nodeWidths(model).node;
  const nodes: LayoutNode[] = [];
  const place = (id: string, kind: NodeKind, w: number, h: number, extra: Partial<LayoutNode> = {}) => {
    const p = overrides[id] ?? model.layout[id];
    const d = defaults.get(id)!;
    nodes.push({ id, kind, w, h, x: p?.x ?? d.x, y: p?.y ?? d.y, pinned: Boolean(model.layout[id]), ...extra });
  };
  // Under the default columns the encoder spans them all; placed by the user it is a compact box.
  // Soft sharing: one encoder copy under each task's column instead.
  const columns = nodeWidths(model).column;
  if (softSharing(model)) {
    model.tasks.forEach((t, i) => place(encoderCopyId(t.id), 'encoder', Math.max(columns[i], boxWidth(`Encoder · ${t.id}`, FONT.title, model.encoder, BLOCK_W)), ENCODER_H, { taskId: t.id }));
  } else {
    place(ENCODER_NODE_ID, 'encoder', model.layout[ENCODER_NODE_ID] ? Math.max(OUTPUT_W, boxWidth('Shared encoder', FONT.title, model.encoder, OUTPUT_W)) : encoderSpan(model).w, ENCODER_H);
  }
  for (const t of model.tasks) {
    for (const b of t.blocks) place(blockNodeId(t.id, b.n), 'block', widths.get(blockNodeId(t.id, b.n))!, BLOCK_H, { taskId: t.id, n: b.n });
    place(t.id, 'task', widths.get(t.id)!, OUTPUT_H, { taskId: t.id });
  }
  // An arrow naming a task the file does not have still draws, to a dashed placeholder right of
  // the columns, so its error is where the user looks.
  const known = new Set(model.tasks.map((t) => t.id));
  const missing = new Map<string, string>();
  for (const a of model.arrows) {
    for (const name of [a.from, a.to]) if (name && !known.has(name) && !missing.has(name)) missing.set(name, a.id);
  }
  if (missing.size) {
    const right = Math.max(...nodes.map((d) => d.x + d.w / 2));
    const top = Math.min(...nodes.filter((d) => d.kind === 'task').map((d) => d.y), defaults.get(ENCODER_NODE_ID)!.y - ROW);
    [...missing].forEach(([name, arrowId], i) => {
      const w = boxWidth(`"${name}"`, FONT.taskTitle, 'no such task', OUTPUT_W);
      nodes.push({ id: missingNodeId(name), kind: 'missing', w, h: OUTPUT_H, x: right + GAP + w / 2, y: top + i * ROW * 1.5, pinned: false, missing: { name, arrowId } });
    });
  }
  const x0 = Math.min(...nodes.map((d) => d.x - d.w / 2));
  const y0 = Math.min(...nodes.map((d) => d.y - d.h / 2));
  const x1 = Math.max(...nodes.map((d) => d.x + d.w / 2));
  const y1 = Math.max(...nodes.map((d) => d.y + d.h / 2));
  return { nodes, byId: new Map(nodes.map((d) => [d.id, d])), bounds: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } };
}

/** Whether the file asks for soft sharing (one encoder copy per task; needs at least one task). */
export function softSharing(model: GraphModel): boolean {
  return model.settings.sharing.type === 'soft' && model.tasks.length > 0;
}

/** A soft-sharing tie between two neighbouring encoder copies: a dashed link with its label. */
export interface TieLink { from: Point; to: Point; label: string; between: [string, string] }

/** A cross-stitch unit: a bar across the towers between block `depth` and the row above it. */
export interface StitchUnit { depth: number; x0: number; x1: number; y: number; label: string; tasks: string[] }

/**
 * What sharing adds to the drawing (pure): the tie links between neighbouring encoder copies
 * (labelled with l2) and one bar per cross-stitch depth across every tower that has that block,
 * half a gap above the highest of those blocks (labelled with alpha's initial self weight).
 */
export function sharingGeometry(model: GraphModel, layout: Layout): { ties: TieLink[]; stitches: StitchUnit[] } {
  const sh = model.settings.sharing;
  const ties: TieLink[] = [];
  if (softSharing(model)) {
    const copies = model.tasks.map((t) => layout.byId.get(encoderCopyId(t.id))).filter((n): n is LayoutNode => Boolean(n)).sort((a, b) => a.x - b.x);
    const label = `L2 ${sh.l2 ?? SHARING_DEFAULTS.l2}`;
    for (let i = 1; i < copies.length; i++) {
      const a = copies[i - 1], b = copies[i];
      ties.push({ from: { x: a.x + a.w / 2, y: a.y }, to: { x: b.x - b.w / 2, y: b.y }, label, between: [a.taskId!, b.taskId!] });
    }
  }
  const stitches: StitchUnit[] = [];
  for (const depth of sh.crossStitch?.after ?? []) {
    const blocks = model.tasks.map((t) => layout.byId.get(blockNodeId(t.id, depth))).filter((n): n is LayoutNode => Boolean(n));
    if (blocks.length < 2) continue;
    const top = Math.min(...blocks.map((b) => b.y - b.h / 2));
    stitches.push({
      depth, y: top - (ROW - BLOCK_H) / 2,
      x0: Math.min(...blocks.map((b) => b.x - b.w / 2)), x1: Math.max(...blocks.map((b) => b.x + b.w / 2)),
      label: `cross-stitch h${depth} · α ${sh.crossStitch?.self ?? SHARING_DEFAULTS.self}`, tasks: blocks.map((b) => b.taskId!),
    });
  }
  return { ties, stitches };
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

/** Where a Gumbel branch's learned share ("74%") is written: beside the fork end of its branch. */
export interface ShareLabel { x: number; y: number; anchor: 'start' | 'end' }

/** Room a share label takes (graph units), for keeping arrow labels off it. */
const SHARE_BOX = { w: 34, h: 15 };

/** Geometry of one feedback arrow. */
export interface ArrowGeometry {
  id: string;
  /** Main path: output port -> target block (fixed) or -> fork point (Gumbel). */
  path: string;
  /** Gumbel branches: fork -> each candidate block. */
  branches: { block: number; path: string; end: Point; share: ShareLabel }[];
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
 * forks beside the target stack into one branch per candidate block. An arrow whose direct curve
 * would pass under another node is detoured (see `detour`). Labels (the arrows' click targets) go
 * to the centre of the arrow's drawing when that spot is free, else along the path, never on a node
 * or another label when avoidable.
 */
export function routeArrows(model: GraphModel, layout: Layout, labelSize: (a: GraphArrow) => { w: number; h: number } = () => ({ w: 90, h: 20 })): ArrowGeometry[] {
  // Two passes: the first counts the detours, so the second can nest their lanes (see `route`).
  const first = routeAll(model, layout, labelSize, 0);
  return first.detours > 1 ? routeAll(model, layout, labelSize, first.detours).out : first.out;
}

function routeAll(model: GraphModel, layout: Layout, labelSize: (a: GraphArrow) => { w: number; h: number }, planned: number): { out: ArrowGeometry[]; detours: number } {
  const out: ArrowGeometry[] = [];
  const nodeBoxes = layout.nodes.map((n) => ({ id: n.id, box: nodeBox(n) }));
  const taken: Box[] = nodeBoxes.map((n) => n.box);
  const placeLabel = (path: string, extra: Point[], arrow: GraphArrow, lane?: Lane): Point => {
    const { w, h } = labelSize(arrow);
    const line = pathPoints(path);
    const pts = [...line, ...extra];
    const xs = pts.map((p) => p.x);
    const ys = pts.map((p) => p.y);
    const centre = { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2 };
    const along = (t: number) => line[Math.round(t * (line.length - 1))];
    // A detour's label rides on its lane (the centre of its drawing is empty space, often over
    // another column); any other arrow's label goes to the centre of its drawing when free.
    const onLane = lane ? [0.5, 0.35, 0.65, 0.2, 0.8].map((t) => ({ x: lane.x0 + (lane.x1 - lane.x0) * t, y: lane.y })) : [];
    const candidates = [...onLane, ...(lane ? [] : [centre]), ...[0.5, 0.3, 0.7, 0.4, 0.6, 0.2, 0.8].map(along)];
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
  // A task's column background (drawn behind its stack) is an obstacle too, for arrows between
  // other tasks: a curve squeezing between two blocks of a third task reads as entering it.
  const columns = model.tasks.map((t) => ({ id: t.id, box: columnBox(model, layout, t.id) }))
    .filter((c): c is { id: string; box: Box } => c.box !== undefined && (c.box.w <= OUTPUT_W + 80 || c.box.h <= OUTPUT_H + 80));
  const obstaclesExcept = (...ids: string[]) => [
    ...nodeBoxes.filter((n) => !ids.includes(n.id)).map((n) => n.box),
    ...columns.filter((c) => !ids.includes(c.id)).map((c) => c.box),
  ];
  const perTarget = new Map<string, number>();
  let lanes = 0;
  /**
   * The direct curve, or a detour when the curve crosses a node. Each detour gets its own lane, one
   * LANE_STEP above the previous, and turns one LANE_STEP closer to its ends than the previous, so
   * that the detours nest instead of drawing on top of each other.
   */
  const route = (a: Anchor, b: Anchor, obstacles: Box[]): { path: string; lane?: Lane } => {
    const d = detour(a, b, obstacles, lanes * LANE_STEP, LEAD + Math.min(3, Math.max(0, planned - 1 - lanes)) * LANE_STEP);
    if (d !== undefined) lanes++;
    return d ?? { path: curve(a, b) };
  };
  for (const a of model.arrows) {
    const src = layout.byId.get(a.from) ?? layout.byId.get(missingNodeId(a.from));
    const targetTask = layout.byId.get(a.to) ?? layout.byId.get(missingNodeId(a.to));
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
      const ends = blocks.map(({ node }) => entryPoint(node, fork, shift / 2, stack));
      const vertical = ends.some((e) => Math.abs(e.y - fork.y) > Math.abs(e.x - fork.x));
      const branches = blocks.map(({ n }, bi) => {
        const end = ends[bi];
        const c = stack === 'horizontal' ? { x: end.x, y: (fork.y + end.y) / 2 } : { x: (fork.x + end.x) / 2, y: end.y };
        return { block: n, end, path: `M${r(fork.x)},${r(fork.y)} Q${r(c.x)},${r(c.y)} ${r(end.x)},${r(end.y)}`, share: shareLabel(fork, end, vertical) };
      });
      // The share labels are drawn whatever happens: arrow labels must keep off them.
      for (const b of branches) taken.push({ x: b.share.anchor === 'start' ? b.share.x : b.share.x - SHARE_BOX.w, y: b.share.y - SHARE_BOX.h + 3, ...SHARE_BOX });
      const { path, lane } = route(start, fork, obstaclesExcept(src.id, a.to));
      const label = placeLabel(path, branches.map((b) => b.end), a, lane);
      out.push({ id: a.id, path, branches, fork: { x: fork.x, y: fork.y }, start, label });
      continue;
    }
    const target = layout.byId.get(blockNodeId(a.to, a.injection)) ?? targetTask;
    const end = entryPoint(target, src, shift, target === targetTask ? 'vertical' : stack);
    const start = portPoint(src, end);
    const { path, lane } = route(start, end, obstaclesExcept(src.id, target.id, a.to));
    out.push({ id: a.id, path, branches: [], start, label: placeLabel(path, [], a, lane) });
  }
  return { out, detours: lanes };
}

/** Position of a branch's share label: above / below a vertical fan's branch end, else halfway along it. */
function shareLabel(fork: Point, end: Point, vertical: boolean): ShareLabel {
  const anchor = end.x >= fork.x ? 'start' : 'end';
  if (vertical) return { x: fork.x + (end.x > fork.x ? 6 : -6), y: end.y < fork.y ? end.y - 5 : end.y + 13, anchor };
  return { x: fork.x + (end.x - fork.x) * 0.5 + (end.x >= fork.x ? 4 : -4), y: fork.y + (end.y - fork.y) * 0.5 + 4, anchor };
}

/**
 * The faint background box of a task's column: its output and blocks plus a 10-unit margin (as
 * drawn by the graph view); undefined for an unknown task.
 */
export function columnBox(model: GraphModel, layout: Layout, taskId: string): Box | undefined {
  const t = model.tasks.find((x) => x.id === taskId);
  const ns = [taskId, ...(t?.blocks.map((b) => blockNodeId(taskId, b.n)) ?? [])]
    .map((id) => layout.byId.get(id)).filter((n): n is LayoutNode => Boolean(n));
  if (!t || !ns.length) return undefined;
  const x0 = Math.min(...ns.map((n) => n.x - n.w / 2)) - 10;
  const x1 = Math.max(...ns.map((n) => n.x + n.w / 2)) + 10;
  const y0 = Math.min(...ns.map((n) => n.y - n.h / 2)) - 10;
  const y1 = Math.max(...ns.map((n) => n.y + n.h / 2)) + 10;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The horizontal run of a detour: at height `y` from `x0` to `x1`. */
export interface Lane { y: number; x0: number; x1: number }

/** An axis-aligned box (top-left corner and size). */
export interface Box { x: number; y: number; w: number; h: number }

/** Clearance kept between a detour and the nodes it passes. */
const CLEARANCE = 8;
/** How far a detour runs straight out of its port / into its target before turning. */
const LEAD = 26;
/** Vertical distance between the lanes of successive detours (so they do not draw on top of each other). */
const LANE_STEP = 12;
/** Corner radius of a detour. */
const CORNER = 18;

function nodeBox(n: LayoutNode): Box {
  return { x: n.x - n.w / 2, y: n.y - n.h / 2, w: n.w, h: n.h };
}

function inside(p: Point, b: Box): boolean {
  return p.x > b.x && p.x < b.x + b.w && p.y > b.y && p.y < b.y + b.h;
}

function inflate(b: Box, m: number): Box {
  return { x: b.x - m, y: b.y - m, w: b.w + 2 * m, h: b.h + 2 * m };
}

/** Number of `boxes` that some point of `pts` lies inside. */
export function boxesHit(pts: Point[], boxes: Box[]): number {
  return boxes.filter((b) => pts.some((p) => inside(p, b))).length;
}

/**
 * A detour for the arrow from `a` to `b` when the direct curve passes through one of `obstacles`
 * (undefined when the curve is clear, or when no detour does better). The detour leaves the port
 * straight, turns into a horizontal lane above (or, failing that, below) every obstacle between
 * its two ends — in the default layout that is above the task outputs — and comes down in the gap
 * beside the target, with rounded corners. `extraLift` raises the lane and `lead` is how far it runs
 * straight out of / into its ends before turning (both separate detours).
 */
export function detour(a: Anchor, b: Anchor, obstacles: Box[], extraLift = 0, lead = LEAD): { path: string; lane: Lane } | undefined {
  const direct = boxesHit(pathPoints(curve(a, b)), obstacles);
  if (direct === 0) return undefined;
  const p1 = { x: a.x + a.dx * lead, y: a.y + a.dy * lead };
  const pN = { x: b.x + b.dx * lead, y: b.y + b.dy * lead };
  const x0 = Math.min(p1.x, pN.x) - CLEARANCE;
  const x1 = Math.max(p1.x, pN.x) + CLEARANCE;
  const between = obstacles.filter((o) => o.x < x1 && o.x + o.w > x0);
  if (!between.length) return undefined;
  const grown = obstacles.map((o) => inflate(o, CLEARANCE / 2));
  const lanes = [
    Math.min(...between.map((o) => o.y), a.y, b.y) - 2 * CLEARANCE - LEAD / 2 - extraLift,
    Math.max(...between.map((o) => o.y + o.h), a.y, b.y) + 2 * CLEARANCE + LEAD / 2 + extraLift,
  ];
  let best: { path: string; lane: Lane; hits: number; length: number } | undefined;
  for (const y of lanes) {
    const pts = [{ x: a.x, y: a.y }, p1, { x: p1.x, y }, { x: pN.x, y }, pN, { x: b.x, y: b.y }];
    const path = roundedPath(pts, CORNER);
    const hits = boxesHit(pathPoints(path), grown);
    const length = pts.slice(1).reduce((s, p, i) => s + Math.abs(p.x - pts[i].x) + Math.abs(p.y - pts[i].y), 0);
    if (!best || hits < best.hits || (hits === best.hits && length < best.length)) best = { path, lane: { y, x0: p1.x, x1: pN.x }, hits, length };
  }
  return best && best.hits < direct ? { path: best.path, lane: best.lane } : undefined;
}

/** A polyline through `pts` with its corners rounded (quadratic arcs of radius up to `radius`). */
export function roundedPath(pts: Point[], radius: number): string {
  const q = pts.filter((p, i) => i === 0 || Math.hypot(p.x - pts[i - 1].x, p.y - pts[i - 1].y) > 0.5);
  let d = `M${r(q[0].x)},${r(q[0].y)}`;
  for (let i = 1; i < q.length - 1; i++) {
    const [p, c, n] = [q[i - 1], q[i], q[i + 1]];
    const l1 = Math.hypot(c.x - p.x, c.y - p.y);
    const l2 = Math.hypot(n.x - c.x, n.y - c.y);
    const k = Math.min(radius, l1 / 2, l2 / 2);
    const s = { x: c.x - ((c.x - p.x) / l1) * k, y: c.y - ((c.y - p.y) / l1) * k };
    const e = { x: c.x + ((n.x - c.x) / l2) * k, y: c.y + ((n.y - c.y) / l2) * k };
    d += ` L${r(s.x)},${r(s.y)} Q${r(c.x)},${r(c.y)} ${r(e.x)},${r(e.y)}`;
  }
  const last = q[q.length - 1];
  return `${d} L${r(last.x)},${r(last.y)}`;
}

/**
 * Points along an SVG path made of absolute M, L, Q and C commands (what this module draws),
 * `steps` per segment plus the start: for hit tests and label placement.
 */
export function pathPoints(d: string, steps = 16): Point[] {
  const out: Point[] = [];
  let cur: Point = { x: 0, y: 0 };
  for (const m of d.matchAll(/([MLQC])([^MLQC]*)/g)) {
    const v = (m[2].match(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g) ?? []).map(Number);
    const p = (i: number): Point => ({ x: v[2 * i], y: v[2 * i + 1] });
    if (m[1] === 'M') {
      cur = p(0);
      out.push(cur);
      continue;
    }
    const from = cur;
    const ctrl = m[1] === 'L' ? [from, from, p(0)] : m[1] === 'Q'
      ? [{ x: from.x + (2 / 3) * (p(0).x - from.x), y: from.y + (2 / 3) * (p(0).y - from.y) }, { x: p(1).x + (2 / 3) * (p(0).x - p(1).x), y: p(1).y + (2 / 3) * (p(0).y - p(1).y) }, p(1)]
      : [p(0), p(1), p(2)];
    for (let i = 1; i <= steps; i++) {
      out.push(m[1] === 'L' ? { x: from.x + ((ctrl[2].x - from.x) * i) / steps, y: from.y + ((ctrl[2].y - from.y) * i) / steps } : bezierPoint(from, ctrl[0], ctrl[1], ctrl[2], i / steps));
    }
    cur = ctrl[2];
  }
  return out;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * Where tasks and feedback arrows sit in an experiment file's text (jsonc-parser node offsets), for
 * CodeLens and hovers; and offset <-> line/character mapping. Works on broken documents too: it
 * reports whatever tasks and arrows it can find. Pure: no vscode.
 */
import { findNodeAtLocation, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { tooDeep } from '../shared/jsonDepth';
import { TASK_KINDS, type TaskKind } from '../shared/experimentTypes';

/** A 0-based line / UTF-16 character position (as in vscode and LSP). */
export interface TextPosition {
  line: number;
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

interface ItemBase {
  /** Position in its list (`tasks[index]` or `feedback[index]`). */
  index: number;
  id: string;
  /** Range of the whole object. */
  offset: number;
  length: number;
  /** Range of the `id` value (with its quotes). */
  idOffset: number;
  idLength: number;
}

export interface TaskItem extends ItemBase {
  kind: 'task';
  taskKind?: TaskKind;
}

export interface ArrowItem extends ItemBase {
  kind: 'arrow';
  from?: string;
  to?: string;
  injection?: number | 'gumbel';
  enabled: boolean;
  /** Ranges of the `from` / `to` values (hover shows the task there). */
  fromRange?: { offset: number; length: number };
  toRange?: { offset: number; length: number };
}

export type OutlineItem = TaskItem | ArrowItem;

export interface ExperimentOutline {
  /** Offset of the `name` property (or 0): where the file-level lens goes. */
  headOffset: number;
  name?: string;
  tasks: TaskItem[];
  arrows: ArrowItem[];
}

/** Tasks and arrows with their text ranges. */
export function outlineExperiment(text: string): ExperimentOutline {
  const out: ExperimentOutline = { headOffset: 0, tasks: [], arrows: [] };
  if (tooDeep(text)) return out;
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root || root.type !== 'object') return out;
  const nameNode = findNodeAtLocation(root, ['name']);
  if (nameNode?.parent) out.headOffset = nameNode.parent.offset;
  if (typeof nameNode?.value === 'string') out.name = nameNode.value;
  const tasks = findNodeAtLocation(root, ['tasks']);
  for (const [index, node] of (tasks?.type === 'array' ? tasks.children ?? [] : []).entries()) {
    const base = itemBase(node, index);
    if (!base) continue;
    const kind = stringAt(node, 'kind');
    out.tasks.push({ ...base, kind: 'task', taskKind: isTaskKind(kind) ? kind : undefined });
  }
  const arrows = findNodeAtLocation(root, ['feedback']);
  for (const [index, node] of (arrows?.type === 'array' ? arrows.children ?? [] : []).entries()) {
    const base = itemBase(node, index);
    if (!base) continue;
    const inj = findNodeAtLocation(node, ['injection']);
    const injection = inj?.value === 'gumbel' ? 'gumbel' : typeof inj?.value === 'number' ? inj.value : undefined;
    const en = findNodeAtLocation(node, ['enabled']);
    const from = findNodeAtLocation(node, ['from']);
    const to = findNodeAtLocation(node, ['to']);
    out.arrows.push({
      ...base,
      kind: 'arrow',
      from: typeof from?.value === 'string' ? from.value : undefined,
      to: typeof to?.value === 'string' ? to.value : undefined,
      injection,
      enabled: en?.value !== false,
      fromRange: from ? { offset: from.offset, length: from.length } : undefined,
      toRange: to ? { offset: to.offset, length: to.length } : undefined,
    });
  }
  return out;
}

/** The task or arrow whose id (or, for arrows' `from`/`to`, the task named there) is at `offset`. */
export function itemAtOffset(outline: ExperimentOutline, offset: number): OutlineItem | undefined {
  const inside = (o: number, l: number) => offset >= o && offset <= o + l;
  for (const t of outline.tasks) if (inside(t.idOffset, t.idLength)) return t;
  for (const a of outline.arrows) {
    if (inside(a.idOffset, a.idLength)) return a;
    const named = a.fromRange && inside(a.fromRange.offset, a.fromRange.length) ? a.from
      : a.toRange && inside(a.toRange.offset, a.toRange.length) ? a.to : undefined;
    if (named !== undefined) return outline.tasks.find((t) => t.id === named);
  }
  return undefined;
}

/** Maps offsets to positions in one text (line starts computed once). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  positionAt(offset: number): TextPosition {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid; else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  offsetAt(pos: TextPosition): number {
    const line = Math.max(0, Math.min(pos.line, this.starts.length - 1));
    return Math.min(this.starts[line] + Math.max(0, pos.character), this.text.length);
  }

  rangeOf(offset: number, length: number): TextRange {
    return { start: this.positionAt(offset), end: this.positionAt(offset + length) };
  }
}

function itemBase(node: Node, index: number): Omit<ItemBase, never> | undefined {
  if (node.type !== 'object') return undefined;
  const idNode = findNodeAtLocation(node, ['id']);
  const id = idNode ? getNodeValue(idNode) : undefined;
  if (typeof id !== 'string' || !idNode) return undefined;
  return { index, id, offset: node.offset, length: node.length, idOffset: idNode.offset, idLength: idNode.length };
}

function stringAt(node: Node, key: string): string | undefined {
  const v = findNodeAtLocation(node, [key])?.value;
  return typeof v === 'string' ? v : undefined;
}

function isTaskKind(x: unknown): x is TaskKind {
  return (TASK_KINDS as readonly unknown[]).includes(x);
}

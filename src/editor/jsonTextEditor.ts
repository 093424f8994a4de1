/**
 * Minimal, style-preserving edits of JSONC text. jsonc-parser's `modify()` re-formats whole lines
 * around an insertion and rewrites an array when its last item is removed (dropping comments on
 * those lines), so the few primitives the graph editor needs are written here on top of its parse
 * tree and scanner: replace a value, set / remove a property, insert / remove an array item, rename
 * a key. New values are indented like their siblings, with the file's indent unit and line ending;
 * comments stay where they are (a comment on the same line as a removed item goes with it).
 *
 * A `JsonTextEditor` applies primitives one after another (re-parsing each time) and keeps their
 * composition as a list of non-overlapping edits against the ORIGINAL text, so a whole gesture
 * becomes one WorkspaceEdit.
 */
import { applyEdits, createScanner, findNodeAtLocation, parseTree, SyntaxKind } from 'jsonc-parser';
import type { JSONPath, Node } from 'jsonc-parser';

/** Replace `length` characters at `offset` with `content` (jsonc-parser's `Edit`). */
export interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

/** Indentation and line ending of a text. */
export interface TextStyle {
  /** One indent level: a tab or N spaces. */
  unit: string;
  eol: string;
}

/** Guess the indent unit (tab or the smallest space indent) and line ending of a text. */
export function detectStyle(text: string): TextStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let spaces = Infinity;
  for (const line of text.split(/\r?\n/)) {
    const m = /^([ \t]+)\S/.exec(line);
    if (!m) continue;
    if (m[1][0] === '\t') return { unit: '\t', eol };
    spaces = Math.min(spaces, m[1].length);
  }
  return { unit: spaces === Infinity ? '  ' : ' '.repeat(spaces), eol };
}

/** Apply edits (non-overlapping, relative to `text`). */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  return applyEdits(text, edits);
}

/**
 * The edits that turn `applyTextEdits(original, edits)` back into `original` — what an undo does.
 * `edits` must be sorted and non-overlapping (as `JsonTextEditor.edits` are).
 */
export function invertEdits(original: string, edits: TextEdit[]): TextEdit[] {
  let delta = 0;
  return [...edits].sort((a, b) => a.offset - b.offset).map((e) => {
    const inv = { offset: e.offset + delta, length: e.content.length, content: original.slice(e.offset, e.offset + e.length) };
    delta += e.content.length - e.length;
    return inv;
  });
}

/**
 * Compose: `base` turns T0 into Tk; `next` is an edit of Tk. Returns edits of T0 giving the result
 * of both. Edits touching an earlier one are merged with it.
 */
export function composeEdit(base: TextEdit[], next: TextEdit, tk: string): TextEdit[] {
  const s = next.offset;
  const t = next.offset + next.length;
  let delta = 0;
  let deltaBefore = 0;
  const placed = base.map((b) => {
    const ns = b.offset + delta;
    const ne = ns + b.content.length;
    delta += b.content.length - b.length;
    return { b, ns, ne };
  });
  const touching = placed.filter((p) => p.ne >= s && p.ns <= t);
  if (touching.length === 0) {
    for (const p of placed) if (p.ne < s) deltaBefore += p.b.content.length - p.b.length;
    const merged = [...base, { offset: s - deltaBefore, length: t - s, content: next.content }];
    return merged.sort((a, b) => a.offset - b.offset);
  }
  const first = touching[0];
  const last = touching[touching.length - 1];
  const S = Math.min(s, first.ns);
  const T = Math.max(t, last.ne);
  const offset = first.b.offset - (first.ns - S);
  const end = last.b.offset + last.b.length + (T - last.ne);
  const content = tk.slice(S, s) + next.content + tk.slice(t, T);
  const rest = base.filter((b) => !touching.some((p) => p.b === b));
  return [...rest, { offset, length: end - offset, content }].sort((a, b) => a.offset - b.offset);
}

/** A JSON value (what the primitives write). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Sequential, style-preserving edits of one JSONC text; `edits` are relative to the original. */
export class JsonTextEditor {
  /** Current text (after every primitive applied so far). */
  text: string;
  /** Composition of everything applied, as edits of `original`. */
  edits: TextEdit[] = [];
  readonly style: TextStyle;

  constructor(readonly original: string) {
    this.text = original;
    this.style = detectStyle(original);
  }

  /** Node at `path` in the current text (value node; for properties, the value). */
  node(path: JSONPath): Node | undefined {
    const root = parseTree(this.text, [], { allowTrailingComma: true });
    return root ? findNodeAtLocation(root, path) : undefined;
  }

  /** Replace the value at `path` (which must exist). */
  replace(path: JSONPath, value: Json): void {
    const n = this.node(path);
    if (!n) throw new Error(`no value at ${path.join('.')}`);
    const content = this.serialize(value, this.lineIndent(n.offset));
    if (this.text.slice(n.offset, n.offset + n.length) === content) return;
    this.apply([{ offset: n.offset, length: n.length, content }]);
  }

  /** Set `path` to `value`, creating missing parent objects. The last segment may be a key or `length` of an array. */
  set(path: JSONPath, value: Json): void {
    if (this.node(path)) return this.replace(path, value);
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1];
    const parent = this.node(parentPath);
    if (!parent) {
      if (typeof key !== 'string') throw new Error(`no array at ${parentPath.join('.')}`);
      return this.set(parentPath, { [key]: value });
    }
    if (parent.type === 'object' && typeof key === 'string') return this.insertChild(parent, parent.children?.length ?? 0, key, value);
    if (parent.type === 'array' && typeof key === 'number') return this.insertChild(parent, key, undefined, value);
    throw new Error(`cannot set ${path.join('.')}`);
  }

  /** Insert `value` into the array at `arrayPath` before item `index` (>= length appends). */
  insert(arrayPath: JSONPath, index: number, value: Json): void {
    const arr = this.node(arrayPath);
    if (!arr || arr.type !== 'array') throw new Error(`no array at ${arrayPath.join('.')}`);
    this.insertChild(arr, index, undefined, value);
  }

  /** Append to the array at `arrayPath`, creating it (and missing parents) if absent. */
  append(arrayPath: JSONPath, value: Json): void {
    const arr = this.node(arrayPath);
    if (!arr) return this.set(arrayPath, [value]);
    this.insert(arrayPath, arr.children?.length ?? 0, value);
  }

  /** Rename the property at `path` to `newKey`, keeping its value and position. */
  renameKey(path: JSONPath, newKey: string): void {
    const n = this.node(path);
    const keyNode = n?.parent?.children?.[0];
    if (!n || n.parent?.type !== 'property' || !keyNode) throw new Error(`no property at ${path.join('.')}`);
    this.apply([{ offset: keyNode.offset, length: keyNode.length, content: JSON.stringify(newKey) }]);
  }

  /** Remove the property or array item at `path` (no-op if absent). */
  remove(path: JSONPath): void {
    const n = this.node(path);
    if (!n) return;
    const item = n.parent?.type === 'property' ? n.parent : n;
    const container = item.parent;
    const siblings = container?.children;
    if (!container || !siblings) throw new Error('cannot remove the root');
    const idx = siblings.indexOf(item);
    const itemEnd = item.offset + item.length;
    const ownLine = this.isLineStart(item.offset);
    const comma = this.commaAfter(itemEnd);
    const afterItem = comma >= 0 ? comma + 1 : itemEnd;
    const lineEnd = this.cleanLineEnd(afterItem);
    if (idx < siblings.length - 1) {
      const next = siblings[idx + 1];
      if (ownLine && lineEnd >= 0 && lineEnd <= next.offset) {
        return this.apply([{ offset: this.lineStart(item.offset), length: lineEnd - this.lineStart(item.offset), content: '' }]);
      }
      const prevComma = idx > 0 ? this.commaAfter(siblings[idx - 1].offset + siblings[idx - 1].length) : -1;
      if (/[\r\n]/.test(this.text.slice(itemEnd, next.offset)) && prevComma >= 0 && comma >= 0) {
        // `a, ITEM,⏎ next`: keep the line break before `next`.
        return this.apply([{ offset: prevComma + 1, length: comma - prevComma, content: '' }]);
      }
      return this.apply([{ offset: item.offset, length: next.offset - item.offset, content: '' }]);
    }
    if (idx > 0) {
      const prev = siblings[idx - 1];
      const prevComma = this.commaAfter(prev.offset + prev.length);
      if (ownLine && lineEnd >= 0) {
        const start = this.lineStart(item.offset);
        // Keep the previous item's own trailing comma when the file uses trailing commas.
        const removeComma = comma < 0 && prevComma >= 0;
        return this.apply([
          ...(removeComma ? [{ offset: prevComma, length: 1, content: '' }] : []),
          { offset: start, length: lineEnd - start, content: '' },
        ]);
      }
      const from = prevComma >= 0 ? prevComma : prev.offset + prev.length;
      return this.apply([{ offset: from, length: (comma >= 0 ? comma : itemEnd) - from, content: '' }]);
    }
    // Only child: an empty container collapses to `[]` / `{}` unless comments remain inside.
    const open = container.offset + 1;
    const close = container.offset + container.length - 1;
    const [from, to] = ownLine && lineEnd >= 0 ? [this.lineStart(item.offset), Math.min(lineEnd, close)] : [item.offset, afterItem];
    if (/^\s*$/.test(this.text.slice(open, from) + this.text.slice(to, close))) {
      return this.apply([{ offset: open, length: close - open, content: '' }]);
    }
    this.apply([{ offset: from, length: to - from, content: '' }]);
  }

  /** Insert a child (`key` for objects) into `container` before child `index`. */
  private insertChild(container: Node, index: number, key: string | undefined, value: Json): void {
    const children = container.children ?? [];
    const prefix = key === undefined ? '' : `${JSON.stringify(key)}: `;
    const containerIndent = this.lineIndent(container.offset);
    if (children.length === 0) {
      const open = container.offset + 1;
      const close = container.offset + container.length - 1;
      const childIndent = containerIndent + this.style.unit;
      const body = prefix + this.serialize(value, childIndent);
      const { eol } = this.style;
      if (/^\s*$/.test(this.text.slice(open, close))) {
        return this.apply([{ offset: open, length: close - open, content: eol + childIndent + body + eol + containerIndent }]);
      }
      if (this.isLineStart(close)) {
        const ls = this.lineStart(close);
        return this.apply([{ offset: ls, length: 0, content: childIndent + body + eol }]);
      }
      return this.apply([{ offset: close, length: 0, content: eol + childIndent + body + eol + containerIndent }]);
    }
    if (index < children.length) {
      const before = children[index];
      const own = this.isLineStart(before.offset);
      const indent = own ? this.lineIndent(before.offset) : containerIndent;
      const body = prefix + this.serialize(value, indent);
      const sep = own ? ',' + this.style.eol + indent : ', ';
      return this.apply([{ offset: before.offset, length: 0, content: body + sep }]);
    }
    const last = children[children.length - 1];
    const lastEnd = last.offset + last.length;
    const trailing = this.commaAfter(lastEnd);
    if (this.isLineStart(last.offset)) {
      const indent = this.lineIndent(last.offset);
      const body = prefix + this.serialize(value, indent) + (trailing >= 0 ? ',' : '');
      const after = trailing >= 0 ? trailing + 1 : lastEnd;
      const lineEnd = this.cleanLineEnd(after);
      // Insert at the end of the last item's line, after its trailing `// comment` if any.
      const at = lineEnd >= 0 ? this.eolStart(lineEnd) : after;
      const content = this.style.eol + indent + body;
      if (trailing >= 0 || at === lastEnd) return this.apply([{ offset: at, length: 0, content: (trailing >= 0 ? '' : ',') + content }]);
      return this.apply([{ offset: lastEnd, length: 0, content: ',' }, { offset: at, length: 0, content }]);
    }
    const body = prefix + this.serialize(value, containerIndent);
    this.apply([{ offset: lastEnd, length: 0, content: ', ' + body }]);
  }

  /** Apply edits of the CURRENT text (sorted, non-overlapping) and compose them into `edits`. */
  private apply(batch: TextEdit[]): void {
    for (const e of [...batch].sort((a, b) => b.offset - a.offset)) {
      this.edits = composeEdit(this.edits, e, this.text);
      this.text = this.text.slice(0, e.offset) + e.content + this.text.slice(e.offset + e.length);
    }
  }

  /**
   * JSON text of `value` for a place whose line is indented by `indent`. Small flat objects and
   * arrays of scalars stay on one line (`{ "x": 10, "y": 20 }`), larger ones get one line per child.
   */
  serialize(value: Json, indent: string): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    const { unit, eol } = this.style;
    const inner = indent + unit;
    const flat = (v: Json) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      if (value.every(flat)) return `[${value.map((v) => this.serialize(v, inner)).join(', ')}]`;
      return `[${eol}${value.map((v) => inner + this.serialize(v, inner)).join(',' + eol)}${eol}${indent}]`;
    }
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    if (entries.every(([, v]) => flat(v))) {
      const one = `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${this.serialize(v, inner)}`).join(', ')} }`;
      if (one.length <= 72) return one;
    }
    return `{${eol}${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${this.serialize(v, inner)}`).join(',' + eol)}${eol}${indent}}`;
  }

  private lineStart(pos: number): number {
    let p = pos;
    while (p > 0 && this.text[p - 1] !== '\n' && this.text[p - 1] !== '\r') p--;
    return p;
  }

  private lineIndent(pos: number): string {
    const ls = this.lineStart(pos);
    return /^[ \t]*/.exec(this.text.slice(ls))![0];
  }

  private isLineStart(pos: number): boolean {
    return /^[ \t]*$/.test(this.text.slice(this.lineStart(pos), pos));
  }

  /**
   * If the rest of the line from `pos` is blank or a `// comment`, the offset just after its line
   * break (or the text end); otherwise -1.
   */
  private cleanLineEnd(pos: number): number {
    let p = pos;
    while (p < this.text.length && (this.text[p] === ' ' || this.text[p] === '\t')) p++;
    if (this.text.startsWith('//', p)) while (p < this.text.length && this.text[p] !== '\n' && this.text[p] !== '\r') p++;
    if (p >= this.text.length) return p;
    if (this.text.startsWith('\r\n', p)) return p + 2;
    if (this.text[p] === '\n' || this.text[p] === '\r') return p + 1;
    return -1;
  }

  /** Start of the line break that ends at `lineEnd` (from `cleanLineEnd`). */
  private eolStart(lineEnd: number): number {
    if (this.text.slice(lineEnd - 2, lineEnd) === '\r\n') return lineEnd - 2;
    if (this.text[lineEnd - 1] === '\n' || this.text[lineEnd - 1] === '\r') return lineEnd - 1;
    return lineEnd;
  }

  /** Offset of the comma following `pos` (skipping whitespace and comments), or -1. */
  private commaAfter(pos: number): number {
    const sc = createScanner(this.text, false);
    sc.setPosition(pos);
    for (;;) {
      const k = sc.scan();
      if (k === SyntaxKind.Trivia || k === SyntaxKind.LineBreakTrivia || k === SyntaxKind.LineCommentTrivia || k === SyntaxKind.BlockCommentTrivia) continue;
      return k === SyntaxKind.CommaToken ? sc.getTokenOffset() : -1;
    }
  }
}

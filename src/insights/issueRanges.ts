/**
 * Where an experiment issue goes in the Problems panel: the validator's offset/length when it has
 * them, else the JSON path looked up in the text (nearest existing parent when the property is
 * missing). Ranges never sprawl over a whole object: a multi-line range is cut to its first line,
 * and a container found by path is marked at its property key. Pure: no vscode.
 */
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { tooDeep } from '../shared/jsonDepth';
import type { ExperimentIssue } from '../shared/experiment';
import { LineIndex, type TextRange } from './experimentOutline';

/** One Problems-panel entry, vscode-free. */
export interface IssueDiagnostic {
  range: TextRange;
  message: string;
  severity: 'error' | 'warning';
  /** JSON path as text (`feedback[0].to`), shown as the diagnostic's code. */
  pathText: string;
}

/** Map issues to ranges in `text`. */
export function issueDiagnostics(text: string, issues: readonly ExperimentIssue[]): IssueDiagnostic[] {
  const lines = new LineIndex(text);
  let root: Node | undefined | null = null; // parsed on first need
  return issues.map((issue) => {
    let offset: number;
    let length: number;
    if (issue.offset !== undefined) {
      offset = issue.offset;
      length = issue.length ?? 0;
    } else {
      if (root === null) root = tooDeep(text) ? undefined : parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
      ({ offset, length } = rangeOfPath(root, issue.path));
    }
    let range = lines.rangeOf(offset, Math.max(0, length));
    if (range.end.line > range.start.line) {
      // Cut to the first line: the start of the node is where the eye should go.
      const lineEnd = text.indexOf('\n', offset);
      range = lines.rangeOf(offset, Math.max(1, (lineEnd < 0 ? text.length : lineEnd) - offset));
      if (text[lineEnd - 1] === '\r') range.end.character = Math.max(range.start.character + 1, range.end.character - 1);
    }
    return { range, message: issue.message, severity: issue.severity, pathText: issue.pathText };
  });
}

/** Text range of a JSON path: the node, or the deepest existing parent, containers at their key. */
export function rangeOfPath(root: Node | undefined, path: readonly (string | number)[]): { offset: number; length: number } {
  if (!root) return { offset: 0, length: 0 };
  let node: Node | undefined;
  for (let n = path.length; n >= 0 && !node; n--) node = findNodeAtLocation(root, path.slice(0, n) as (string | number)[]);
  if (!node) return { offset: 0, length: 0 };
  if (node.type === 'object' || node.type === 'array') {
    const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    return key ? { offset: key.offset, length: key.length } : { offset: node.offset, length: node.length };
  }
  return { offset: node.offset, length: node.length };
}

/** Which node or arrow an experiment issue belongs to (pure, so it is tested without a DOM). */
import type { GraphIssue, GraphModel } from '../../src/shared/graphEditorProtocol';
import { blockNodeId, ENCODER_NODE_ID, encoderCopyId } from '../../src/shared/graphEditorProtocol';

/**
 * The node id (`task`, `task/n`, `encoder`) or arrow id an issue points at, or `undefined` for
 * file-level issues (data, training...), which are listed but not drawn on the graph.
 */
export function issueTarget(issue: GraphIssue, model: GraphModel): { kind: 'node' | 'arrow'; id: string } | undefined {
  const [head, i, sub, j] = issue.path;
  if (head === 'feedback' && typeof i === 'number') {
    const a = model.arrows.find((x) => x.index === i);
    return a ? { kind: 'arrow', id: a.id } : undefined;
  }
  if (head === 'tasks' && typeof i === 'number') {
    const t = model.tasks.find((x) => x.index === i);
    if (!t) return undefined;
    if (sub === 'blocks' && typeof j === 'number' && j < t.blocks.length) return { kind: 'node', id: blockNodeId(t.id, j + 1) };
    return { kind: 'node', id: t.id };
  }
  // Soft sharing draws one encoder copy per task: the encoder's issues go to the first.
  if (head === 'encoder') return { kind: 'node', id: model.settings.sharing?.type === 'soft' && model.tasks.length ? encoderCopyId(model.tasks[0].id) : ENCODER_NODE_ID };
  if (head === 'layout' && i === 'nodes' && typeof sub === 'string') return { kind: 'node', id: sub };
  return undefined;
}

/** Issues grouped by the node / arrow id they belong to. */
export function issuesByTarget(issues: GraphIssue[], model: GraphModel): Map<string, GraphIssue[]> {
  const out = new Map<string, GraphIssue[]>();
  for (const issue of issues) {
    const t = issueTarget(issue, model);
    if (!t) continue;
    const list = out.get(t.id) ?? [];
    list.push(issue);
    out.set(t.id, list);
  }
  return out;
}

/**
 * Labels of valid/test that training never showed. Such an example can never be predicted right
 * (the model has no output for it), so it counts as an error in every metric; a user comparing with
 * published numbers must know how many there are. The trainer logs them at the start of a run.
 */
import type { PreparedData, UnseenLabel } from './types';
import { clip } from '../shared/quote';

/** Every (task, split, label) of valid/test absent from training, most frequent first. */
export function unseenLabels(data: PreparedData): UnseenLabel[] {
  const out: UnseenLabel[] = [];
  for (const split of [data.valid, data.test]) {
    if (!split) continue;
    for (const [task, raw] of Object.entries(split.rawLabels)) {
      const known = new Set(data.labelNames[task] ?? []);
      if (!known.size) continue; // regression
      const counts = new Map<string, number>();
      for (const r of raw as (string | null | string[])[]) {
        for (const l of Array.isArray(r) ? r : [r]) if (l !== null && !known.has(l)) counts.set(l, (counts.get(l) ?? 0) + 1);
      }
      for (const [label, count] of counts) out.push({ task, split: split.name as 'valid' | 'test', label, count });
    }
  }
  return out.sort((a, b) => (a.split < b.split ? 1 : a.split > b.split ? -1 : 0) || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0) || b.count - a.count);
}

/** One line per task and split, e.g. `valid: 3 intent labels never seen in training (x ×2, y ×1) …`. */
export function unseenLabelsText(list: readonly UnseenLabel[], data: PreparedData): string[] {
  const groups = new Map<string, UnseenLabel[]>();
  for (const u of list) {
    const k = `${u.split}\u0000${u.task}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(u);
  }
  return [...groups.values()].map((g) => {
    const { split, task } = g[0];
    const tags = data[split]?.labels[task]?.kind === 'tags';
    const n = g.reduce((a, u) => a + u.count, 0);
    const shown = g.slice(0, 8).map((u) => `${clip(u.label)} ×${u.count}`).join(', ') + (g.length > 8 ? `, … ${g.length - 8} more` : '');
    return `${split}: ${g.length} ${task} label${g.length === 1 ? '' : 's'} never seen in training on ${n} ${tags ? 'token' : 'example'}${n === 1 ? '' : 's'} (${shown}); ` +
      `the model cannot predict ${g.length === 1 ? 'it' : 'them'}, so ${n === 1 ? 'it counts' : 'they count'} as errors in every ${task} metric`;
  });
}

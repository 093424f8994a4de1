/**
 * What the New-experiment prompt says a template holds (`3 tasks, 3 feedback arrows`), counted from
 * the template's own text so the prompt never drifts from the sample it copies. Pure.
 */
import { parse } from 'jsonc-parser';

export function templateShape(text: string): string {
  const doc = parse(text) as { tasks?: unknown[]; feedback?: unknown[] } | undefined;
  const n = (k: number, one: string) => `${k} ${one}${k === 1 ? '' : 's'}`;
  return `${n(Array.isArray(doc?.tasks) ? doc.tasks.length : 0, 'task')}, ${n(Array.isArray(doc?.feedback) ? doc.feedback.length : 0, 'feedback arrow')}`;
}

/**
 * What feedback did to each example, from a predictions file: per task, whether the final pass y^K
 * corrected the first pass y^0, broke it, or left it as it was; the filters of the Examples view;
 * the confusion matrix and per-type span scores; and the examples two runs disagree on. Pure, so
 * the webview, the host and the tests share it.
 *
 * "Right" is exact: the class equals the gold class; every tag of the sentence equals its gold tag.
 * For regression, "corrected" means y^K is closer to the gold value than y^0, "broken" further.
 */
import { spanF1ByType, type SpanScores } from '../metrics/scores';
import { isClassAnswer, isTagsAnswer, isValueAnswer, type Answer, type ExamplePrediction, type GoldAnswer, type PredictionsFile } from './format';

/** What the feedback passes did to one example of one task, y^K against y^0. */
export type Outcome = 'corrected' | 'broken' | 'right' | 'wrong';

export const OUTCOME_TEXT: Record<Outcome, string> = {
  corrected: 'corrected by feedback',
  broken: 'broken by feedback',
  right: 'right, unchanged',
  wrong: 'wrong at y^K (and y^0)',
};

/** Whether an answer is right; undefined when the gold is missing. */
export function isRight(a: Answer, gold: GoldAnswer): boolean | undefined {
  if (gold === null || gold === undefined) return undefined;
  if (isClassAnswer(a)) return a.label === gold;
  if (isTagsAnswer(a)) return Array.isArray(gold) && a.tags.length === gold.length && a.tags.every((t, i) => t === gold[i]);
  return undefined;
}

/** The outcome of one example for one task; undefined when its gold is missing. */
export function outcomeOf(e: ExamplePrediction, task: string): Outcome | undefined {
  const passes = e.pred[task];
  if (!passes?.length) return undefined;
  const first = passes[0];
  const last = passes[passes.length - 1];
  const gold = e.gold[task];
  if (isValueAnswer(first) && isValueAnswer(last)) {
    if (typeof gold !== 'number') return undefined;
    const d0 = Math.abs(first.value - gold), dK = Math.abs(last.value - gold);
    return dK < d0 ? 'corrected' : dK > d0 ? 'broken' : 'right';
  }
  const r0 = isRight(first, gold), rK = isRight(last, gold);
  if (r0 === undefined || rK === undefined) return undefined;
  return r0 && rK ? 'right' : !r0 && rK ? 'corrected' : r0 && !rK ? 'broken' : 'wrong';
}

/** Per task: how many examples fall in each outcome (examples without gold are left out). */
export function outcomeCounts(file: PredictionsFile): Record<string, Record<Outcome, number>> {
  const out: Record<string, Record<Outcome, number>> = {};
  for (const t of file.header.tasks) {
    const c = { corrected: 0, broken: 0, right: 0, wrong: 0 };
    for (const e of file.examples) { const o = outcomeOf(e, t.id); if (o) c[o]++; }
    out[t.id] = c;
  }
  return out;
}

/** The Examples view's filter; every field optional. */
export interface ExampleFilter {
  task: string;
  outcome?: Outcome | 'changed';
  /** Gold class, or a slot type the gold tags contain. */
  gold?: string;
  /** Predicted class at y^K, or a slot type the y^K tags contain. */
  predicted?: string;
  /** Words the input must contain (case-insensitive substring of the joined tokens). */
  text?: string;
}

/** A label a filter can match in an answer or gold: the class, or the types of the tags. */
function labelsOf(v: Answer | GoldAnswer | undefined): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (typeof v === 'number') return [];
  if (Array.isArray(v)) return typesOf(v);
  if (isClassAnswer(v)) return [v.label];
  if (isTagsAnswer(v)) return typesOf(v.tags);
  return [];
}

function typesOf(tags: readonly string[]): string[] {
  const s = new Set<string>();
  for (const t of tags) { const i = t.indexOf('-'); if (i > 0) s.add(t.slice(i + 1)); }
  return [...s];
}

/** Whether any pass after y^0 answered differently from the pass before. */
export function changedAcrossPasses(e: ExamplePrediction, task: string): boolean {
  const p = e.pred[task] ?? [];
  for (let k = 1; k < p.length; k++) if (JSON.stringify(labelsKey(p[k])) !== JSON.stringify(labelsKey(p[k - 1]))) return true;
  return false;
}

function labelsKey(a: Answer): unknown {
  return isClassAnswer(a) ? a.label : isTagsAnswer(a) ? a.tags : a.value;
}

/** Indices (into `file.examples`) of the examples the filter keeps, in file order. */
export function filterExamples(file: PredictionsFile, f: ExampleFilter): number[] {
  const text = f.text?.trim().toLowerCase();
  const out: number[] = [];
  file.examples.forEach((e, i) => {
    if (f.outcome === 'changed') { if (!changedAcrossPasses(e, f.task)) return; } else if (f.outcome && outcomeOf(e, f.task) !== f.outcome) return;
    if (f.gold && !labelsOf(e.gold[f.task]).includes(f.gold)) return;
    const passes = e.pred[f.task] ?? [];
    if (f.predicted && !labelsOf(passes[passes.length - 1]).includes(f.predicted)) return;
    if (text && !(e.tokens ?? []).join(' ').toLowerCase().includes(text)) return;
    out.push(i);
  });
  return out;
}

/** The labels the gold and predicted filters offer for a task: classes, or slot types. */
export function filterLabels(file: PredictionsFile, task: string): string[] {
  const t = file.header.tasks.find((x) => x.id === task);
  // A language model's labels are words: no slot types or classes to filter by.
  if (!t || t.kind === 'regression' || t.kind === 'language-model') return [];
  return t.kind === 'classification' ? [...t.labels].sort() : typesOf(t.labels).sort();
}

/** Confusion matrix of a classification task at pass `k` (default y^K): rows gold, columns predicted. */
export function confusionMatrix(file: PredictionsFile, task: string, k?: number): { labels: string[]; counts: number[][] } {
  const labels = new Set(file.header.tasks.find((t) => t.id === task)?.labels ?? []);
  for (const e of file.examples) if (typeof e.gold[task] === 'string') labels.add(e.gold[task] as string);
  const names = [...labels].sort();
  const ix = new Map(names.map((n, i) => [n, i]));
  const counts = names.map(() => names.map(() => 0));
  for (const e of file.examples) {
    const g = e.gold[task];
    const passes = e.pred[task] ?? [];
    const a = passes[k ?? passes.length - 1];
    if (typeof g !== 'string' || !a || !isClassAnswer(a)) continue;
    const p = ix.get(a.label);
    if (p !== undefined) counts[ix.get(g)!][p]++;
  }
  return { labels: names, counts };
}

/** Span precision / recall / F1 per slot type of a tagging task at pass `k` (default y^K), conlleval rules. */
export function typeScores(file: PredictionsFile, task: string, k?: number): Record<string, SpanScores> {
  const pred: string[][] = [];
  const gold: string[][] = [];
  for (const e of file.examples) {
    const g = e.gold[task];
    const passes = e.pred[task] ?? [];
    const a = passes[k ?? passes.length - 1];
    if (!Array.isArray(g) || !a || !isTagsAnswer(a)) continue;
    pred.push(a.tags);
    gold.push(g);
  }
  return spanF1ByType(pred, gold);
}

/** Examples two runs answer differently well (same split, same examples), per task at y^K. */
export interface RunDisagreement {
  /** Right in run A, wrong in run B (indices into the examples). */
  onlyA: number[];
  /** Right in run B, wrong in run A. */
  onlyB: number[];
  bothRight: number;
  bothWrong: number;
}

/**
 * Where two runs' final answers differ in correctness, per task. Throws when the files do not hold
 * the same examples (another split, or other data), since the comparison would mean nothing.
 */
export function compareRuns(a: PredictionsFile, b: PredictionsFile, task: string): RunDisagreement {
  if (a.header.split !== b.header.split || a.examples.length !== b.examples.length) {
    throw new Error(`the two runs' predictions are not of the same examples (${a.header.split}: ${a.examples.length} vs ${b.header.split}: ${b.examples.length})`);
  }
  const out: RunDisagreement = { onlyA: [], onlyB: [], bothRight: 0, bothWrong: 0 };
  a.examples.forEach((ea, i) => {
    const eb = b.examples[i];
    if ((ea.tokens ?? []).join(' ') !== (eb.tokens ?? []).join(' ') || ea.row !== eb.row) {
      throw new Error(`the two runs' predictions differ at example ${i}: not the same data`);
    }
    const pa = ea.pred[task], pb = eb.pred[task];
    if (!pa?.length || !pb?.length) return;
    const ra = isRight(pa[pa.length - 1], ea.gold[task]);
    const rb = isRight(pb[pb.length - 1], eb.gold[task]);
    if (ra === undefined || rb === undefined) return;
    if (ra && !rb) out.onlyA.push(i);
    else if (rb && !ra) out.onlyB.push(i);
    else if (ra) out.bothRight++;
    else out.bothWrong++;
  });
  return out;
}

/**
 * Evaluation metrics. Pure (no tensors, no platform imports) so the trainer, the CLI and the views
 * compute the same numbers. All rates are fractions in [0, 1]; views format them as percentages.
 *
 * Missing labels: a gold value of `null` / `undefined` (or NaN for regression) is skipped. Labels
 * seen only in valid/test should be passed as their raw strings (or any value the model can never
 * predict), so they count as wrong — never silently dropped.
 */
import { dict } from '../dict';

/** A label value: class id or class name. */
export type Label = number | string;
type Gold<T> = ArrayLike<T | null | undefined>;

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

function sameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} predictions for ${b.length} gold labels`);
}

/** Fraction of examples whose prediction equals the gold label (missing gold skipped; NaN if none). */
export function accuracy<T extends Label>(pred: ArrayLike<T>, gold: Gold<T>): number {
  sameLength(pred, gold, 'accuracy');
  let n = 0;
  let ok = 0;
  for (let i = 0; i < gold.length; i++) {
    if (isMissing(gold[i])) continue;
    n++;
    if (pred[i] === gold[i]) ok++;
  }
  return n ? ok / n : NaN;
}

/**
 * Macro-averaged F1 over the classes present in gold or in the predictions (a class never seen in
 * either has no defined F1 and is left out, as scikit-learn does with `labels=None`). A class with no
 * true positives has F1 0. `numClasses` is accepted for callers that have it; it does not change the
 * set of classes averaged.
 */
export function macroF1<T extends Label>(pred: ArrayLike<T>, gold: Gold<T>, numClasses?: number): number {
  void numClasses;
  sameLength(pred, gold, 'macroF1');
  const tp = new Map<T, number>();
  const fp = new Map<T, number>();
  const fn = new Map<T, number>();
  const classes = new Set<T>();
  const inc = (m: Map<T, number>, k: T) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i];
    if (isMissing(g)) continue;
    const p = pred[i];
    classes.add(g as T);
    classes.add(p);
    if (p === g) inc(tp, p);
    else { inc(fp, p); inc(fn, g as T); }
  }
  if (!classes.size) return NaN;
  let sum = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const denom = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    sum += denom ? (2 * t) / denom : 0;
  }
  return sum / classes.size;
}

/** A chunk of a tag sequence: tokens `start` (inclusive) to `end` (exclusive) of type `type`. */
export interface Span {
  type: string;
  start: number;
  end: number;
}

/** `B-city` -> ['B', 'city']; `O` -> ['O', '']; as conlleval's `/^([^-]*)-(.*)$/`. */
function splitTag(t: string): [string, string] {
  const i = t.indexOf('-');
  return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
}

/** conlleval `endOfChunk`, with E-/S- read as IOBES (an E or S tag always closes its chunk). */
function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'O' || tag === 'S')) return true;
  if (prevTag === 'E' || prevTag === 'S') return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

/** conlleval `startOfChunk`, with B-/S- always starting a chunk. */
function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((tag === 'I' || tag === 'E') && (prevTag === 'O' || prevTag === 'E' || prevTag === 'S')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/**
 * Chunks of a tag sequence by the conlleval rules: a chunk continues while the tags are `I-X` (or
 * `E-X`) of the same type after `B-X`/`I-X`; an `I-X` after `O` or after a chunk of another type
 * starts a new chunk (conlleval does not drop it); `B-X` always starts one. For BIO tags this is
 * exactly conlleval; `E-`/`S-` are read as IOBES.
 */
export function conllSpans(tags: readonly string[]): Span[] {
  const spans: Span[] = [];
  let prevTag = 'O';
  let prevType = '';
  let open: Span | undefined;
  for (let i = 0; i < tags.length; i++) {
    const [tag, type] = splitTag(tags[i]);
    if (open && endOfChunk(prevTag, tag, prevType, type)) { open.end = i; spans.push(open); open = undefined; }
    if (startOfChunk(prevTag, tag, prevType, type)) open = { type, start: i, end: -1 };
    prevTag = tag;
    prevType = type;
  }
  if (open) { open.end = tags.length; spans.push(open); }
  return spans;
}

/** Precision / recall / F1 over spans, plus the counts behind them. */
export interface SpanScores {
  precision: number;
  recall: number;
  f1: number;
  /** Spans whose type and both boundaries match. */
  correct: number;
  predicted: number;
  gold: number;
}

function scores(correct: number, predicted: number, gold: number): SpanScores {
  const precision = predicted ? correct / predicted : 0;
  const recall = gold ? correct / gold : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, correct, predicted, gold };
}

function matchSpans(pred: readonly string[], gold: readonly string[], onSpan: (type: string, kind: 'correct' | 'predicted' | 'gold') => void): void {
  if (pred.length !== gold.length) throw new Error(`spanF1: a sentence has ${pred.length} predicted tags for ${gold.length} gold tags`);
  const g = conllSpans(gold);
  const p = conllSpans(pred);
  const key = (s: Span) => `${s.start}:${s.end}:${s.type}`;
  const goldKeys = new Set(g.map(key));
  for (const s of g) onSpan(s.type, 'gold');
  for (const s of p) {
    onSpan(s.type, 'predicted');
    if (goldKeys.has(key(s))) onSpan(s.type, 'correct');
  }
}

/**
 * Micro-averaged span precision / recall / F1 (conlleval): a predicted span counts only if its type
 * and both boundaries equal a gold span's. With no predicted spans precision is 0; with no gold spans
 * recall is 0 (as conlleval reports).
 */
export function spanF1(predTags: readonly (readonly string[])[], goldTags: readonly (readonly string[])[]): SpanScores {
  if (predTags.length !== goldTags.length) throw new Error(`spanF1: ${predTags.length} predicted sentences for ${goldTags.length} gold sentences`);
  const n = { correct: 0, predicted: 0, gold: 0 };
  for (let i = 0; i < goldTags.length; i++) matchSpans(predTags[i], goldTags[i], (_t, k) => { n[k]++; });
  return scores(n.correct, n.predicted, n.gold);
}

/** {@link spanF1} per span type (for per-slot reports). */
export function spanF1ByType(predTags: readonly (readonly string[])[], goldTags: readonly (readonly string[])[]): Record<string, SpanScores> {
  if (predTags.length !== goldTags.length) throw new Error(`spanF1: ${predTags.length} predicted sentences for ${goldTags.length} gold sentences`);
  const n = new Map<string, { correct: number; predicted: number; gold: number }>();
  for (let i = 0; i < goldTags.length; i++) {
    matchSpans(predTags[i], goldTags[i], (t, k) => {
      let c = n.get(t);
      if (!c) n.set(t, c = { correct: 0, predicted: 0, gold: 0 });
      c[k]++;
    });
  }
  const out: Record<string, SpanScores> = dict();
  for (const t of [...n.keys()].sort()) { const c = n.get(t)!; out[t] = scores(c.correct, c.predicted, c.gold); }
  return out;
}

/** Fraction of tokens tagged correctly (gold `null` tokens skipped; NaN if none). */
export function tokenAccuracy(predTags: readonly (readonly string[])[], goldTags: readonly (readonly (string | null)[])[]): number {
  if (predTags.length !== goldTags.length) throw new Error(`tokenAccuracy: ${predTags.length} predicted sentences for ${goldTags.length} gold sentences`);
  let n = 0;
  let ok = 0;
  for (let i = 0; i < goldTags.length; i++) {
    const p = predTags[i];
    const g = goldTags[i];
    if (p.length !== g.length) throw new Error(`tokenAccuracy: sentence ${i} has ${p.length} predicted tags for ${g.length} gold tags`);
    for (let j = 0; j < g.length; j++) {
      if (g[j] === null) continue;
      n++;
      if (p[j] === g[j]) ok++;
    }
  }
  return n ? ok / n : NaN;
}

/**
 * SLU sentence ("overall") accuracy: the intent is right AND every tag of the sentence is right.
 * Sentences with a missing gold intent are skipped.
 */
export function overallAccuracy<T extends Label>(
  predIntent: ArrayLike<T>, goldIntent: Gold<T>,
  predTags: readonly (readonly string[])[], goldTags: readonly (readonly string[])[],
): number {
  sameLength(predIntent, goldIntent, 'overallAccuracy');
  if (predTags.length !== goldTags.length || predTags.length !== goldIntent.length) {
    throw new Error(`overallAccuracy: ${goldIntent.length} intents but ${predTags.length}/${goldTags.length} tag sequences`);
  }
  let n = 0;
  let ok = 0;
  for (let i = 0; i < goldIntent.length; i++) {
    if (isMissing(goldIntent[i])) continue;
    n++;
    if (predIntent[i] !== goldIntent[i]) continue;
    const p = predTags[i];
    const g = goldTags[i];
    if (p.length !== g.length) throw new Error(`overallAccuracy: sentence ${i} has ${p.length} predicted tags for ${g.length} gold tags`);
    let all = true;
    for (let j = 0; j < g.length && all; j++) all = p[j] === g[j];
    if (all) ok++;
  }
  return n ? ok / n : NaN;
}

/** Root mean squared error (NaN gold skipped; NaN if none). */
export function rmse(pred: ArrayLike<number>, gold: ArrayLike<number>): number {
  sameLength(pred, gold, 'rmse');
  let n = 0;
  let s = 0;
  for (let i = 0; i < gold.length; i++) {
    if (Number.isNaN(gold[i])) continue;
    const d = pred[i] - gold[i];
    s += d * d;
    n++;
  }
  return n ? Math.sqrt(s / n) : NaN;
}

/** Mean absolute error (NaN gold skipped; NaN if none). */
export function mae(pred: ArrayLike<number>, gold: ArrayLike<number>): number {
  sameLength(pred, gold, 'mae');
  let n = 0;
  let s = 0;
  for (let i = 0; i < gold.length; i++) {
    if (Number.isNaN(gold[i])) continue;
    s += Math.abs(pred[i] - gold[i]);
    n++;
  }
  return n ? s / n : NaN;
}

/**
 * Perplexity over tokens: exp(sum of -ln p(target) / number of targets), from each sentence's
 * per-token negative log-likelihoods (NaN entries skipped; NaN if none).
 */
export function perplexity(nll: readonly (ArrayLike<number>)[]): number {
  let n = 0;
  let s = 0;
  for (const row of nll) {
    for (let j = 0; j < row.length; j++) {
      if (Number.isNaN(row[j])) continue;
      s += row[j];
      n++;
    }
  }
  return n ? Math.exp(s / n) : NaN;
}

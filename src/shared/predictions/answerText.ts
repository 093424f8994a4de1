/**
 * Answers as people read them: an intent with its probability, tagged slot spans as `[type: words]`,
 * a value. Shared by `fmtl predict` and the extension's Try the model, so both say the same.
 */
import { conllSpans, perplexity } from '../metrics/scores';
import { isClassAnswer, isTagsAnswer, type Answer } from './format';

/** A tagged span with its words. */
export interface WordSpan { type: string; start: number; end: number; text: string }

/** The spans of a tag sequence (conlleval chunking) with the words they cover. */
export function wordSpans(tokens: readonly string[], tags: readonly string[]): WordSpan[] {
  return conllSpans(tags).map((s) => ({ ...s, text: tokens.slice(s.start, s.end).join(' ') }));
}

/**
 * One answer as text: `PlayMusic 0.97`, `[artist: adele] [sort: new]` (or `no spans`), `4012.5`;
 * a language model's (`kind`): each word with the next word it predicts, `play→the some→music …`,
 * and the sentence's perplexity when the answer has its token log-likelihoods.
 */
export function answerText(a: Answer, tokens?: readonly string[], kind?: string): string {
  if (isClassAnswer(a)) return `${a.label} ${a.p.toFixed(2)}`;
  if (isTagsAnswer(a) && kind === 'language-model') {
    const pairs = a.tags.map((w, i) => `${tokens?.[i] ?? '?'}→${w}`).join(' ');
    return a.nll?.length ? `${pairs}  (perplexity ${formatPerplexity(perplexity([a.nll]))})` : pairs;
  }
  if (isTagsAnswer(a)) {
    const spans = wordSpans(tokens ?? a.tags.map(() => '?'), a.tags);
    return spans.length ? spans.map((s) => `[${s.type}: ${s.text}]`).join(' ') : 'no spans';
  }
  return formatValue(a.value);
}

/** Whether two answers of consecutive passes say the same thing (label, every tag, or value). */
export function sameAnswer(a: Answer, b: Answer): boolean {
  if (isClassAnswer(a) && isClassAnswer(b)) return a.label === b.label;
  if (isTagsAnswer(a) && isTagsAnswer(b)) return a.tags.length === b.tags.length && a.tags.every((t, i) => t === b.tags[i]);
  if ('value' in a && 'value' in b) return a.value === b.value;
  return false;
}

function formatPerplexity(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

function formatValue(v: number): string {
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/**
 * Lines for one input's answers: per task its final answer; with `iterations`, one line per pass
 * y^0..y^K: the answer of y^0, then `unchanged` or the new answer marked `<- changed`.
 */
export function predictionLines(tasks: readonly { id: string; kind?: string }[], pred: Record<string, Answer[]>, tokens?: readonly string[], iterations = false): string[] {
  const width = Math.max(...tasks.map((t) => t.id.length));
  const lines: string[] = [];
  for (const t of tasks) {
    const passes = pred[t.id] ?? [];
    if (!passes.length) continue;
    if (!iterations) { lines.push(`${t.id.padEnd(width)}  ${answerText(passes[passes.length - 1], tokens, t.kind)}`); continue; }
    passes.forEach((a, k) => {
      const text = k === 0 ? answerText(a, tokens, t.kind) : sameAnswer(a, passes[k - 1]) ? `unchanged${isClassAnswer(a) ? ` (${a.p.toFixed(2)})` : ''}` : `${answerText(a, tokens, t.kind)}   <- changed`;
      lines.push(`${(k === 0 ? t.id : '').padEnd(width)}  y${k}  ${text}`);
    });
  }
  return lines;
}

/**
 * The metric table of a split from answers and gold, in one place: the trainer's evaluation scores
 * its batches with it, and a predictions file is re-scored with it, so the two agree by
 * construction and a test can hold them to it.
 */
import { accuracy, macroF1, mae, overallAccuracy, perplexity, rmse, spanF1, tokenAccuracy } from '../metrics/scores';
import type { TaskMetrics } from '../trainerProtocol';
import { END_OF_SENTENCE, type TaskKind } from '../experimentTypes';
import { dict, plain } from '../dict';
import { isClassAnswer, isTagsAnswer, isValueAnswer, type PredictionsFile } from './format';

/** One task's answers and gold over the scored examples (same order). */
export type ScoredColumn =
  | { id: string; kind: 'classification'; pred: string[]; gold: (string | null)[]; classes: number }
  | { id: string; kind: 'tagging'; pred: string[][]; gold: string[][] }
  | { id: string; kind: 'regression'; pred: number[]; gold: number[] }
  /** `pred`/`gold`: next words per token (`<unk>` for words out of the vocabulary); `nll`: -ln p(gold) per token. */
  | { id: string; kind: 'language-model'; pred: string[][]; gold: string[][]; nll: number[][] };

/** The `<unk>` word as a language model's target names it. */
const UNK_WORD = '<unk>';

/**
 * Metrics per task: accuracy + macro-F1 (classification), conlleval span F1 / precision / recall
 * + token accuracy (tagging), RMSE + MAE (regression), perplexity + token accuracy + the share of
 * `<unk>` targets (language model), and for text data with one classification
 * task and tagging tasks the SLU sentence accuracy under `_overall` (intent right and every tag
 * of every tagging task right).
 */
export function scoreColumns(columns: readonly ScoredColumn[], text: boolean): TaskMetrics {
  const out: TaskMetrics = dict();
  let intent: { pred: string[]; gold: (string | null)[] } | undefined;
  let nClassification = 0;
  const tagSeqs: { pred: string[][]; gold: string[][] }[] = [];
  for (const c of columns) {
    if (c.kind === 'classification') {
      nClassification++;
      out[c.id] = { accuracy: accuracy(c.pred, c.gold), macroF1: macroF1(c.pred, c.gold, c.classes) };
      intent = c;
    } else if (c.kind === 'tagging') {
      const s = spanF1(c.pred, c.gold);
      out[c.id] = { f1: s.f1, precision: s.precision, recall: s.recall, tokenAccuracy: tokenAccuracy(c.pred, c.gold) };
      tagSeqs.push(c);
    } else if (c.kind === 'language-model') {
      const targets = c.gold.reduce((n, g) => n + g.length, 0);
      const unk = c.gold.reduce((n, g) => n + g.filter((w) => w === UNK_WORD).length, 0);
      out[c.id] = { perplexity: perplexity(c.nll), tokenAccuracy: tokenAccuracy(c.pred, c.gold), unkRate: targets ? unk / targets : NaN };
    } else {
      out[c.id] = { rmse: rmse(c.pred, c.gold), mae: mae(c.pred, c.gold) };
    }
  }
  if (nClassification === 1 && intent && tagSeqs.length > 0 && text) {
    const cat = (k: 'pred' | 'gold') => intent!.pred.map((_, j) => tagSeqs.flatMap((s) => s[k][j]));
    out._overall = { accuracy: overallAccuracy(intent.pred, intent.gold, cat('pred'), cat('gold')) };
  }
  return plain(out);
}

/** The columns of pass `k` (default: the last, y^K, the one the run's metrics score). */
export function columnsOf(file: PredictionsFile, k = file.header.iterations): ScoredColumn[] {
  return file.header.tasks.map((t) => column(file, t.id, t.kind, t.labels.length, k));
}

function column(file: PredictionsFile, id: string, kind: TaskKind, classes: number, k: number): ScoredColumn {
  const ex = file.examples;
  const at = (e: (typeof ex)[number]) => {
    const a = e.pred[id]?.[k];
    if (!a) throw new Error(`example ${e.i} has no answer of pass ${k} for task '${id}'`);
    return a;
  };
  if (kind === 'classification') {
    return { id, kind, classes, gold: ex.map((e) => e.gold[id] as string | null), pred: ex.map((e) => { const a = at(e); return isClassAnswer(a) ? a.label : ''; }) };
  }
  if (kind === 'tagging') {
    return { id, kind, gold: ex.map((e) => e.gold[id] as string[]), pred: ex.map((e) => { const a = at(e); return isTagsAnswer(a) ? a.tags : []; }) };
  }
  if (kind === 'language-model') {
    return {
      id, kind, gold: ex.map((e) => e.gold[id] as string[]),
      pred: ex.map((e) => { const a = at(e); return isTagsAnswer(a) ? a.tags : []; }),
      nll: ex.map((e) => { const a = at(e); return isTagsAnswer(a) && a.nll ? a.nll : []; }),
    };
  }
  return {
    id, kind,
    gold: ex.map((e) => (e.gold[id] === null ? NaN : (e.gold[id] as number))),
    pred: ex.map((e) => { const a = at(e); return isValueAnswer(a) ? a.value : NaN; }),
  };
}

/** The run's metric table recomputed from a predictions file (pass K, as `summary.json` reports). */
export function metricsOfPredictions(file: PredictionsFile, k = file.header.iterations): TaskMetrics {
  return scoreColumns(columnsOf(file, k), file.header.input === 'text');
}

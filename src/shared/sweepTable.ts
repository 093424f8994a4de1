/**
 * A sweep's result table: per cell, mean ± std of each metric over seeds, and against the cell's
 * baseline the paired per-seed difference with a bootstrap confidence interval.
 *
 * Pure (shared): the CLI writes it as markdown + JSON, the extension's sweep view draws it from the
 * same JSON. Every number says what it is: the split and checkpoint are in the table, the CI says
 * what was resampled.
 *
 * The bootstrap: with per-example scores (a metric that is a mean over test examples, e.g.
 * accuracy, from the run folders' predictions), each resample draws test examples with replacement
 * — the same examples for every seed, since seeds share one split — and takes the mean over seeds
 * of the paired difference; this is the CI over test examples. Without per-example scores it
 * resamples the per-seed differences (a coarse CI with few seeds) and says so.
 */
import { formatMeanStd, formatMetric, NO_VALUE } from './metrics/catalogue';
import { meanStd } from './series/aggregate';
import { baselineOf, type Sweep } from './sweep';
import { Rng } from './rng';
import type { PredictionsFile } from './predictions/format';
import { columnsOf, metricsOfPredictions, type ScoredColumn } from './predictions/score';

/** One finished run's numbers, as read from its folder. */
export interface SweepRunResult {
  cellId: string;
  seed: number;
  /** Run folder name (for the reader to find it). */
  runId: string;
  /** `task.metric` -> value on the table's split at the best-valid checkpoint. */
  metrics: Record<string, number>;
  /**
   * `task.metric` -> the metric's per-example terms on the same split (their mean is the metric),
   * aligned by example index across runs. Absent when the run folder has no per-example predictions.
   */
  perExample?: Record<string, number[]>;
}

/** mean ± std over seeds. */
export interface MetricStats { mean: number; std: number; n: number; values: number[] }

/** Paired difference cell − baseline. */
export interface PairedDiff {
  /** Mean over the paired seeds of (cell − baseline). */
  diff: number;
  /** 95% percentile bootstrap interval of `diff`. */
  lo: number;
  hi: number;
  /** Seeds paired. */
  pairs: number;
  /** What the bootstrap resampled. */
  over: 'examples' | 'seeds';
}

export interface SweepTableRow {
  cellId: string;
  label: string;
  /** The cell this row is compared against (absent for a baseline cell). */
  baselineId?: string;
  /** Runs that finished, out of the cell's seeds. */
  finished: number;
  seeds: number;
  metrics: Record<string, MetricStats>;
  vsBaseline?: Record<string, PairedDiff>;
}

/** `table.json` of a sweep folder. */
export interface SweepTable {
  name: string;
  /** Split of every number and the checkpoint it was measured at. */
  split: 'test' | 'valid';
  checkpoint: 'best-valid';
  /** Metric keys `task.metric`, in column order. */
  metrics: string[];
  rows: SweepTableRow[];
  bootstrap: { resamples: number; seed: number; confidence: 0.95 };
  /** Runs finished / all. */
  finished: number;
  runs: number;
}

/**
 * Per-example terms of the metrics that are means over examples, from a run's predictions file
 * (pass K, as the run's metrics): accuracy (1 right, 0 wrong, examples with a gold label), MAE
 * (|prediction − gold|), the SLU sentence accuracy `_overall.accuracy` (intent and every tag
 * right). A term list is kept only if its mean equals the metric recomputed from the file by
 * `metricsOfPredictions`, so the bootstrap resamples exactly what the table reports.
 */
export function exampleTerms(file: PredictionsFile): Record<string, number[]> {
  const cols = columnsOf(file);
  const out: Record<string, number[]> = {};
  let intent: (ScoredColumn & { kind: 'classification' }) | undefined;
  const tags: (ScoredColumn & { kind: 'tagging' })[] = [];
  for (const c of cols) {
    if (c.kind === 'classification') {
      intent = intent ? undefined : c;
      out[`${c.id}.accuracy`] = c.gold.flatMap((g, j) => (g === null ? [] : [c.pred[j] === g ? 1 : 0]));
    } else if (c.kind === 'regression') {
      out[`${c.id}.mae`] = c.gold.flatMap((g, j) => (Number.isFinite(g) && Number.isFinite(c.pred[j]) ? [Math.abs(c.pred[j] - g)] : []));
    } else if (c.kind === 'tagging') tags.push(c);
    // A language model's perplexity is exp of a mean over tokens, not a mean over examples: no terms to resample.
  }
  const nClass = cols.filter((c) => c.kind === 'classification').length;
  if (nClass === 1 && intent && tags.length && file.header.input === 'text') {
    const it = intent;
    out['_overall.accuracy'] = it.gold.flatMap((g, j) => (g === null ? [] : [it.pred[j] === g && tags.every((t) => t.pred[j].length === t.gold[j].length && t.pred[j].every((x, q) => x === t.gold[j][q])) ? 1 : 0]));
  }
  const metrics = metricsOfPredictions(file);
  for (const [k, terms] of Object.entries(out)) {
    const dot = k.lastIndexOf('.');
    const want = metrics[k.slice(0, dot)]?.[k.slice(dot + 1)];
    if (!terms.length || want === undefined || Math.abs(mean(terms) - want) > 1e-9 * Math.max(1, Math.abs(want))) delete out[k];
  }
  return out;
}

/** Resamples of the bootstrap. */
export const BOOTSTRAP_RESAMPLES = 2000;

/**
 * Builds the table. `results` holds at most one result per (cell, seed) (the finished run).
 * `split` is what the results' metrics were read on.
 */
export function buildSweepTable(sweep: Pick<Sweep, 'cells' | 'baseline' | 'seeds' | 'runs'> & { name: string }, results: SweepRunResult[], split: 'test' | 'valid', seed = 0): SweepTable {
  const byCell = new Map<string, Map<number, SweepRunResult>>();
  for (const r of results) {
    let m = byCell.get(r.cellId);
    if (!m) byCell.set(r.cellId, (m = new Map()));
    m.set(r.seed, r);
  }
  const metricKeys: string[] = [];
  for (const r of results) for (const k of Object.keys(r.metrics)) if (!metricKeys.includes(k)) metricKeys.push(k);
  const rows: SweepTableRow[] = sweep.cells.map((cell) => {
    const mine = byCell.get(cell.id) ?? new Map<number, SweepRunResult>();
    const metrics: Record<string, MetricStats> = {};
    for (const k of metricKeys) {
      const values = sweep.seeds.map((s) => mine.get(s)?.metrics[k]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      const ms = meanStd(values);
      metrics[k] = { mean: ms.mean, std: ms.std, n: ms.n, values };
    }
    const base = baselineOf(sweep, cell);
    const row: SweepTableRow = { cellId: cell.id, label: cell.label, finished: mine.size, seeds: sweep.seeds.length, metrics };
    if (base) {
      row.baselineId = base.id;
      const theirs = byCell.get(base.id) ?? new Map<number, SweepRunResult>();
      const vs: Record<string, PairedDiff> = {};
      for (const k of metricKeys) {
        const pairs = sweep.seeds.filter((s) => mine.get(s)?.metrics[k] !== undefined && theirs.get(s)?.metrics[k] !== undefined)
          .map((s) => [mine.get(s)!, theirs.get(s)!] as const);
        if (pairs.length === 0) continue;
        vs[k] = pairedDiff(pairs.map(([a, b]) => ({ a: a.metrics[k], b: b.metrics[k], aEx: a.perExample?.[k], bEx: b.perExample?.[k] })), new Rng(seed).fork(`${cell.id}|${k}`));
      }
      row.vsBaseline = vs;
    }
    return row;
  });
  return {
    name: sweep.name, split, checkpoint: 'best-valid', metrics: metricKeys, rows,
    bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed, confidence: 0.95 },
    finished: results.length, runs: sweep.runs.length,
  };
}

/** Percentile of sorted values (linear interpolation). */
function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const mean = (xs: ArrayLike<number>, idx?: Int32Array): number => {
  let s = 0;
  const n = idx ? idx.length : xs.length;
  for (let i = 0; i < n; i++) s += xs[idx ? idx[i] : i];
  return s / n;
};

/**
 * Paired difference over seeds with a 95% bootstrap interval: over test examples when every pair
 * has aligned per-example terms of one length, else over the per-seed differences.
 */
export function pairedDiff(pairs: { a: number; b: number; aEx?: number[]; bEx?: number[] }[], rng: Rng, resamples = BOOTSTRAP_RESAMPLES): PairedDiff {
  const diffs = pairs.map((p) => p.a - p.b);
  const diff = mean(diffs);
  const n = pairs[0]?.aEx?.length ?? 0;
  const byExamples = n > 0 && pairs.every((p) => p.aEx?.length === n && p.bEx?.length === n);
  const stats: number[] = [];
  if (byExamples) {
    const idx = new Int32Array(n);
    for (let r = 0; r < resamples; r++) {
      for (let i = 0; i < n; i++) idx[i] = rng.int(n);
      let s = 0;
      for (const p of pairs) s += mean(p.aEx!, idx) - mean(p.bEx!, idx);
      stats.push(s / pairs.length);
    }
  } else {
    const k = diffs.length;
    for (let r = 0; r < resamples; r++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += diffs[rng.int(k)];
      stats.push(s / k);
    }
  }
  stats.sort((x, y) => x - y);
  return { diff, lo: percentile(stats, 0.025), hi: percentile(stats, 0.975), pairs: pairs.length, over: byExamples ? 'examples' : 'seeds' };
}

/** A signed difference in the metric's own unit (percentage points for percentages): `+1.2`, `-0.4`. */
function signed(metric: string, v: number): string {
  return `${v < 0 ? '-' : '+'}${formatMetric(metric, Math.abs(v))}`;
}

/** The table as markdown: mean ± std per cell, then the paired comparison against the baseline. */
export function sweepTableMarkdown(t: SweepTable): string {
  const name = (k: string) => k.replace(/^_overall\./, 'overall.');
  const metricOf = (k: string) => k.slice(k.lastIndexOf('.') + 1);
  const lines: string[] = [];
  lines.push(`# Sweep ${t.name}`, '');
  lines.push(`${t.finished}/${t.runs} runs finished. Every number: ${t.split} split at the best-valid checkpoint; mean ± sample std over seeds (n = seeds finished).`, '');
  const head = ['cell', 'n', ...t.metrics.map(name)];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 1 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const r of t.rows) {
    const cells = t.metrics.map((k) => {
      const m = r.metrics[k];
      return m ? formatMeanStd(metricOf(k), m) : NO_VALUE;
    });
    lines.push(`| ${r.label}${r.baselineId ? '' : ' (baseline)'} | ${r.finished}/${r.seeds} | ${cells.join(' | ')} |`);
  }
  const compared = t.rows.filter((r) => r.vsBaseline && Object.keys(r.vsBaseline).length);
  if (compared.length) {
    const by = (o: PairedDiff['over']) => t.metrics.filter((k) => compared.some((r) => r.vsBaseline![k]?.over === o)).map(name);
    const byExamples = by('examples'), bySeeds = by('seeds');
    lines.push('', `## Against the baseline (paired by seed)`, '');
    lines.push(`Δ = mean over paired seeds of (cell − baseline) [95% bootstrap CI, ${t.bootstrap.resamples} resamples].`);
    if (byExamples.length) lines.push(`CI over ${t.split} examples (the same examples resampled for both cells and every seed): ${byExamples.join(', ')}.`);
    if (bySeeds.length) lines.push(`CI over the per-seed differences (the metric is not a mean over examples, or the run folders have no per-example predictions; it reflects seed noise only and is coarse with few seeds): ${bySeeds.join(', ')}.`);
    lines.push('');
    const h2 = ['cell', 'vs', 'pairs', ...t.metrics.map(name)];
    lines.push(`| ${h2.join(' | ')} |`, `|${h2.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
    const labelOf = new Map(t.rows.map((r) => [r.cellId, r.label]));
    for (const r of compared) {
      const pairs = Math.max(...Object.values(r.vsBaseline!).map((d) => d.pairs));
      const cells = t.metrics.map((k) => {
        const d = r.vsBaseline![k];
        if (!d) return '–';
        const m = metricOf(k);
        return `${signed(m, d.diff)} [${signed(m, d.lo)}, ${signed(m, d.hi)}]`;
      });
      lines.push(`| ${r.label} | ${labelOf.get(r.baselineId!) ?? r.baselineId} | ${pairs} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n') + '\n';
}

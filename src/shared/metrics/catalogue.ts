/**
 * The metric catalogue: for every metric the trainer reports, its label, unit, whether lower is
 * better, whether it is a fraction shown as a percentage, and how its numbers are written. The
 * experiment checker, the trainer's early stopping, the CLI tables, the CodeLens and hovers, the
 * Runs view and the charts all ask this file, so a metric reads the same everywhere.
 *
 * Names are the keys of `TaskMetrics` (`trainerProtocol.ts` `MetricName`) plus the losses
 * (`loss`, `trainLoss`, `validLoss`, ...). Dotted monitor paths (`slots.f1`, `valid.species.rmse`)
 * are looked up by their last part.
 */
import type { TaskKind } from '../experimentTypes';

/** How one metric is shown. */
export interface MetricInfo {
  /** Key in `TaskMetrics` (or the loss name as given). */
  name: string;
  /** Words for views: `accuracy`, `macro-F1`, `RMSE`. */
  label: string;
  /** Short label for tight places (graph badges, CLI progress lines): `acc`, `F1`, `RMSE`. */
  short: string;
  /** `%` for fractions shown as percentages, `target` for errors in the regression target's units, `` for losses. */
  unit: '%' | 'target' | '';
  /** Errors and losses: the best epoch is the lowest. */
  lowerIsBetter: boolean;
  /** A fraction in [0, 1] shown ×100 with one decimal (`93.1`). */
  percent: boolean;
}

const PERCENT = { unit: '%', lowerIsBetter: false, percent: true } as const;
const ERROR = { unit: 'target', lowerIsBetter: true, percent: false } as const;

const CATALOGUE: Readonly<Record<string, Omit<MetricInfo, 'name'>>> = {
  accuracy: { label: 'accuracy', short: 'acc', ...PERCENT },
  macroF1: { label: 'macro-F1', short: 'mF1', ...PERCENT },
  f1: { label: 'F1', short: 'F1', ...PERCENT },
  precision: { label: 'precision', short: 'P', ...PERCENT },
  recall: { label: 'recall', short: 'R', ...PERCENT },
  tokenAccuracy: { label: 'token accuracy', short: 'tok acc', ...PERCENT },
  rmse: { label: 'RMSE', short: 'RMSE', ...ERROR },
  mae: { label: 'MAE', short: 'MAE', ...ERROR },
  /** exp(mean token cross-entropy) of a language model over every real target token of the split. */
  perplexity: { label: 'perplexity', short: 'ppl', unit: '', lowerIsBetter: true, percent: false },
  /** Share of a language model's targets that are `<unk>` (words out of the training vocabulary): perplexity counts them as one word. */
  unkRate: { label: '<unk> targets', short: '<unk>', unit: '%', lowerIsBetter: true, percent: true },
};

/** Metrics each task kind reports, headline first (names as in `trainerProtocol.ts` `MetricName`). */
export const METRICS_BY_KIND: Readonly<Record<TaskKind, readonly string[]>> = {
  classification: ['accuracy', 'macroF1'],
  tagging: ['f1', 'precision', 'recall', 'tokenAccuracy'],
  regression: ['rmse', 'mae'],
  'language-model': ['perplexity', 'tokenAccuracy'],
};

/** Headline order when the task kind is not known: the first present one leads. */
const HEADLINE_ORDER = ['accuracy', 'f1', 'rmse', 'perplexity', 'macroF1', 'mae', 'tokenAccuracy'];

/** The last part of a dotted monitor path: `valid.species.rmse` -> `rmse`. */
export function metricLeaf(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? name : name.slice(i + 1);
}

/** What the catalogue says about `name` (a leaf or a dotted path). Unknown names show as plain values, higher is better; names ending in `loss` are losses. */
export function metricInfo(name: string): MetricInfo {
  const leaf = metricLeaf(name);
  const known = CATALOGUE[leaf];
  if (known) return { name: leaf, ...known };
  if (/loss$/i.test(leaf)) return { name: leaf, label: leaf, short: leaf, unit: '', lowerIsBetter: true, percent: false };
  return { name: leaf, label: leaf, short: leaf, unit: '', lowerIsBetter: false, percent: false };
}

/** True for errors and losses (`rmse`, `mae`, `loss`, `slots.loss`). */
export function lowerIsBetter(name: string): boolean {
  return metricInfo(name).lowerIsBetter;
}

/** Early-stopping direction of a metric: `min` for errors and losses, else `max`. */
export function betterMode(name: string): 'min' | 'max' {
  return lowerIsBetter(name) ? 'min' : 'max';
}

/** True if `a` is a better value of `name` than `b`. */
export function isBetter(name: string, a: number, b: number): boolean {
  return lowerIsBetter(name) ? a < b : a > b;
}

/**
 * The metric a task's figures lead with: per kind its first reported metric that has a finite
 * value (e.g. tagging `f1`, else `tokenAccuracy`), or with no kind the first of accuracy, F1, RMSE,
 * perplexity, macro-F1, MAE, token accuracy. Undefined when none has a value.
 */
export function headlineMetric(kind: TaskKind | undefined, metrics: Readonly<Record<string, number>> | undefined): MetricInfo | undefined {
  const order = kind ? METRICS_BY_KIND[kind] : HEADLINE_ORDER;
  const name = order.find((m) => metrics && Number.isFinite(metrics[m]));
  return name ? metricInfo(name) : undefined;
}

/** Shown for a missing or non-finite value. */
export const NO_VALUE = '–';

/**
 * A metric value as every view writes it: percentages with one decimal (`93.1` for 0.931), other
 * values with 3 significant digits and no exponent (`312`, `12.3`, `0.0412`); `–` when missing.
 */
export function formatMetric(name: string, value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return NO_VALUE;
  if (metricInfo(name).percent) return (value * 100).toFixed(1);
  return formatValue(value);
}

/**
 * Mean ± sample std of a metric over n values (seeds, runs), as every table writes it: `–` for none,
 * the mean alone with `(n = 1)` for one value (a single value has no spread; `± 0.0` would claim one).
 */
export function formatMeanStd(name: string, m: { mean: number; std: number; n: number }): string {
  if (!m.n) return NO_VALUE;
  if (m.n === 1) return `${formatMetric(name, m.mean)} (n = 1)`;
  return `${formatMetric(name, m.mean)} ± ${formatMetric(name, m.std)}`;
}

/** A plain number with 3 significant digits, no exponent: `312`, `12.3`, `0.0412`, `0`. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return NO_VALUE;
  const a = Math.abs(value);
  if (a >= 100) return value.toFixed(0);
  if (a >= 1) return value.toPrecision(3);
  if (a === 0) return '0';
  return value.toFixed(Math.min(6, 2 - Math.floor(Math.log10(a))));
}

/** `(+0.6)`, `(-1.2)`, `(±0.0)`: the change from `before` to `now` in the metric's shown unit (percentage points for percentages). */
export function formatMetricDelta(name: string, now: number, before: number): string {
  const percent = metricInfo(name).percent;
  const d = percent ? (now - before) * 100 : now - before;
  const digits = percent ? 1 : Math.max(1, Math.min(6, 2 - Math.floor(Math.log10(Math.max(Math.abs(now), Math.abs(before), 1e-12)))));
  const s = Math.abs(d).toFixed(digits);
  if (Number(s) === 0) return `(±${s})`;
  return d > 0 ? `(+${s})` : `(-${s})`;
}

/** `overall accuracy`, `slots F1`: a task's metric as a chart title or column name. */
export function metricTitle(task: string, name: string): string {
  return `${task === '_overall' ? 'overall' : task} ${metricInfo(name).label}`;
}

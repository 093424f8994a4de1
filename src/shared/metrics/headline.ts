/**
 * A run's headline numbers: which checkpoint and which split every view quotes, so the graph badge,
 * the CodeLens, the end-of-training toast, the Runs view and Compare's table show the same number
 * for the same run and say where it comes from.
 *
 * The checkpoint is the best-validation one (the epoch the early-stopping monitor last improved at,
 * the weights `best` checkpoint holds and the test split is scored with): a finished run's
 * `summary.bestEpoch`, a live run's best epoch so far. Values are that epoch's validation metrics
 * (never each metric's own best epoch, never the last epoch), and the test metrics of the same
 * checkpoint when the run scored them. Labels, units and formats come from the catalogue.
 */
import type { TaskKind } from '../experimentTypes';
import type { TaskMetrics } from '../trainerProtocol';
import { formatMetric, headlineMetric, type MetricInfo } from './catalogue';
import { dict } from '../dict';

/** What a run offers (a projection of the run store's info, the charts' run model, or a run folder). */
export interface HeadlineSource {
  /** Present once the run finished. */
  summary?: { bestEpoch: number; best: { valid: TaskMetrics; test?: TaskMetrics }; last?: { valid: TaskMetrics } };
  /** Epoch results seen so far (any order; only `epoch`, `valid` and `monitor.improved` are read). */
  epochs?: readonly { epoch: number; valid: TaskMetrics; monitor?: { improved: boolean } }[];
}

/** One task's headline figure. */
export interface TaskHeadline {
  metric: MetricInfo;
  /** Validation value at the checkpoint. */
  valid: number;
  /** Test value at the same checkpoint, when the run scored the test split. */
  test?: number;
}

/** The headline numbers of one run. */
export interface RunHeadline {
  /** `best`: the best-validation checkpoint; `last`: no epoch improved the monitor, the newest epoch. */
  checkpoint: 'best' | 'last';
  /** 1-based epoch of that checkpoint. */
  epoch: number;
  /** The run is still going: the best epoch *so far*. */
  live: boolean;
  /** Validation metrics of every task at the checkpoint. */
  valid: TaskMetrics;
  /** Test metrics at the checkpoint (finished runs with a test split). */
  test?: TaskMetrics;
  /** task id -> its headline metric (per the task's kind) at the checkpoint. */
  tasks: Record<string, TaskHeadline>;
  /** Where the numbers come from, for every view: `valid, best epoch 7` / `valid, best epoch so far 3`. */
  where: string;
}

const nonEmpty = (m: TaskMetrics | undefined): m is TaskMetrics => !!m && Object.keys(m).length > 0;

/**
 * The headline numbers of a run, or undefined before its first epoch. `kinds` gives each task's
 * kind (task id -> kind) so the headline metric is the kind's (accuracy, F1, RMSE); tasks not in
 * `kinds` are left out.
 */
export function runHeadline(src: HeadlineSource, kinds: Readonly<Record<string, TaskKind | undefined>>): RunHeadline | undefined {
  let checkpoint: RunHeadline['checkpoint'];
  let epoch: number;
  let valid: TaskMetrics;
  let test: TaskMetrics | undefined;
  const live = !src.summary;
  if (src.summary && nonEmpty(src.summary.best.valid)) {
    checkpoint = 'best';
    epoch = src.summary.bestEpoch;
    valid = src.summary.best.valid;
    test = nonEmpty(src.summary.best.test) ? src.summary.best.test : undefined;
  } else {
    const epochs = [...(src.epochs ?? [])].filter((e) => nonEmpty(e.valid)).sort((a, b) => a.epoch - b.epoch);
    const best = [...epochs].reverse().find((e) => e.monitor?.improved);
    const pick = best ?? epochs[epochs.length - 1];
    if (pick) {
      checkpoint = best ? 'best' : 'last';
      epoch = pick.epoch;
      valid = pick.valid;
    } else if (src.summary?.last && nonEmpty(src.summary.last.valid)) {
      checkpoint = 'last';
      epoch = 0;
      valid = src.summary.last.valid;
    } else {
      return undefined;
    }
  }
  const tasks: Record<string, TaskHeadline> = dict();
  for (const [id, kind] of Object.entries(kinds)) {
    const metric = headlineMetric(kind, valid[id]);
    if (!metric) continue;
    const t = test?.[id]?.[metric.name];
    tasks[id] = { metric, valid: valid[id][metric.name], ...(t !== undefined && Number.isFinite(t) ? { test: t } : {}) };
  }
  const at = checkpoint === 'best' ? `best epoch${live ? ' so far' : ''}` : 'last epoch';
  return { checkpoint, epoch, live, valid, test, tasks, where: `valid, ${at}${epoch ? ` ${epoch}` : ''}` };
}

/** `accuracy 93.1` (the headline's validation value); `accuracy 93.1 · test 92.4` with `withTest`. */
export function headlineText(h: TaskHeadline, withTest = false): string {
  const v = `${h.metric.label} ${formatMetric(h.metric.name, h.valid)}`;
  return withTest && h.test !== undefined ? `${v} · test ${formatMetric(h.metric.name, h.test)}` : v;
}

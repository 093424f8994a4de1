/**
 * The words of the inline metric views: CodeLens titles above tasks and arrows, the file-level lens,
 * and the hover tables. Pure (no vscode), so every format is unit-tested.
 *
 * Figures: the latest run of the experiment that has metrics (a live run shows its newest epoch),
 * compared with the previous *finished* run before it. Metrics are the validation metrics of the
 * best epoch (`summary.best.valid`), else the last epoch's. Accuracy and F1 print as percentages with
 * one decimal, the change in percentage points; RMSE/MAE print as values (lower is better).
 */
import type { TaskKind } from '../shared/experimentTypes';
import type { TaskMetrics } from '../shared/trainerProtocol';
import type { RunViewStatus } from '../shared/runViewProtocol';
import type { RunInfo } from '../runs/runStore';
import type { ArrowItem, TaskItem } from './experimentOutline';

/** What the lens needs of a run (a projection of `RunInfo`). */
export interface RunFigures {
  id: string;
  name: string;
  status: RunViewStatus;
  live: boolean;
  startedAt?: number;
  backend?: string;
  /** Ablation variant / user tag, if any. */
  tag?: string;
  /** Validation metrics per task. */
  valid?: TaskMetrics;
  /** Gate argmax per Gumbel arrow. */
  gates: Record<string, { block: number; prob: number }>;
  /** Epoch the figures come from (live runs), 1-based as the trainer counts. */
  epoch?: number;
  epochs?: number;
}

const FINISHED: ReadonlySet<RunViewStatus> = new Set(['completed', 'early-stopped', 'stopped']);

/** Project a store run to its figures. */
export function runFigures(r: RunInfo): RunFigures {
  const valid = nonEmpty(r.summary?.best?.valid) ?? nonEmpty(r.summary?.last?.valid) ?? nonEmpty(r.lastEpoch?.valid);
  let gates: RunFigures['gates'] = {};
  if (r.summary?.gates && Object.keys(r.summary.gates).length) gates = r.summary.gates;
  else if (r.lastGates) {
    for (const [arrow, g] of Object.entries(r.lastGates)) {
      let best = -1;
      for (let i = 0; i < g.probs.length; i++) if (best < 0 || g.probs[i] > g.probs[best]) best = i;
      if (best >= 0) gates[arrow] = { block: g.blocks[best] ?? best + 1, prob: g.probs[best] };
    }
  }
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    live: r.live,
    startedAt: r.startedAt,
    backend: r.backend,
    tag: r.tag ?? tagFromName(r.name),
    valid,
    gates,
    epoch: r.lastEpoch?.epoch,
    epochs: r.config?.training?.epochs,
  };
}

/** `…-ablation-static` -> `ablation-static`. */
export function tagFromName(name: string): string | undefined {
  return /(ablation-(?:static|fixed|gumbel))$/.exec(name)?.[1];
}

/**
 * Which runs the lenses show, from runs newest first: `newest` (the file lens: a run that just
 * started counts), `latest` with validation metrics (task lenses; a new run takes over after its
 * first epoch) and the finished run with metrics before it (`previous`), and the newest run that
 * reported gates (`gates`, arrow lenses).
 */
export function pickRuns(runs: readonly RunFigures[]): { newest?: RunFigures; latest?: RunFigures; previous?: RunFigures; gates?: RunFigures } {
  const i = runs.findIndex((r) => r.valid);
  const latest = i >= 0 ? runs[i] : undefined;
  const previous = i >= 0 ? runs.slice(i + 1).find((r) => FINISHED.has(r.status) && r.valid) : undefined;
  const gates = runs.find((r) => Object.keys(r.gates).length) ?? latest;
  return { newest: runs[0], latest, previous, gates };
}

/** Headline metric of a task kind, with how it is shown. */
export function primaryMetric(kind: TaskKind | undefined, metrics: Record<string, number> | undefined): { name: string; label: string; percent: boolean; lowerIsBetter: boolean } | undefined {
  const order = kind === 'tagging' ? ['f1', 'tokenAccuracy'] : kind === 'regression' ? ['rmse', 'mae'] : kind === 'classification' ? ['accuracy', 'macroF1']
    : ['accuracy', 'f1', 'rmse', 'macroF1', 'mae', 'tokenAccuracy'];
  const name = order.find((m) => metrics && Number.isFinite(metrics[m]));
  return name ? metricStyle(name) : undefined;
}

export function metricStyle(name: string): { name: string; label: string; percent: boolean; lowerIsBetter: boolean } {
  const labels: Record<string, string> = { accuracy: 'accuracy', macroF1: 'macro-F1', f1: 'F1', precision: 'precision', recall: 'recall', tokenAccuracy: 'token accuracy', rmse: 'RMSE', mae: 'MAE' };
  const lower = name === 'rmse' || name === 'mae';
  return { name, label: labels[name] ?? name, percent: !lower, lowerIsBetter: lower };
}

/** `93.1` for 0.931 (percent), `312` / `0.0412` for values (3 significant digits, no exponent). */
export function formatMetric(value: number, percent: boolean): string {
  if (!Number.isFinite(value)) return '—';
  if (percent) return (value * 100).toFixed(1);
  const a = Math.abs(value);
  if (a >= 100) return value.toFixed(0);
  if (a >= 1) return value.toPrecision(3);
  if (a === 0) return '0';
  return value.toFixed(Math.min(6, 2 - Math.floor(Math.log10(a))));
}

/** `(+0.6)`, `(-1.2)`, `(±0.0)`: change in the shown unit. */
export function formatDelta(now: number, before: number, percent: boolean): string {
  const d = percent ? (now - before) * 100 : now - before;
  const digits = percent ? 1 : Math.max(1, Math.min(6, 2 - Math.floor(Math.log10(Math.max(Math.abs(now), Math.abs(before), 1e-12)))));
  const s = Math.abs(d).toFixed(digits);
  if (Number(s) === 0) return `(±${s})`;
  return d > 0 ? `(+${s})` : `(-${s})`;
}

/** One CodeLens: its title, tooltip, and the run a click opens. */
export interface LensText {
  title: string;
  tooltip: string;
  runId?: string;
}

/** `slots · F1 94.1 (+0.6)`; `species · accuracy 93.1`; live runs add ` · epoch 3/30`. */
export function taskLens(task: Pick<TaskItem, 'id' | 'taskKind'>, latest: RunFigures | undefined, previous: RunFigures | undefined): LensText | undefined {
  if (!latest) return undefined;
  const m = latest.valid?.[task.id];
  const style = primaryMetric(task.taskKind, m);
  if (!m || !style) {
    return { title: `${task.id} · no figures in the latest run`, tooltip: `Run ${latest.name} has no validation metrics for task '${task.id}' (added after it ran, or the run stopped before its first epoch).`, runId: latest.id };
  }
  const value = m[style.name];
  const before = previous?.valid?.[task.id]?.[style.name];
  const delta = before !== undefined && Number.isFinite(before) ? ` ${formatDelta(value, before, style.percent)}` : '';
  const live = latest.live && latest.status === 'running' ? ` · epoch ${latest.epoch ?? '?'}${latest.epochs ? `/${latest.epochs}` : ''}` : '';
  const others = Object.entries(m).filter(([k]) => k !== style.name).map(([k, v]) => `${metricStyle(k).label} ${formatMetric(v, metricStyle(k).percent)}`).join(', ');
  const tooltip = [
    `Validation ${style.label} of '${task.id}' in run ${latest.name} (${latest.status}${latest.backend ? `, ${latest.backend}` : ''})${style.lowerIsBetter ? ' — lower is better' : ''}.`,
    others ? `Also: ${others}.` : '',
    previous && delta ? `Change against the previous finished run ${previous.name}.` : 'No earlier finished run to compare with.',
    'Click to open the run\'s charts.',
  ].filter(Boolean).join('\n');
  return { title: `${task.id} · ${style.label} ${formatMetric(value, style.percent)}${delta}${live}`, tooltip, runId: latest.id };
}

/** `intent→slots · gate: block 2 (0.91)`; fixed arrows `intent→slots · block 2 (fixed)`. */
export function arrowLens(arrow: Pick<ArrowItem, 'id' | 'from' | 'to' | 'injection' | 'enabled'>, latest: RunFigures | undefined): LensText {
  const head = `${arrow.from ?? '?'}→${arrow.to ?? '?'}`;
  if (!arrow.enabled) return { title: `${head} · off`, tooltip: `Feedback arrow '${arrow.id}' is switched off (enabled: false).` };
  if (arrow.injection !== 'gumbel') {
    return {
      title: `${head} · block ${arrow.injection ?? '?'} (fixed)`,
      tooltip: `Feedback arrow '${arrow.id}' feeds ${arrow.from}'s output into block ${arrow.injection} of ${arrow.to}.`,
      runId: latest?.id,
    };
  }
  const g = latest?.gates[arrow.id];
  if (!latest || !g) {
    const why = !latest ? 'No run yet.' : latest.tag === 'ablation-static' ? `Run ${latest.name} trained without feedback.` : `Run ${latest.name} reported no gate for this arrow yet.`;
    return { title: `${head} · gate: not learned yet`, tooltip: `Gumbel gate of '${arrow.id}': ${why}`, runId: latest?.id };
  }
  return {
    title: `${head} · gate: block ${g.block} (${g.prob.toFixed(2)})`,
    tooltip: `Gumbel gate of '${arrow.id}' in run ${latest.name}: block ${g.block} of ${arrow.to} with probability ${g.prob.toFixed(3)}${latest.live ? ' (live)' : ''}. Click to open the gate heatmap.`,
    runId: latest.id,
  };
}

/** The lens on the first line: the latest run's status and time, e.g. `last run: completed 5 min ago · wasm`. */
export function fileLens(latest: RunFigures | undefined, now: number): LensText | undefined {
  if (!latest) return undefined;
  const when = latest.startedAt ? ` ${ago(now - latest.startedAt)}` : '';
  const overall = latest.valid?._overall?.accuracy;
  const running = latest.live && latest.status === 'running';
  const parts = [`last run: ${latest.status}${running ? latest.epoch ? ` · epoch ${latest.epoch}${latest.epochs ? `/${latest.epochs}` : ''}` : '' : when}`];
  if (overall !== undefined) parts.push(`overall accuracy ${formatMetric(overall, true)}`);
  if (latest.tag) parts.push(latest.tag);
  if (latest.backend) parts.push(latest.backend);
  return { title: parts.join(' · '), tooltip: `Run ${latest.name}. Click to open its charts.`, runId: latest.id };
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function ago(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/**
 * Markdown table of the last runs for a task (headline metric and change) or an arrow (gate choice).
 * `link(runId)` gives the href that opens a run (a `command:` URI in VS Code).
 */
export function hoverTable(item: { kind: 'task'; id: string; taskKind?: TaskKind } | { kind: 'arrow'; id: string; from?: string; to?: string; injection?: number | 'gumbel' },
  runs: readonly RunFigures[], link: (runId: string) => string, max = 5): string {
  const shown = runs.filter((r) => r.valid || Object.keys(r.gates).length).slice(0, max);
  const title = item.kind === 'task' ? `**Task \`${item.id}\`** — last runs` : `**Feedback \`${item.id}\`** (${item.from ?? '?'}→${item.to ?? '?'}) — last runs`;
  if (!shown.length) return `${title}\n\nNo runs with figures yet.`;
  const esc = (s: string) => s.replace(/[|\\[\]*_`]/g, (c) => `\\${c}`);
  const rows: string[] = [];
  if (item.kind === 'task') {
    const style = primaryMetric(item.taskKind, shown.find((r) => r.valid?.[item.id])?.valid?.[item.id]);
    rows.push(`| run | status | ${style?.label ?? 'metric'} | change |`, '|---|---|--:|--:|');
    for (let i = 0; i < shown.length; i++) {
      const r = shown[i];
      const v = style ? r.valid?.[item.id]?.[style.name] : undefined;
      const prev = shown.slice(i + 1).find((p) => FINISHED.has(p.status) && style && p.valid?.[item.id]?.[style.name] !== undefined);
      const pv = style && prev ? prev.valid?.[item.id]?.[style.name] : undefined;
      const cell = v === undefined || !style ? '—' : formatMetric(v, style.percent);
      const change = v !== undefined && pv !== undefined && style ? formatDelta(v, pv, style.percent).slice(1, -1) : '';
      rows.push(`| [${esc(r.name)}](${link(r.id)}) | ${r.status} | ${cell} | ${change} |`);
    }
  } else {
    rows.push('| run | status | gate |', '|---|---|---|');
    for (const r of shown) {
      const g = r.gates[item.id];
      const cell = item.injection !== 'gumbel' ? `block ${item.injection ?? '?'} (fixed)` : g ? `block ${g.block} (${g.prob.toFixed(2)})` : '—';
      rows.push(`| [${esc(r.name)}](${link(r.id)}) | ${r.status} | ${cell} |`);
    }
  }
  return `${title}\n\n${rows.join('\n')}`;
}

function nonEmpty(m: TaskMetrics | undefined): TaskMetrics | undefined {
  return m && Object.keys(m).length ? m : undefined;
}

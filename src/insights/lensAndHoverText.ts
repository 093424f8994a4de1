/**
 * The words of the inline metric views: CodeLens titles above tasks and arrows, the file-level lens,
 * and the hover tables. Pure (no vscode), so every format is unit-tested.
 *
 * Figures: the latest run of the experiment that has metrics, compared with the previous *finished*
 * run before it. Metrics are the run's headline numbers (`shared/metrics/headline.ts`: validation
 * metrics at the best-validation checkpoint, best so far for a live run, and the test metrics of
 * that checkpoint), and every title says so. Numbers are written by the metric
 * catalogue (`shared/metrics/catalogue.ts`).
 */
import type { TaskKind } from '../shared/experimentTypes';
import { formatAgo } from '../shared/duration';
import { escapeMarkdown } from '../shared/escape';
import { formatMetric, formatMetricDelta, headlineMetric, metricInfo, NO_VALUE } from '../shared/metrics/catalogue';
import { FINISHED_STATUSES, type RunFigures } from '../shared/runFigures';
import type { ArrowItem, TaskItem } from './experimentOutline';

/**
 * Which runs the lenses show, from runs newest first: `newest` (the file lens: a run that just
 * started counts), `latest` with validation metrics (task lenses; a new run takes over after its
 * first epoch) and the finished run with metrics before it (`previous`), and the newest run that
 * reported gates (`gates`, arrow lenses).
 */
export function pickRuns(runs: readonly RunFigures[]): { newest?: RunFigures; latest?: RunFigures; previous?: RunFigures; gates?: RunFigures } {
  const i = runs.findIndex((r) => r.valid);
  const latest = i >= 0 ? runs[i] : undefined;
  const previous = i >= 0 ? runs.slice(i + 1).find((r) => FINISHED_STATUSES.has(r.status) && r.valid) : undefined;
  const gates = runs.find((r) => Object.keys(r.gates).length) ?? latest;
  return { newest: runs[0], latest, previous, gates };
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
  const style = headlineMetric(task.taskKind, m);
  if (!m || !style) {
    return { title: `${task.id} · no figures in the latest run`, tooltip: `Run ${latest.name} has no validation metrics for task '${task.id}' (added after it ran, or the run stopped before its first epoch).`, runId: latest.id };
  }
  const value = m[style.name];
  const before = previous?.valid?.[task.id]?.[style.name];
  const delta = before !== undefined && Number.isFinite(before) ? ` ${formatMetricDelta(style.name, value, before)}` : '';
  const live = latest.live && latest.status === 'running' ? ` · epoch ${latest.epoch ?? '?'}${latest.epochs ? `/${latest.epochs}` : ''}` : '';
  const others = Object.entries(m).filter(([k]) => k !== style.name).map(([k, v]) => `${metricInfo(k).label} ${formatMetric(k, v)}`).join(', ');
  const testValue = latest.test?.[task.id]?.[style.name];
  const test = testValue !== undefined && Number.isFinite(testValue) ? ` · test ${formatMetric(style.name, testValue)}` : '';
  const where = latest.where ? ` (${latest.where})` : '';
  const tooltip = [
    `Validation ${style.label} of '${task.id}' in run ${latest.name} (${latest.status}${latest.backend ? `, ${latest.backend}` : ''})${latest.where ? `, at the best-validation checkpoint: ${latest.where}` : ''}${style.lowerIsBetter ? ' — lower is better' : ''}.`,
    test ? `Test ${style.label} of the same checkpoint:${test.slice(7)}.` : '',
    others ? `Also: ${others}.` : '',
    previous && delta ? `Change against the previous finished run ${previous.name}.` : 'No earlier finished run to compare with.',
    'Click to open the run\'s charts.',
  ].filter(Boolean).join('\n');
  return { title: `${task.id} · ${style.label} ${formatMetric(style.name, value)}${delta}${where}${test}${live}`, tooltip, runId: latest.id };
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
  const when = latest.startedAt ? ` ${formatAgo(now - latest.startedAt)}` : '';
  const overall = latest.valid?._overall?.accuracy;
  const running = latest.live && latest.status === 'running';
  const parts = [`last run: ${latest.status}${running ? latest.epoch ? ` · epoch ${latest.epoch}${latest.epochs ? `/${latest.epochs}` : ''}` : '' : when}`];
  if (overall !== undefined) parts.push(`overall accuracy ${formatMetric('accuracy', overall)}`);
  if (latest.tag) parts.push(latest.tag);
  if (latest.backend) parts.push(latest.backend);
  return { title: parts.join(' · '), tooltip: `Run ${latest.name}. Click to open its charts.`, runId: latest.id };
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
  const rows: string[] = [];
  if (item.kind === 'task') {
    const style = headlineMetric(item.taskKind, shown.find((r) => r.valid?.[item.id])?.valid?.[item.id]);
    // Where each run's figure comes from (its checkpoint and split) and the test score of that
    // checkpoint, when the runs say.
    const withWhere = shown.some((r) => r.where);
    const withTest = !!style && shown.some((r) => r.test?.[item.id]?.[style.name] !== undefined);
    rows.push(`| run | status | ${withWhere ? 'figures | ' : ''}${style?.label ?? 'metric'} | change |${withTest ? ' test |' : ''}`,
      `|---|---|${withWhere ? '---|' : ''}--:|--:|${withTest ? '--:|' : ''}`);
    for (let i = 0; i < shown.length; i++) {
      const r = shown[i];
      const v = style ? r.valid?.[item.id]?.[style.name] : undefined;
      const prev = shown.slice(i + 1).find((p) => FINISHED_STATUSES.has(p.status) && style && p.valid?.[item.id]?.[style.name] !== undefined);
      const pv = style && prev ? prev.valid?.[item.id]?.[style.name] : undefined;
      const cell = v === undefined || !style ? NO_VALUE : formatMetric(style.name, v);
      const change = v !== undefined && pv !== undefined && style ? formatMetricDelta(style.name, v, pv).slice(1, -1) : '';
      const t = withTest && style ? r.test?.[item.id]?.[style.name] : undefined;
      rows.push(`| [${escapeMarkdown(r.name)}](${link(r.id)}) | ${r.status} | ${withWhere ? `${r.where ?? ''} | ` : ''}${cell} | ${change} |${withTest ? ` ${t === undefined ? NO_VALUE : formatMetric(style!.name, t)} |` : ''}`);
    }
  } else {
    rows.push('| run | status | gate |', '|---|---|---|');
    for (const r of shown) {
      const g = r.gates[item.id];
      const cell = item.injection !== 'gumbel' ? `block ${item.injection ?? '?'} (fixed)` : g ? `block ${g.block} (${g.prob.toFixed(2)})` : '—';
      rows.push(`| [${escapeMarkdown(r.name)}](${link(r.id)}) | ${r.status} | ${cell} |`);
    }
  }
  return `${title}\n\n${rows.join('\n')}`;
}

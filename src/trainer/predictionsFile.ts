/**
 * Builds and writes a run's per-example predictions file (`predictions/<split>.jsonl`, format in
 * `shared/predictions/format.ts`) from an evaluation that kept every pass's answers.
 *
 * Answers are turned into names and original units here, in the same arithmetic the metrics use
 * (regression: value * std + mean in doubles from the same float32), so metrics recomputed from
 * the file equal the run's. Probabilities are rounded to 4 decimals (they are shown, not scored).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  PREDICTIONS_FORMAT, PREDICTIONS_VERSION,
  type Answer, type ExamplePrediction, type GoldAnswer, type PredictionsFile, type PredictionsHeader,
} from '../shared/predictions/format';
import type { EncodedSplit, PreparedData } from '../data/types';
import { goldTags, type EvalResult, type SplitAnswers } from './evaluate';
import type { TaskKind } from '../shared/experimentTypes';
import { dict, plain } from '../shared/dict';

/** What the file needs to know about the model's tasks. */
export interface PredictedTaskInfo { id: string; kind: TaskKind }

const round4 = (p: number) => Math.round(p * 1e4) / 1e4;

/**
 * Answers of every pass for example `i` of a split, per task (names, original units). `length` is
 * the number of tokens to answer for (tagging): tokens the model never saw (cut by maxLength) are 'O'.
 */
export function answersOf(
  tasks: readonly PredictedTaskInfo[], data: Pick<PreparedData, 'labelNames' | 'targetScale'>, answers: SplitAnswers, i: number, length?: number,
): Record<string, Answer[]> {
  const out: Record<string, Answer[]> = dict();
  for (const t of tasks) {
    const a = answers[t.id];
    const names = data.labelNames[t.id] ?? [];
    const labels = a.labels[i];
    const probs = a.probs?.[i];
    if (t.kind === 'regression') {
      const s = data.targetScale[t.id] ?? { mean: 0, std: 1 };
      out[t.id] = labels.map((v) => ({ value: v[0] * s.std + s.mean }));
    } else if (t.kind === 'classification') {
      out[t.id] = labels.map((v, k) => ({ label: names[v[0]] ?? '', p: round4(probs![k][0]) }));
    } else if (t.kind === 'language-model') {
      // The predicted next word per token, its probability, and -ln p(the real next word) (unrounded:
      // the file's perplexity is recomputed from it and must equal the run's).
      const nll = a.nll?.[i];
      out[t.id] = labels.map((v, k) => ({
        tags: Array.from(v, (c) => names[c] ?? ''),
        p: Array.from(v, (_, j) => round4(probs![k][j])),
        ...(nll && nll[k].every((x) => !Number.isNaN(x)) ? { nll: Array.from(nll[k]) } : {}),
      }));
    } else {
      const n = length ?? labels[0].length;
      out[t.id] = labels.map((v, k) => ({
        tags: Array.from({ length: n }, (_, j) => (j < v.length ? names[v[j]] ?? 'O' : 'O')),
        p: Array.from({ length: Math.min(n, v.length) }, (_, j) => round4(probs![k][j])),
      }));
    }
  }
  return plain(out);
}

function goldOf(tasks: readonly PredictedTaskInfo[], data: Pick<PreparedData, 'labelNames' | 'targetScale'>, split: EncodedSplit, i: number): Record<string, GoldAnswer> {
  const out: Record<string, GoldAnswer> = dict();
  for (const t of tasks) {
    const names = data.labelNames[t.id] ?? [];
    if (t.kind === 'classification') {
      const raw = split.rawLabels[t.id] as (string | null)[] | undefined;
      const id = (split.labels[t.id] as { values: Int32Array }).values[i];
      out[t.id] = raw ? raw[i] ?? null : id >= 0 && id < names.length ? names[id] : null;
    } else if (t.kind === 'tagging') {
      out[t.id] = goldTags(split, t.id, names, i);
    } else if (t.kind === 'language-model') {
      // The next words as the model is scored on them: words out of the vocabulary are <unk>.
      out[t.id] = [...(split.labels[t.id] as { values: Int32Array[] }).values[i]].map((c) => names[c] ?? '<unk>');
    } else {
      const s = data.targetScale[t.id] ?? { mean: 0, std: 1 };
      const v = (split.labels[t.id] as { values: Float32Array }).values[i];
      out[t.id] = Number.isNaN(v) ? null : v * s.std + s.mean;
    }
  }
  return plain(out);
}

/** The predictions file of an evaluation run with `{ iterations: true }`. */
export function buildPredictions(
  r: EvalResult, tasks: readonly PredictedTaskInfo[], data: PreparedData, split: EncodedSplit,
  meta: { runId: string; checkpoint: PredictionsHeader['checkpoint']; iterations: number },
): PredictionsFile {
  if (!r.answers) throw new Error('buildPredictions needs an evaluation with { iterations: true }');
  if (r.split === 'train') throw new Error('predictions files are written for valid and test only');
  const header: PredictionsHeader = {
    format: PREDICTIONS_FORMAT, version: PREDICTIONS_VERSION, runId: meta.runId, split: r.split,
    checkpoint: meta.checkpoint, iterations: meta.iterations, input: data.kind,
    tasks: tasks.map((t) => ({ id: t.id, kind: t.kind, labels: [...(data.labelNames[t.id] ?? [])] })),
    gates: r.gates, examples: split.size,
  };
  const examples: ExamplePrediction[] = [];
  for (let i = 0; i < split.size; i++) {
    const gold = goldOf(tasks, data, split, i);
    const tagLen = tasks.find((t) => t.kind === 'tagging');
    examples.push({
      i,
      ...(split.words ? { tokens: split.words[i] } : {}),
      ...(split.rows ? { row: split.rows[i] } : {}),
      ...(split.lines ? { line: split.lines[i] } : {}),
      gold,
      pred: answersOf(tasks, data, r.answers, i, tagLen ? (gold[tagLen.id] as string[]).length : undefined),
    });
  }
  return { header, examples };
}

/** The file's text: the header line, then one line per example. */
export function predictionsText(file: PredictionsFile): string {
  const lines = [JSON.stringify(file.header)];
  for (const e of file.examples) lines.push(JSON.stringify(e));
  return lines.join('\n') + '\n';
}

/** Writes `file` to `<dir>/<name>` atomically (temporary file, then rename); returns the path and size. */
export function writePredictions(dir: string, name: string, file: PredictionsFile): { path: string; bytes: number } {
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  const tmp = `${target}.${process.pid}.tmp`;
  const text = predictionsText(file);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, target);
  return { path: target, bytes: Buffer.byteLength(text) };
}

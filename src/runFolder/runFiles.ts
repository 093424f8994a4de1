/**
 * One run on disk:
 *
 * ```
 * <runs dir>/<yyyyMMdd-HHmmss>-<name>[-tag]/
 *   config.json     the experiment as trained (defaults filled, overrides applied)
 *   meta.json       seed, versions, backend, hardware, how the run was asked for
 *   events.jsonl    every TrainerEvent, one JSON per line, written as it happens
 *   summary.json    RunSummary + status, written at the end (also when stopped or failed)
 *   checkpoints/    best/ and last/ (checkpointStore.ts)
 *   preprocessing.json  vocabulary, label maps, feature and target scaling (data/preprocessing.ts)
 *   predictions/    valid.jsonl, test.jsonl: every example's answers at every pass, best checkpoint
 *                   (trainer/predictionsFile.ts; `fmtl eval --checkpoint last` adds valid-last.jsonl, ...)
 *   report.html     (report.ts)
 * ```
 *
 * This folder (`src/runFolder`) is the one place that knows this layout: the trainer writes it
 * (`runFolderWriter.ts`), the host's run store, the charts panel and the CLI read it
 * (`runFolderReader.ts`). Node-side, no vscode, no tfjs.
 */
import * as path from 'node:path';
import type { BackendInfo, RunSummary, TrainerEvent } from '../shared/trainerProtocol';
import { isTrainerEvent } from '../shared/trainerProtocol';

/** File names inside a run folder . */
export const RUN_FILES = {
  config: 'config.json',
  meta: 'meta.json',
  events: 'events.jsonl',
  summary: 'summary.json',
  checkpoints: 'checkpoints',
  report: 'report.html',
  predictions: 'predictions',
  preprocessing: 'preprocessing.json',
  /** Held by the process training the run (pid, host); a resume waits for it to go. */
  lock: 'trainer.lock',
} as const;

/** Name of a predictions file inside `predictions/`: `test.jsonl` (best checkpoint), `test-last.jsonl`. */
export function predictionsFileName(split: 'valid' | 'test', checkpoint: 'best' | 'last' = 'best'): string {
  return checkpoint === 'best' ? `${split}.jsonl` : `${split}-${checkpoint}.jsonl`;
}

/** Path of a run's predictions file. */
export function predictionsPath(runDir: string, split: 'valid' | 'test', checkpoint: 'best' | 'last' = 'best'): string {
  return path.join(runDir, RUN_FILES.predictions, predictionsFileName(split, checkpoint));
}

/** What `meta.json` holds. */
export interface RunMeta {
  runId: string;
  /** Absolute path of the experiment file trained. */
  experimentPath: string;
  seed: number;
  /** ISO time the run folder was created. */
  startedAt: string;
  versions: { node: string; tfjs: string; extension: string };
  backend: BackendInfo;
  hardware: { os: string; cpus: number; cpuModel?: string; memoryBytes: number };
  /** sha256 of the experiment file's text as read (the trained config itself is config.json). */
  experimentSha256?: string;
  /** The data files read, with size and sha256, so a result can be tied to the exact data. */
  data?: { path: string; bytes: number; sha256: string }[];
  /** Each resumed session: when, from which checkpoint, on which backend and versions. */
  resumes?: { at: string; fromStep: number; checkpoint: 'last' | 'best' | 'none'; backend: unknown; versions: unknown; hardware: unknown }[];
  /** The request as given (variant, overrides, resume). */
  request: {
    variant?: string; tag?: string; epochs?: number; seed?: number; resume?: string; backend?: string;
    /** A sweep cell's values set at JSON paths of the experiment. */
    overrides?: { path: (string | number)[]; value: unknown }[];
    /** The sweep this run belongs to (`shared/sweep.ts`). */
    sweep?: { name: string; cellId: string; cellLabel: string; key: string };
  };
}

/** `summary.json`: the run summary plus when it was written and why it ended. */
export interface RunSummaryFile extends RunSummary {
  runId: string;
  finishedAt: string;
  /** For `failed`: the error message. */
  error?: string;
}

/** `2026-11-23T10:05:09` -> `20261123-100509` (local time, as people read folder names). */
export function timestampName(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A safe folder-name fragment: letters, digits, `.`, `_`, `-`; at most 60 characters. */
export function slug(s: string): string {
  const x = s.trim().replace(/[^\w.-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 60);
  return x || 'run';
}

/** Default parent of run folders: `<experiment dir>/.fmtl/runs`. */
export function defaultRunsDir(experimentPath: string): string {
  return path.join(path.dirname(path.resolve(experimentPath)), '.fmtl', 'runs');
}

/** `2026-11-23T10-00-00...` or `20261123-100000...` at the start of a run folder name. */
export function timeFromName(name: string): number | undefined {
  const m = /(\d{4})-?(\d{2})-?(\d{2})[T_-]?(\d{2})[-:]?(\d{2})[-:]?(\d{2})/.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(t) ? undefined : t;
}

/** One event as its `events.jsonl` line (with the newline). */
export function eventLine(e: TrainerEvent): string {
  return JSON.stringify(e) + '\n';
}

/** Parse `events.jsonl` text; skips blank, malformed and non-event lines (e.g. a line cut by a crash). */
export function parseEventLines(text: string): TrainerEvent[] {
  const out: TrainerEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e: unknown = JSON.parse(line);
      if (isTrainerEvent(e)) out.push(e);
    } catch {
      // A torn last line after a crash: ignore it.
    }
  }
  return out;
}

/**
 * A sweep on disk:
 *
 * ```
 * <sweep file's folder>/.fmtl/sweeps/<sweep name>/
 *   sweep.json         the sweep as expanded (cells, runs), the files it came from, when it started
 *   runs/<cell id>/    the cell's run folders (src/runFolder), one per seed: <time>-<name>-seed<N>
 *   table.md           mean ± std per cell and the paired comparison against the baseline
 *   table.json         the same numbers (shared/sweepTable.ts), read by the extension's sweep view
 * ```
 *
 * What is done is read from the run folders themselves (each one's meta.json names its sweep run
 * key, its summary.json says how it ended), never from a separate state file: a re-run, a restarted
 * coordinator and every queue worker see the same truth, and deleting a run folder reruns it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Sweep, SweepRun } from '../shared/sweep';
import type { SweepTable } from '../shared/sweepTable';
import { RUN_FILES, type RunMeta, type RunSummaryFile } from '../runFolder/runFiles';
import { readRunJson } from '../runFolder/runFolderReader';
import { writeJsonAtomic } from '../runFolder/runFolderWriter';

/** File names inside a sweep folder. */
export const SWEEP_FILES = { sweep: 'sweep.json', runs: 'runs', tableMd: 'table.md', tableJson: 'table.json' } as const;

/** `sweep.json`. */
export interface SweepFolderInfo {
  name: string;
  /** Absolute paths of the sweep file and its base experiment. */
  sweepPath: string;
  experimentPath: string;
  sweep: Sweep;
  /** ISO time the sweep was first started (kept across resumes). */
  startedAt: string;
}

/** Default sweep folder: `<sweep file dir>/.fmtl/sweeps/<name>`. */
export function defaultSweepDir(sweepPath: string, name: string): string {
  return path.join(path.dirname(path.resolve(sweepPath)), '.fmtl', 'sweeps', name.replace(/[^\w.-]+/g, '-'));
}

/** Parent of a cell's run folders. */
export function cellRunsDir(sweepDir: string, cellId: string): string {
  return path.join(sweepDir, SWEEP_FILES.runs, cellId);
}

/** Writes `sweep.json`, keeping the first `startedAt`. Refuses a folder that holds a different sweep's runs. */
export function writeSweepInfo(sweepDir: string, info: Omit<SweepFolderInfo, 'startedAt'>): SweepFolderInfo {
  fs.mkdirSync(sweepDir, { recursive: true });
  const old = readSweepInfo(sweepDir);
  const out: SweepFolderInfo = { ...info, startedAt: old?.startedAt ?? new Date().toISOString() };
  writeJsonAtomic(path.join(sweepDir, SWEEP_FILES.sweep), out);
  return out;
}

export function readSweepInfo(sweepDir: string): SweepFolderInfo | undefined {
  return readRunJson<SweepFolderInfo>(sweepDir, SWEEP_FILES.sweep);
}

/** How one of a run key's folders ended. */
export interface RunRecord {
  dir: string;
  key: string;
  seed: number;
  /** From summary.json; `incomplete` when there is none (the process died). */
  status: RunSummaryFile['status'] | 'incomplete';
  /** A last checkpoint to resume from. */
  checkpoint: boolean;
  startedAt: string;
}

/** What a sweep run needs next. */
export type RunState =
  | { kind: 'done'; record: RunRecord }
  | { kind: 'resume'; record: RunRecord }
  | { kind: 'fresh'; failed?: RunRecord };

const FINISHED = new Set(['completed', 'early-stopped']);

/** Every run folder of a cell, with how it ended. */
export function cellRecords(sweepDir: string, cellId: string): RunRecord[] {
  const dir = cellRunsDir(sweepDir, cellId);
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return []; }
  const out: RunRecord[] = [];
  for (const n of names.sort()) {
    const runDir = path.join(dir, n);
    const meta = readRunJson<RunMeta>(runDir, RUN_FILES.meta);
    const key = meta?.request.sweep?.key;
    if (!meta || !key) continue;
    const summary = readRunJson<RunSummaryFile>(runDir, RUN_FILES.summary);
    // checkpointStore.ts's layout (last/, or last.old/ if it died between two renames), read without tfjs.
    const last = path.join(runDir, RUN_FILES.checkpoints, 'last');
    // Resume takes last, else best (a kill during the first last save leaves only best).
    const best = path.join(path.dirname(last), 'best');
    const checkpoint = [last, `${last}.old`, best, `${best}.old`].some((d) => fs.existsSync(path.join(d, 'model.json')));
    out.push({ dir: runDir, key, seed: meta.seed, status: summary?.status ?? 'incomplete', checkpoint, startedAt: meta.startedAt });
  }
  return out;
}

/**
 * What a run needs: `done` if a folder finished it (completed or early-stopped); `resume` from the
 * newest folder with a last checkpoint that was stopped or died; else `fresh`.
 */
export function runState(records: RunRecord[], run: SweepRun): RunState {
  const mine = records.filter((r) => r.key === run.key);
  const done = mine.find((r) => FINISHED.has(r.status));
  if (done) return { kind: 'done', record: done };
  const resumable = [...mine].reverse().find((r) => r.checkpoint && (r.status === 'stopped' || r.status === 'incomplete'));
  if (resumable) return { kind: 'resume', record: resumable };
  const failed = [...mine].reverse().find((r) => r.status === 'failed');
  return { kind: 'fresh', ...(failed ? { failed } : {}) };
}

/** Writes `table.md` and `table.json`. */
export function writeTable(sweepDir: string, table: SweepTable, markdown: string): void {
  writeJsonAtomic(path.join(sweepDir, SWEEP_FILES.tableJson), table);
  const tmp = path.join(sweepDir, `${SWEEP_FILES.tableMd}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, markdown);
  fs.renameSync(tmp, path.join(sweepDir, SWEEP_FILES.tableMd));
}

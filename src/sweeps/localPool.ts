/**
 * Runs a sweep's runs on this machine: a pool of N trainer processes (`dist/trainer.js`, the same
 * process and IPC the extension trains with, through `runs/trainerProcess.ts`), one run each at a
 * time.
 *
 * Before each run the sweep folder is read (sweepFolder.ts): a finished run is skipped, a stopped
 * or killed one resumes from its last checkpoint, anything else starts fresh. A trainer process
 * that dies without finishing (killed, crashed) puts its run back in the queue, resumed from its
 * last checkpoint when it wrote one; a run that fails on its own (bad data, a diverging loss) is
 * reported, not retried. Abort `signal` (Ctrl-C) to stop: running trainers save their last
 * checkpoint and end `stopped`; the next call resumes them.
 *
 * No vscode import: the CLI and the extension share it.
 */
import type { Sweep, SweepCell, SweepRun } from '../shared/sweep';
import type { DataAccess, TrainerEvent, TrainRequestOptions } from '../shared/trainerProtocol';
import { TrainerProcess, type TrainerLaunch, type TrainerOutcome } from '../runs/trainerProcess';
import { RUN_FILES, type RunSummaryFile } from '../runFolder/runFiles';
import { readRunJson } from '../runFolder/runFolderReader';
import { cellRecords, cellRunsDir, runState } from './sweepFolder';

/** Where one run of the sweep stands. */
export interface PoolRunUpdate {
  key: string;
  cellId: string;
  seed: number;
  status: 'pending' | 'running' | 'done' | 'failed' | 'stopped';
  /** True when the run was already done before this call (not trained again). */
  skipped?: boolean;
  /** Epochs done / planned (while running). */
  epoch?: number;
  epochs?: number;
  runDir?: string;
  /** 1 for the first try; a trainer that died makes the next one 2, ... */
  attempt: number;
  /** Why it failed, or why it is being retried. */
  message?: string;
  /** Set when the run ends: wall time of the process, and the training loop's own time. */
  wallMs?: number;
  trainMs?: number;
}

export interface LocalPoolOptions {
  launch: TrainerLaunch;
  workers: number;
  sweep: Sweep;
  sweepName: string;
  sweepDir: string;
  experimentPath: string;
  backend?: TrainRequestOptions['backend'];
  /** Which data files the runs may read (the decision of whoever started the sweep). */
  dataAccess?: DataAccess;
  /** Tries per run when its trainer process dies (default 3). */
  maxAttempts?: number;
  onUpdate(u: PoolRunUpdate): void;
  /** A trainer's log line (stdout/stderr, run/log), prefixed by its run key. */
  onLog?(line: string): void;
  /** Every trainer event, with the run it belongs to (the extension draws live curves from them). */
  onEvent?(run: SweepRun, e: TrainerEvent): void;
  signal?: AbortSignal;
}

export interface PoolResult {
  /** Runs finished in this call or before it. */
  done: number;
  /** Runs already finished before this call. */
  skipped: number;
  failed: { key: string; message: string }[];
  /** True when the signal stopped the pool before every run finished. */
  stopped: boolean;
  /** Per run trained in this call: process wall time and the training loop's own time. */
  timings: { key: string; wallMs: number; trainMs: number }[];
}

/** What every run of a sweep shares. */
export interface RunContext {
  sweepName: string;
  sweepDir: string;
  experimentPath: string;
  epochs?: number;
  backend?: TrainRequestOptions['backend'];
  dataAccess?: DataAccess;
}

/** The train request of a run: fresh (the cell's overrides and variant at the run's seed) or resumed. */
export function runRequest(o: RunContext, cell: SweepCell, run: SweepRun, resumeFrom?: string): TrainRequestOptions {
  const base: TrainRequestOptions = {
    experimentPath: o.experimentPath,
    runsDir: cellRunsDir(o.sweepDir, cell.id),
    seed: run.seed,
    backend: o.backend,
    epochs: o.epochs,
    sweep: { name: o.sweepName, cellId: cell.id, cellLabel: cell.label, key: run.key },
    ...(o.dataAccess ? { dataAccess: o.dataAccess } : {}),
  };
  // The folder name says the cell and seed (`<time>-<name>-<cell>-seed<N>`), for the Runs view and
  // picks; a resumed run continues in its folder.
  if (resumeFrom) return { ...base, resume: resumeFrom };
  return { ...base, variant: cell.variant, overrides: cell.overrides, tag: `${cell.id}-seed${run.seed}` };
}

/** Runs every run of the sweep that is not done yet; resolves when all ended or the signal stopped them. */
export async function runLocalPool(o: LocalPoolOptions): Promise<PoolResult> {
  const maxAttempts = o.maxAttempts ?? 3;
  const result: PoolResult = { done: 0, skipped: 0, failed: [], stopped: false, timings: [] };
  const queue: { run: SweepRun; attempt: number }[] = [];
  for (const run of o.sweep.runs) {
    const st = runState(cellRecords(o.sweepDir, run.cellId), run);
    if (st.kind === 'done') {
      result.done++;
      result.skipped++;
      o.onUpdate({ key: run.key, cellId: run.cellId, seed: run.seed, status: 'done', skipped: true, attempt: 0, runDir: st.record.dir });
    } else {
      queue.push({ run, attempt: 1 });
      o.onUpdate({ key: run.key, cellId: run.cellId, seed: run.seed, status: 'pending', attempt: 1 });
    }
  }
  const active = new Set<TrainerProcess>();
  const onAbort = () => { for (const p of active) void p.stop(); };
  o.signal?.addEventListener('abort', onAbort);

  const worker = async (): Promise<void> => {
    for (;;) {
      if (o.signal?.aborted) return;
      const next = queue.shift();
      if (!next) return;
      const { run, attempt } = next;
      const st = runState(cellRecords(o.sweepDir, run.cellId), run);
      if (st.kind === 'done') { result.done++; o.onUpdate({ key: run.key, cellId: run.cellId, seed: run.seed, status: 'done', skipped: true, attempt, runDir: st.record.dir }); continue; }
      const cell = o.sweep.cells.find((c) => c.id === run.cellId)!;
      const request = runRequest({ ...o, epochs: o.sweep.epochs }, cell, run, st.kind === 'resume' ? st.record.dir : undefined);
      const upd: PoolRunUpdate = { key: run.key, cellId: run.cellId, seed: run.seed, status: 'running', attempt, ...(st.kind === 'resume' ? { message: `resuming ${st.record.dir}` } : {}) };
      o.onUpdate({ ...upd });
      const t0 = performance.now();
      const proc = new TrainerProcess(o.launch, request, {
        onEvent: (e) => {
          if (e.type === 'run/start') { upd.runDir = e.runDir; upd.epochs = e.config.training.epochs; upd.epoch = 0; o.onUpdate({ ...upd }); }
          else if (e.type === 'run/epoch') { upd.epoch = e.epoch; o.onUpdate({ ...upd }); }
          o.onEvent?.(run, e);
        },
        onLog: (line) => o.onLog?.(`[${run.key}] ${line}`),
      });
      active.add(proc);
      // A stop that arrived while this process was being forked.
      if (o.signal?.aborted) void proc.stop();
      const out: TrainerOutcome = await proc.finished;
      active.delete(proc);
      const wallMs = performance.now() - t0;
      if (out.kind === 'done') {
        const s = out.summary.status;
        if (s === 'completed' || s === 'early-stopped') {
          result.done++;
          result.timings.push({ key: run.key, wallMs, trainMs: out.summary.durationMs });
          o.onUpdate({ ...upd, status: 'done', wallMs, trainMs: out.summary.durationMs });
        } else if (s === 'stopped') {
          o.onUpdate({ ...upd, status: 'stopped', wallMs });
        } else {
          const message = failureOf(upd.runDir) ?? 'the run failed';
          result.failed.push({ key: run.key, message });
          o.onUpdate({ ...upd, status: 'failed', message, wallMs });
        }
      } else if (o.signal?.aborted) {
        o.onUpdate({ ...upd, status: 'stopped', message: out.message, wallMs });
      } else if (attempt < maxAttempts) {
        // The process died: the run goes back in the queue (resumed if it left a checkpoint).
        queue.unshift({ run, attempt: attempt + 1 });
        o.onUpdate({ ...upd, status: 'pending', attempt: attempt + 1, message: `${out.message}; retrying (try ${attempt + 1} of ${maxAttempts})` });
      } else {
        const message = `${out.message} (${maxAttempts} tries)`;
        result.failed.push({ key: run.key, message });
        o.onUpdate({ ...upd, status: 'failed', message, wallMs });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, o.workers) }, () => worker()));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  result.stopped = !!o.signal?.aborted && result.done + result.failed.length < o.sweep.runs.length;
  return result;
}

/** The error of a failed run, from its summary. */
function failureOf(runDir: string | undefined): string | undefined {
  return runDir ? readRunJson<RunSummaryFile>(runDir, RUN_FILES.summary)?.error : undefined;
}

/**
 * Reads run folders (layout and names in `runFiles.ts`): the cheap facts of a folder for listing
 * (summary, config, meta, the first and last event, whether a `last` checkpoint exists), the whole
 * event log, and the JSON files. Used by the host's run store and charts panel and by the CLI.
 * Nothing here throws on a missing or torn file: a reader gets `undefined` or what could be read.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Experiment } from '../shared/experimentTypes';
import type { RunViewStatus } from '../shared/runViewProtocol';
import type { RunSummary, TrainerEvent } from '../shared/trainerProtocol';
import { backendLabel } from '../shared/trainerProtocol';
import { foldResumes } from '../shared/resumeFold';
import { parseEventLines, predictionsPath, RUN_FILES, timeFromName, type RunSummaryFile } from './runFiles';
import { parsePredictions, type PredictionsFile } from '../shared/predictions/format';

/** What a run folder says about its run, read cheaply (no full event log). */
export interface RunFolderInfo {
  runDir: string;
  /** `runId` of meta.json or of the first event, else the folder name. */
  id: string;
  /** The folder name. */
  name: string;
  status: RunViewStatus;
  /** Absolute path of the experiment file it trained, when known. */
  experimentPath?: string;
  /** Experiment as trained (config.json, else the run/start event). */
  config?: Experiment;
  /** Wall-clock start (ms since epoch): meta.json, else the folder name's time, else the folder's. */
  startedAt?: number;
  summary?: RunSummary;
  /** tfjs backend name. */
  backend?: string;
  /** Ablation / user tag (from the run request or meta.json). */
  tag?: string;
  seed?: number;
  resumedFrom?: string;
  /** A checkpoint to resume from exists (`last`, else `best`), so the run can be resumed. */
  hasLastCheckpoint: boolean;
  /** Error message of a failed run. */
  error?: string;
}

/**
 * The run's events from `events.jsonl` (torn or foreign lines skipped) as one run: the events a
 * resume superseded are left out (`foldResumes`). `[]` when there is no log.
 */
export function readEvents(runDir: string): TrainerEvent[] {
  try { return foldResumes(parseEventLines(fs.readFileSync(path.join(runDir, RUN_FILES.events), 'utf8'))); } catch { return []; }
}

/** As `readEvents`, without blocking. */
export async function readEventsAsync(runDir: string): Promise<TrainerEvent[]> {
  try { return foldResumes(parseEventLines(await fsp.readFile(path.join(runDir, RUN_FILES.events), 'utf8'))); } catch { return []; }
}

/** True if `dir` holds an event log (a run folder, possibly one no store has seen). */
export function hasEventLog(dir: string): boolean {
  return fs.existsSync(path.join(dir, RUN_FILES.events));
}

/** A JSON file of a run folder (`RUN_FILES.config`, ...), or undefined when missing or unreadable. */
export function readRunJson<T>(runDir: string, file: string): T | undefined {
  try { return JSON.parse(fs.readFileSync(path.join(runDir, file), 'utf8')) as T; } catch { return undefined; }
}

/** The sub-folders of a runs folder (each possibly a run); `[]` when it does not exist. */
export async function listRunFolders(runsDir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join(runsDir, d.name));
  } catch {
    return [];
  }
}

/** Read what is cheap about one run folder; undefined if it does not look like a run. */
export async function readRunFolder(runDir: string, experimentPath?: string): Promise<RunFolderInfo | undefined> {
  const [summary, config, meta, first, st] = await Promise.all([
    readJson<RunSummaryFile>(path.join(runDir, RUN_FILES.summary)),
    readJson<Experiment>(path.join(runDir, RUN_FILES.config)),
    readJson<Record<string, unknown>>(path.join(runDir, RUN_FILES.meta)),
    readFirstEvent(path.join(runDir, RUN_FILES.events)),
    fsp.stat(runDir).catch(() => undefined),
  ]);
  if (!summary && !config && !first && !meta) return undefined;
  const start = first?.type === 'run/start' ? first : undefined;
  let status: RunViewStatus = summary?.status ?? 'unknown';
  if (!summary) {
    const last = await readLastEvent(path.join(runDir, RUN_FILES.events));
    if (last?.type === 'run/done') status = last.summary.status;
    else if (last?.type === 'run/error') status = 'failed';
  }
  const metaExp = typeof meta?.experimentPath === 'string' ? meta.experimentPath : undefined;
  let exp = metaExp ?? start?.experimentPath;
  const cfg = config ?? start?.config;
  if (!exp && experimentPath) exp = experimentPath;
  const startedAt = parseTime(meta?.startedAt) ?? parseTime(meta?.started) ?? timeFromName(path.basename(runDir)) ?? st?.birthtimeMs ?? st?.mtimeMs;
  const metaBackend = meta?.backend as { name?: unknown } | string | undefined;
  return {
    id: (typeof meta?.runId === 'string' ? meta.runId : undefined) ?? first?.runId ?? path.basename(runDir),
    name: path.basename(runDir),
    status,
    experimentPath: exp,
    runDir,
    config: cfg,
    startedAt,
    summary,
    backend: summary?.backend ?? (start ? backendLabel(start.backend) : undefined) ?? (typeof metaBackend === 'string' ? metaBackend : typeof metaBackend?.name === 'string' ? metaBackend.name : undefined),
    tag: typeof meta?.tag === 'string' ? meta.tag : typeof (meta?.request as { tag?: unknown } | undefined)?.tag === 'string' ? (meta!.request as { tag: string }).tag : undefined,
    seed: typeof meta?.seed === 'number' ? meta.seed : start?.seed,
    resumedFrom: start?.resumedFrom,
    hasLastCheckpoint: await hasLastCheckpoint(runDir),
    error: status === 'failed' ? (summary?.error ?? 'the run failed (see its events.jsonl)') : undefined,
  };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** First line of a possibly large file. */
async function readFirstEvent(file: string): Promise<TrainerEvent | undefined> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'r');
    const chunks: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const part = buf.subarray(0, bytesRead);
      const nl = part.indexOf(10);
      if (nl >= 0) { chunks.push(part.subarray(0, nl)); break; }
      chunks.push(part);
      pos += bytesRead;
      if (pos > 16 * 1024 * 1024) return undefined;
    }
    return parseEventLines(Buffer.concat(chunks).toString('utf8'))[0];
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}

/** Last complete line of a file (reads only its end). */
async function readLastEvent(file: string): Promise<TrainerEvent | undefined> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'r');
    const { size } = await fh.stat();
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter((l) => l.trim());
    for (let i = lines.length - 1; i >= 0; i--) {
      const e = parseEventLines(lines[i])[0];
      if (e) return e;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}

/**
 * A checkpoint to resume from: `last` (or another tool's `last*`), else `best` — a kill during the
 * first `last` save leaves only `best`, which resume falls back to (`trainer/checkpointStore.ts`).
 * `<kind>.old` counts too (a kill between the two renames of a checkpoint save).
 */
async function hasLastCheckpoint(runDir: string): Promise<boolean> {
  for (const dir of [runDir, path.join(runDir, 'checkpoints')]) {
    try {
      const names = await fsp.readdir(dir);
      if (names.some((n) => /^last(\b|[-_.]|$)/i.test(n))) return true;
      if (dir !== runDir && names.some((n) => n === 'best' || n === 'best.old')) return true;
    } catch {
      // no such folder
    }
  }
  return false;
}

function parseTime(x: unknown): number | undefined {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  if (typeof x === 'string') {
    const t = Date.parse(x);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}


/**
 * A run's predictions file of a split (`predictions/<split>.jsonl`, best checkpoint), parsed; or
 * why not, in words a user can act on.
 */
export async function readPredictions(runDir: string, split: 'valid' | 'test', checkpoint: 'best' | 'last' = 'best'): Promise<{ file?: PredictionsFile; error?: string; path: string }> {
  const file = predictionsPath(runDir, split, checkpoint);
  let text: string;
  try { text = await fsp.readFile(file, 'utf8'); } catch {
    const done = fs.existsSync(path.join(runDir, RUN_FILES.summary));
    return {
      path: file,
      error: done
        ? `No ${split} predictions in this run (${path.relative(runDir, file)} is missing: the run predates them, stopped before its first epoch, or has no ${split} split). \`fmtl eval ${runDir} --split ${split}\` writes them.`
        : `The ${split} predictions are written when the run finishes.`,
    };
  }
  try { return { path: file, file: parsePredictions(text, file) }; } catch (e) { return { path: file, error: (e as Error).message }; }
}

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
 *   report.html     (report.ts)
 * ```
 *
 * Events go straight to the file descriptor with `fs.writeSync` (no user-space buffer), so a crash
 * loses nothing already reported; epoch, checkpoint and final events are also `fsync`ed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Experiment } from '../shared/experimentTypes';
import type { BackendInfo, RunSummary, TrainerEvent } from '../shared/trainerProtocol';

/** File names inside a run folder (shared with readers: run store, `fmtl eval`). */
export const RUN_FILES = {
  config: 'config.json',
  meta: 'meta.json',
  events: 'events.jsonl',
  summary: 'summary.json',
  checkpoints: 'checkpoints',
  report: 'report.html',
} as const;

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

/** Write JSON atomically: to a temporary file in the same folder, then rename over the target. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(value, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Events worth an fsync: rare and important. */
const DURABLE = new Set<TrainerEvent['type']>(['run/start', 'run/epoch', 'run/checkpoint', 'run/done', 'run/error']);

/** An open run folder. */
export class RunFolder {
  private fd: number | undefined;

  private constructor(readonly id: string, readonly dir: string) {
    this.fd = fs.openSync(path.join(dir, RUN_FILES.events), 'a');
  }

  /**
   * Creates a new, unique run folder and writes `config.json` and `meta.json`. The folder name is
   * `<yyyyMMdd-HHmmss>-<name>[-tag]`, with `-2`, `-3`, ... appended if it already exists.
   */
  static create(opts: {
    runsDir: string;
    name: string;
    tag?: string;
    config: Experiment;
    meta: Omit<RunMeta, 'runId' | 'startedAt'>;
    now?: Date;
  }): RunFolder {
    const now = opts.now ?? new Date();
    fs.mkdirSync(opts.runsDir, { recursive: true });
    const base = `${timestampName(now)}-${slug(opts.name)}${opts.tag ? `-${slug(opts.tag)}` : ''}`;
    let id = base;
    for (let n = 2; ; n++) {
      try {
        fs.mkdirSync(path.join(opts.runsDir, id)); // not recursive: fails if taken, so two runs never share a folder
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        id = `${base}-${n}`;
      }
    }
    const dir = path.join(opts.runsDir, id);
    writeJsonAtomic(path.join(dir, RUN_FILES.config), opts.config);
    const meta: RunMeta = { runId: id, startedAt: now.toISOString(), ...opts.meta };
    writeJsonAtomic(path.join(dir, RUN_FILES.meta), meta);
    return new RunFolder(id, dir);
  }

  /** Opens an existing run folder to append (resume keeps its own folder; this is for tools). */
  static open(dir: string): RunFolder {
    return new RunFolder(path.basename(dir), dir);
  }

  get checkpointsDir(): string {
    return path.join(this.dir, RUN_FILES.checkpoints);
  }

  /** Append one event as a JSON line, immediately. */
  append(e: TrainerEvent): void {
    if (this.fd === undefined) return;
    fs.writeSync(this.fd, JSON.stringify(e) + '\n');
    if (DURABLE.has(e.type)) fs.fsyncSync(this.fd);
  }

  /** Write `summary.json` (atomically). */
  writeSummary(summary: RunSummaryFile): void {
    writeJsonAtomic(path.join(this.dir, RUN_FILES.summary), summary);
  }

  close(): void {
    if (this.fd === undefined) return;
    try { fs.fsyncSync(this.fd); } catch { /* already closed by the OS on exit */ }
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Reads `events.jsonl`, skipping a torn last line (a crash mid-write) instead of failing.
 */
export function readEvents(runDir: string): TrainerEvent[] {
  let text: string;
  try { text = fs.readFileSync(path.join(runDir, RUN_FILES.events), 'utf8'); } catch { return []; }
  const out: TrainerEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line) as TrainerEvent); } catch { /* torn line */ }
  }
  return out;
}

/** Reads a JSON file of a run folder, or undefined. */
export function readRunJson<T>(runDir: string, file: string): T | undefined {
  try { return JSON.parse(fs.readFileSync(path.join(runDir, file), 'utf8')) as T; } catch { return undefined; }
}

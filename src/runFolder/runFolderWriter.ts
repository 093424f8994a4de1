/**
 * Writes a run folder (layout and names in `runFiles.ts`). Events go straight to the file
 * descriptor with `fs.writeSync` (no user-space buffer), so a crash loses nothing already reported;
 * epoch, checkpoint and final events are also `fsync`ed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Experiment } from '../shared/experimentTypes';
import type { TrainerEvent } from '../shared/trainerProtocol';
import { eventLine, RUN_FILES, slug, timestampName, type RunMeta, type RunSummaryFile } from './runFiles';

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
    fs.writeSync(this.fd, eventLine(e));
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


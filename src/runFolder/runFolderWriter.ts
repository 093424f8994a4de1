/**
 * Writes a run folder (layout and names in `runFiles.ts`). Events go straight to the file
 * descriptor with `fs.writeSync` (no user-space buffer), so a crash loses nothing already reported;
 * epoch, checkpoint and final events are also `fsync`ed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Experiment } from '../shared/experimentTypes';
import type { TrainerEvent } from '../shared/trainerProtocol';
import { diskError, makeDirs, writeFileAtomic } from './diskWrites';
import { eventLine, RUN_FILES, slug, timestampName, type RunMeta, type RunSummaryFile } from './runFiles';

/**
 * Write JSON atomically: to a temporary file in the same folder, then rename over the target; on
 * failure the temporary is removed and the error names the file and the cause (`diskWrites.ts`).
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Events worth an fsync: rare and important. */
const DURABLE = new Set<TrainerEvent['type']>(['run/start', 'run/epoch', 'run/checkpoint', 'run/done', 'run/error']);

/** An open run folder. */
export class RunFolder {
  private fd: number | undefined;
  /** Set once appending failed (disk full, ...): later events are not written, the error was thrown once. */
  private broken = false;

  private constructor(readonly id: string, readonly dir: string) {
    const file = path.join(dir, RUN_FILES.events);
    try {
      this.fd = fs.openSync(file, 'a');
    } catch (e) {
      throw diskError('write', file, e);
    }
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
    makeDirs(opts.runsDir);
    const base = `${timestampName(now)}-${slug(opts.name)}${opts.tag ? `-${slug(opts.tag)}` : ''}`;
    let id = base;
    for (let n = 2; ; n++) {
      try {
        fs.mkdirSync(path.join(opts.runsDir, id)); // not recursive: fails if taken, so two runs never share a folder
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw diskError('create folder', path.join(opts.runsDir, id), e);
        id = `${base}-${n}`;
      }
    }
    const dir = path.join(opts.runsDir, id);
    try {
      writeJsonAtomic(path.join(dir, RUN_FILES.config), opts.config);
      const meta: RunMeta = { runId: id, startedAt: now.toISOString(), ...opts.meta };
      writeJsonAtomic(path.join(dir, RUN_FILES.meta), meta);
      return new RunFolder(id, dir);
    } catch (e) {
      // A run folder that cannot hold its config is no run: leave nothing behind.
      try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* reported below */ }
      throw e;
    }
  }

  /** Opens an existing run folder to append (resume keeps its own folder; this is for tools). */
  static open(dir: string): RunFolder {
    return new RunFolder(path.basename(dir), dir);
  }

  get checkpointsDir(): string {
    return path.join(this.dir, RUN_FILES.checkpoints);
  }

  /**
   * Append one event as a JSON line, immediately. A failed write (disk full) throws a `DiskError`
   * once; the file keeps only whole lines up to there and later events are not written.
   */
  append(e: TrainerEvent): void {
    if (this.fd === undefined || this.broken) return;
    let size = -1;
    try {
      size = fs.fstatSync(this.fd).size;
      fs.writeSync(this.fd, eventLine(e));
      if (DURABLE.has(e.type)) fs.fsyncSync(this.fd);
    } catch (err) {
      this.broken = true;
      // Cut a partly written line so the file still parses line by line.
      if (size >= 0) try { fs.ftruncateSync(this.fd, size); } catch { /* nothing more to do */ }
      throw diskError('write', path.join(this.dir, RUN_FILES.events), err);
    }
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


/**
 * Writes a run folder (layout and names in `runFiles.ts`). Events go straight to the file
 * descriptor with `fs.writeSync` (no user-space buffer), so a crash loses nothing already reported;
 * epoch, checkpoint and final events are also `fsync`ed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Experiment } from '../shared/experimentTypes';
import type { TrainerEvent } from '../shared/trainerProtocol';
import { DiskError, diskError, makeDirs, writeFileAtomic } from './diskWrites';
import { faultPause, faultPauseDue } from './faultPause';
import { eventLine, parseEventLines, RUN_FILES, slug, timestampName, type RunMeta, type RunSummaryFile } from './runFiles';

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

  /** Set when this folder holds the run's lock (removed again on close). */
  private locked = false;
  private touched = Date.now();

  private constructor(readonly id: string, readonly dir: string, lock = false) {
    if (lock) { takeLock(dir); this.locked = true; }
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
      return new RunFolder(id, dir, true);
    } catch (e) {
      // A run folder that cannot hold its config is no run: leave nothing behind.
      try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* reported below */ }
      throw e;
    }
  }

  /** Opens an existing run folder to append (for tools; resume uses `reopen`). */
  static open(dir: string): RunFolder {
    return new RunFolder(path.basename(dir), dir);
  }

  /**
   * Reopens a run folder to continue its run (resume): a torn last line of `events.jsonl` (a kill
   * mid-write) is cut so the next event starts on its own line, temporary files of interrupted
   * atomic writes (`*.<pid>.tmp`) are removed, and `summary.json` is removed (the run is running
   * again; the end of the resumed session writes it anew). `*.tmp-<pid>` (the report's) too. Returns the folder, the largest `t` of
   * the events so far (the resumed session's times continue from it) and what was cleaned.
   */
  static reopen(dir: string, id = path.basename(dir)): { folder: RunFolder; lastT: number; cleaned: string[] } {
    const file = path.join(dir, RUN_FILES.events);
    const cleaned: string[] = [];
    let lastT = 0;
    const stale = lockHolder(dir);
    if (stale?.alive) throw new DiskError(`${dir} is being trained by process ${stale.pid}${stale.host !== os.hostname() ? ` on ${stale.host}` : ''} (${RUN_FILES.lock}); stop it first`, dir, undefined);
    takeLock(dir);
    if (stale) cleaned.push(`took over ${RUN_FILES.lock} of process ${stale.pid}${stale.host !== os.hostname() ? ` on ${stale.host}` : ''}, which is gone`);
    try {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      const keep = text.endsWith('\n') || !text ? text.length : text.lastIndexOf('\n') + 1;
      if (keep < text.length) {
        fs.truncateSync(file, Buffer.byteLength(text.slice(0, keep), 'utf8'));
        cleaned.push(`cut a torn last line of ${RUN_FILES.events} (${Buffer.byteLength(text.slice(keep), 'utf8')} bytes)`);
      }
      for (const e of parseEventLines(text.slice(0, keep))) if (Number.isFinite(e.t)) lastT = Math.max(lastT, e.t);
      for (const n of fs.readdirSync(dir)) {
        if (/\.\d+\.tmp$|\.tmp-\d+$/.test(n)) { fs.rmSync(path.join(dir, n), { force: true, recursive: true }); cleaned.push(`removed ${n}`); }
      }
      fs.rmSync(path.join(dir, RUN_FILES.summary), { force: true });
    } catch (e) {
      throw diskError('reopen the run folder', dir, e);
    }
    const folder = new RunFolder(id, dir);
    folder.locked = true;
    return { folder, lastT, cleaned };
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
    // The lock's time says the holder is alive (to another machine sharing the folder).
    if (this.locked && Date.now() - this.touched > 10_000) {
      this.touched = Date.now();
      try { const t = new Date(); fs.utimesSync(path.join(this.dir, RUN_FILES.lock), t, t); } catch { /* best effort */ }
    }
    let size = -1;
    try {
      size = fs.fstatSync(this.fd).size;
      const line = eventLine(e);
      if (faultPauseDue('event-line')) { fs.writeSync(this.fd, line.slice(0, line.length >> 1)); faultPause('event-line'); fs.writeSync(this.fd, line.slice(line.length >> 1)); }
      else fs.writeSync(this.fd, line);
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
    if (this.locked) { this.locked = false; try { fs.rmSync(path.join(this.dir, RUN_FILES.lock), { force: true }); } catch { /* a stale lock is taken over */ } }
    if (this.fd === undefined) return;
    try { fs.fsyncSync(this.fd); } catch { /* already closed by the OS on exit */ }
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Who holds a run folder's lock, if anyone: `alive` is false when the holder is a process of this
 * machine that is gone (SIGKILL, crash) or when the lock is unreadable. A holder on another machine
 * (a shared folder) counts as alive while its lock file was touched in the last `staleMs`.
 */
export function lockHolder(dir: string, staleMs = 60_000): { pid: number; host: string; alive: boolean } | undefined {
  const file = path.join(dir, RUN_FILES.lock);
  let text: string;
  let mtime: number;
  try { text = fs.readFileSync(file, 'utf8'); mtime = fs.statSync(file).mtimeMs; } catch { return undefined; }
  let lock: { pid?: unknown; host?: unknown };
  try { lock = JSON.parse(text) as typeof lock; } catch { return { pid: 0, host: '?', alive: false }; }
  const pid = typeof lock.pid === 'number' ? lock.pid : 0;
  const host = typeof lock.host === 'string' ? lock.host : '?';
  if (pid === process.pid && host === os.hostname()) return { pid, host, alive: false };
  if (host !== os.hostname()) return { pid, host, alive: Date.now() - mtime < staleMs };
  try { process.kill(pid, 0); return { pid, host, alive: true }; } catch (e) {
    return { pid, host, alive: (e as NodeJS.ErrnoException).code === 'EPERM' };
  }
}

/** Waits (polling) until no live process holds the run folder's lock, at most `timeoutMs`. */
export async function waitForRunLock(dir: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (lockHolder(dir)?.alive && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}

function takeLock(dir: string): void {
  const file = path.join(dir, RUN_FILES.lock);
  try {
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }) + '\n');
  } catch (e) {
    throw diskError('write', file, e);
  }
}


/**
 * `fmtl sweep <file>`: load and check the sweep file, write `sweep.json` in the sweep folder, run
 * what is not done on a local pool of trainer processes (or, with `--queue`, enqueue it for
 * `fmtl worker`s and follow it) with a live progress line (runs done, running, ETA), then write and
 * print the table. Re-running the same command resumes. `fmtl worker`: the queue's other end.
 *
 * The argument table lives in cli.ts; this file gets parsed options.
 */
import * as path from 'node:path';
import type { SweepRun } from '../shared/sweep';
import type { DataAccess, TrainRequestOptions } from '../shared/trainerProtocol';
import { formatDuration } from '../shared/duration';
import { runLocalPool, type PoolRunUpdate } from './localPool';
import { coordinateSweep, displayUrl, runQueueWorker } from './sweepQueue';
import { defaultSweepDir, writeSweepInfo } from './sweepFolder';
import { formatSweepIssues, loadSweepFile, sweepName, sweepOutsideReads } from './sweepFile';
import { writeSweepTable } from './sweepResults';

/** An output stream (stdout / stderr, or a test's buffer). */
export interface SweepIo {
  out: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  err: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  cwd: string;
}

export interface SweepCommandOptions {
  file: string;
  workers: number;
  /** Sweep folder (default `.fmtl/sweeps/<name>` beside the sweep file). */
  out?: string;
  backend?: TrainRequestOptions['backend'];
  /** Path of `dist/trainer.js`. */
  trainerPath: string;
  /** `redis://host:port`: enqueue on BullMQ for `fmtl worker`s instead of training here. */
  queue?: string;
  /** Which data files the runs may read; every run (local or on a queue worker) carries it. */
  dataAccess?: DataAccess;
}

export interface WorkerCommandOptions {
  queue: string;
  workers: number;
  stalledMs?: number;
  trainerPath: string;
}

/** `fmtl worker --queue URL`: trains sweep jobs from the queue until Ctrl-C. */
export async function runWorkerCommand(o: WorkerCommandOptions, io: SweepIo, signal?: AbortSignal): Promise<number> {
  const stamp = () => new Date().toISOString().slice(11, 19);
  await runQueueWorker({
    url: o.queue,
    concurrency: o.workers,
    stalledMs: o.stalledMs,
    launch: { trainerPath: o.trainerPath },
    onLog: (line) => { io.err.write(`${stamp()} ${line}\n`); },
    signal,
  });
  return signal?.aborted ? 130 : 0;
}

/** A user-facing failure of the command (printed as one message, exit 1). */
export class SweepError extends Error {}

/** Loads the sweep file or throws a SweepError listing every located issue. */
export function requireSweep(file: string, cwd: string): ReturnType<typeof loadSweepFile> & { sweep: NonNullable<ReturnType<typeof loadSweepFile>['sweep']> } {
  const loaded = loadSweepFile(file);
  if (!loaded.sweep) {
    const lines = formatSweepIssues(loaded, cwd);
    throw new SweepError(`the sweep file has errors:\n${lines.join('\n')}`);
  }
  return loaded as ReturnType<typeof loadSweepFile> & { sweep: NonNullable<ReturnType<typeof loadSweepFile>['sweep']> };
}

/** Runs the command; resolves to the exit code (0 all done, 1 some failed, 130 stopped). */
export async function runSweepCommand(o: SweepCommandOptions, io: SweepIo, signal?: AbortSignal): Promise<number> {
  const file = path.resolve(io.cwd, o.file);
  const loaded = requireSweep(file, io.cwd);
  const sweep = loaded.sweep;
  const outside = sweepOutsideReads(loaded, o.dataAccess);
  if (outside.length) {
    throw new SweepError(outside.map((r) => `${r.jsonPath}: cell${r.cells.length === 1 ? '' : 's'} ${r.cells.join('; ')} read${r.cells.length === 1 ? 's' : ''} ${r.file}, outside the experiment's folder, the current directory and the shipped samples' data; pass --allow-outside to read it`).join('\n'));
  }
  const name = sweepName(file, sweep);
  const sweepDir = o.out ? path.resolve(io.cwd, o.out) : defaultSweepDir(file, name);
  writeSweepInfo(sweepDir, { name, sweepPath: file, experimentPath: loaded.experimentPath!, sweep });
  const where = o.queue ? `the queue ${displayUrl(o.queue)} (fmtl worker --queue ${displayUrl(o.queue)} trains them)` : `${o.workers} local worker${o.workers === 1 ? '' : 's'}`;
  io.err.write(`sweep ${name}: ${sweep.cells.length} cell${sweep.cells.length === 1 ? '' : 's'} x ${sweep.seeds.length} seed${sweep.seeds.length === 1 ? '' : 's'} = ${sweep.runs.length} runs on ${where}\n`);
  io.err.write(`folder: ${display(sweepDir, io.cwd)}\n`);

  const bar = new SweepProgress(io.err, sweep.runs, o.workers);
  const t0 = performance.now();
  const result = o.queue ? await coordinateSweep({
    url: o.queue,
    sweep, sweepName: name, sweepDir,
    experimentPath: loaded.experimentPath!,
    backend: o.backend,
    dataAccess: o.dataAccess,
    onUpdate: (u) => bar.update(u),
    signal,
  }).then((r) => ({ ...r, stopped: r.detached })) : await runLocalPool({
    launch: { trainerPath: o.trainerPath },
    workers: o.workers,
    sweep, sweepName: name, sweepDir,
    experimentPath: loaded.experimentPath!,
    backend: o.backend,
    dataAccess: o.dataAccess,
    onUpdate: (u) => bar.update(u),
    onLog: (line) => { if (process.env.FMTL_DEBUG === '1') bar.log(line); },
    signal,
  });
  bar.close();
  const wall = performance.now() - t0;
  const { markdown } = writeSweepTable(sweepDir, name, sweep);
  io.out.write('\n' + markdown);
  const trained = result.timings.length;
  if (trained) {
    const over = result.timings.map((t) => t.wallMs - t.trainMs);
    const mean = over.reduce((a, b) => a + b, 0) / over.length;
    io.err.write(`\n${trained} run${trained === 1 ? '' : 's'} trained in ${formatDuration(wall)} on ${o.queue ? 'the queue\'s workers' : `${o.workers} worker${o.workers === 1 ? '' : 's'}`}; overhead per run beyond its training loop (process, backend, data, report): mean ${(mean / 1000).toFixed(2)} s, max ${(Math.max(...over) / 1000).toFixed(2)} s\n`);
  }
  if (result.skipped) io.err.write(`${result.skipped} run${result.skipped === 1 ? ' was' : 's were'} already done (not trained again)\n`);
  for (const f of result.failed) io.err.write(`failed: ${f.key}: ${f.message}\n`);
  io.err.write(`table: ${display(path.join(sweepDir, 'table.md'))} (and table.json)\n`);
  if (result.stopped && o.queue) {
    io.err.write('stopped following; the jobs stay queued and the workers keep training them. Run the same command again to follow and write the final table\n');
    return 130;
  }
  if (result.stopped) {
    io.err.write('stopped; run the same command again to resume (finished runs are kept, stopped ones resume from their last checkpoint)\n');
    return 130;
  }
  return result.failed.length ? 1 : 0;

  function display(p: string, cwd = io.cwd): string {
    const rel = path.relative(cwd, p);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  }
}

/**
 * The progress of a sweep in a terminal: one live line on a TTY (`[####....] 3/8 runs  2 running
 * ETA 1:20`), else a line per run that ends.
 */
export class SweepProgress {
  private readonly state = new Map<string, PoolRunUpdate>();
  private readonly started = performance.now();
  private readonly walls: number[] = [];
  private shown = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly out: SweepIo['err'], runs: SweepRun[], private readonly workers: number, private readonly tty = !!out.isTTY) {
    for (const r of runs) this.state.set(r.key, { key: r.key, cellId: r.cellId, seed: r.seed, status: 'pending', attempt: 1 });
    if (tty) { this.timer = setInterval(() => this.draw(), 1000); this.timer.unref(); }
  }

  update(u: PoolRunUpdate): void {
    const prev = this.state.get(u.key);
    this.state.set(u.key, u);
    if (u.status === 'done' && !u.skipped && u.wallMs !== undefined) this.walls.push(u.wallMs);
    const ended = u.status !== 'running' && u.status !== 'pending' && prev?.status !== u.status;
    const retry = u.status === 'pending' && u.message;
    if (!this.tty) {
      if (ended || retry) this.line(`${this.counts()}  ${u.key} ${u.skipped ? 'already done' : u.status}${u.wallMs !== undefined ? ` in ${formatDuration(u.wallMs)}` : ''}${u.message ? `: ${u.message}` : ''}`);
      return;
    }
    if (retry || u.status === 'failed') this.log(`${u.key}: ${u.message}`);
    this.draw();
  }

  log(line: string): void {
    if (this.tty && this.shown) { this.out.write('\r\x1b[2K'); this.shown = false; }
    this.out.write(line + '\n');
    if (this.tty) this.draw();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) { this.draw(); this.out.write('\n'); this.shown = false; }
  }

  private line(s: string): void {
    this.out.write(s + '\n');
  }

  private counts(): string {
    const all = [...this.state.values()];
    const done = all.filter((u) => u.status === 'done').length;
    return `[${done}/${all.length}]`;
  }

  /** Remaining time: runs left (running ones by their epoch fraction) x mean run time / workers. */
  eta(): number | undefined {
    if (!this.walls.length) return undefined;
    let left = 0;
    for (const u of this.state.values()) {
      if (u.status === 'pending') left += 1;
      else if (u.status === 'running') left += u.epochs ? 1 - (u.epoch ?? 0) / u.epochs : 1;
    }
    const mean = this.walls.reduce((a, b) => a + b, 0) / this.walls.length;
    return (left * mean) / Math.max(1, this.workers);
  }

  private draw(): void {
    const all = [...this.state.values()];
    const done = all.filter((u) => u.status === 'done').length;
    const failed = all.filter((u) => u.status === 'failed').length;
    const running = all.filter((u) => u.status === 'running');
    const width = 20;
    const fill = Math.round((width * done) / Math.max(1, all.length));
    const eta = this.eta();
    const now = running.map((u) => `${u.key}${u.epochs ? ` ${u.epoch ?? 0}/${u.epochs}` : ''}`).join(', ');
    const text = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${all.length} runs${failed ? `, ${failed} failed` : ''}  ${formatDuration(performance.now() - this.started)}  ETA ${eta === undefined ? '–' : formatDuration(eta)}${now ? `  ${now}` : ''}`;
    const cols = Math.max(40, this.out.columns ?? 100);
    this.out.write('\r\x1b[2K' + text.slice(0, cols - 1));
    this.shown = true;
  }
}

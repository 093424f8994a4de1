/**
 * A sweep past one machine, on BullMQ (Redis): the coordinator (`fmtl sweep <file> --queue URL`)
 * enqueues one job per run that is not done; workers (`fmtl worker --queue URL`, any number, on any
 * box) take jobs, train them in a trainer process, stream their progress back through the job, and
 * write the run folder into the **shared sweep folder**.
 *
 * Why a shared folder rather than shipping the finished run folder back through Redis: a worker
 * that dies mid-run leaves its last checkpoint where the next worker finds it, so the job resumes
 * instead of restarting (a SIGKILL costs at most the time since that checkpoint); checkpoints and
 * predictions stay out of Redis (SNIPS runs are megabytes); and the coordinator, the extension and a
 * re-run all read results straight from the folders, exactly as for a local sweep. The price: every
 * box must see the sweep folder, the experiment and its data at the same absolute path (an NFS or
 * SMB mount); a worker that cannot checks first and says which path is missing.
 *
 * What is done lives on disk (sweepFolder.ts), what is queued in Redis: a job's id is its sweep
 * folder and run key, so a restarted coordinator re-adds nothing that is queued, running or done.
 * A worker's death: BullMQ's lock on the job expires (`stalledMs`), another worker's stalled check
 * puts it back in the queue, and whoever takes it resumes from the folder's last checkpoint.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Sweep, SweepCell, SweepRun } from '../shared/sweep';
import type { DataAccess, TrainRequestOptions } from '../shared/trainerProtocol';
import { TrainerProcess, type TrainerLaunch } from '../runs/trainerProcess';
import { runRequest, type PoolRunUpdate } from './localPool';
import { cellRecords, runState } from './sweepFolder';

/** One queue for every sweep: workers serve whichever sweep has work. */
export const QUEUE_NAME = 'fmtl-sweep';

/** A dead worker's job goes back to the queue after this long without its lock being renewed. */
export const DEFAULT_STALLED_MS = 30_000;

/** What a job carries: enough for any worker to build the train request from the shared folder. */
export interface SweepJobData {
  sweepName: string;
  sweepDir: string;
  experimentPath: string;
  run: SweepRun;
  cell: SweepCell;
  epochs?: number;
  backend?: TrainRequestOptions['backend'];
  /** The coordinator's decision on data outside the experiment's folder (`fmtl sweep --allow-outside`). */
  dataAccess?: DataAccess;
}

/** What a job streams back (job progress) while it trains. */
export interface SweepJobProgress {
  worker: string;
  runDir?: string;
  epoch?: number;
  epochs?: number;
  resumedFrom?: string;
}

/** What a job returns. */
export interface SweepJobResult {
  worker: string;
  runDir: string;
  status: string;
  /** True when the run was already done on disk (nothing trained). */
  alreadyDone?: boolean;
  wallMs?: number;
  trainMs?: number;
}

/** `redis://host:port[/db]` -> BullMQ connection options; refuses anything else with the reason. */
export function connectionOf(url: string): { url: string; maxRetriesPerRequest: null } {
  let u: URL;
  try { u = new URL(url); } catch { throw new Error(`--queue must be a redis:// URL like redis://127.0.0.1:6379 (got '${url}')`); }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--queue must be a redis:// or rediss:// URL (got '${url}')`);
  // Workers block on the queue; BullMQ needs commands to wait for a reconnect rather than fail.
  return { url, maxRetriesPerRequest: null };
}

/** How long to wait for Redis at start before saying it cannot be reached. */
const CONNECT_MS = 10_000;

/** Resolves once `what` is connected; rejects with the URL and Redis's last error after {@link CONNECT_MS}. */
async function ready(what: { waitUntilReady(): Promise<unknown>; on(ev: 'error', f: (e: Error) => void): unknown }, url: string): Promise<void> {
  let last = '';
  what.on('error', (e: Error) => { last = e.message; });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      what.waitUntilReady(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`cannot reach Redis at ${displayUrl(url)} within ${CONNECT_MS / 1000} s${last ? ` (${last})` : ''}; is redis-server running there and reachable from this box?`)), CONNECT_MS); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL as printed: any password replaced by `***`. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** The job id of a run: the sweep folder (hashed: ids must not hold ':') and the run key. */
export function jobId(sweepDir: string, run: SweepRun): string {
  const h = createHash('sha256').update(sweepDir).digest('hex').slice(0, 12);
  return `${h}.${run.key.replace(/[^\w.-]+/g, '.')}`;
}

/** Who is working: `host:pid`. */
export function workerName(): string {
  return `${os.hostname()}:${process.pid}`;
}

export interface CoordinatorOptions {
  url: string;
  sweep: Sweep;
  sweepName: string;
  sweepDir: string;
  experimentPath: string;
  backend?: TrainRequestOptions['backend'];
  dataAccess?: DataAccess;
  onUpdate(u: PoolRunUpdate & { worker?: string }): void;
  /** Abort to stop following (the jobs stay queued and keep running on the workers). */
  signal?: AbortSignal;
  /** How often the coordinator reads job states (ms). */
  pollMs?: number;
}

export interface CoordinatorResult {
  done: number;
  skipped: number;
  failed: { key: string; message: string }[];
  /** The signal stopped the coordinator before the sweep ended. */
  detached: boolean;
  timings: { key: string; wallMs: number; trainMs: number }[];
}

/**
 * Enqueues the sweep's runs that are not done and follows them until every run is done or failed
 * for good. Re-adding is idempotent (job ids), a failed job from an earlier attempt is retried, and
 * a completed job whose folder is gone is queued again.
 */
export async function coordinateSweep(o: CoordinatorOptions): Promise<CoordinatorResult> {
  const connection = connectionOf(o.url);
  const queue = new Queue<SweepJobData, SweepJobResult>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const result: CoordinatorResult = { done: 0, skipped: 0, failed: [], detached: false, timings: [] };
  const byId = new Map<string, SweepRun>();
  const status = new Map<string, PoolRunUpdate & { worker?: string }>();
  const set = (u: PoolRunUpdate & { worker?: string }) => { status.set(u.key, u); o.onUpdate(u); };
  try {
    await ready(queue, o.url);
    await ready(events, o.url);
    events.on('progress', ({ jobId: id, data }) => {
      const run = byId.get(id);
      const prev = run && status.get(run.key);
      if (!run || !prev || prev.status === 'done' || prev.status === 'failed') return;
      const p = data as unknown as SweepJobProgress;
      set({ ...prev, status: 'running', worker: p.worker, runDir: p.runDir ?? prev.runDir, epoch: p.epoch, epochs: p.epochs, ...(p.resumedFrom ? { message: `resuming ${p.resumedFrom} on ${p.worker}` } : {}) });
    });

    const pending: SweepRun[] = [];
    for (const run of o.sweep.runs) {
      const st = runState(cellRecords(o.sweepDir, run.cellId), run);
      if (st.kind === 'done') {
        result.done++; result.skipped++;
        set({ key: run.key, cellId: run.cellId, seed: run.seed, status: 'done', skipped: true, attempt: 0, runDir: st.record.dir });
        continue;
      }
      const id = jobId(o.sweepDir, run);
      byId.set(id, run);
      pending.push(run);
      const cell = o.sweep.cells.find((c) => c.id === run.cellId)!;
      const data: SweepJobData = { sweepName: o.sweepName, sweepDir: o.sweepDir, experimentPath: o.experimentPath, run, cell, epochs: o.sweep.epochs, backend: o.backend, dataAccess: o.dataAccess };
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : undefined;
      if (job && state === 'failed') await job.retry('failed');
      else if (job && state === 'completed') { await job.remove(); await addJob(queue, id, data); }
      else if (!job) await addJob(queue, id, data);
      set({ key: run.key, cellId: run.cellId, seed: run.seed, status: state === 'active' ? 'running' : 'pending', attempt: 1 });
    }

    // Follow: job states from Redis, results from the shared folder.
    const open = new Set(pending.map((r) => r.key));
    while (open.size && !o.signal?.aborted) {
      for (const run of pending) {
        if (!open.has(run.key)) continue;
        const job = await queue.getJob(jobId(o.sweepDir, run));
        const state = job ? await job.getState() : 'unknown';
        const prev = status.get(run.key)!;
        if (state === 'completed') {
          // The job fetched a moment before it completed has no return value yet: read it again.
          const r = (job!.returnvalue ?? (await queue.getJob(jobId(o.sweepDir, run)))?.returnvalue) as SweepJobResult | null;
          const st = runState(cellRecords(o.sweepDir, run.cellId), run);
          open.delete(run.key);
          result.done++;
          if (r && r.wallMs !== undefined && r.trainMs !== undefined && !r.alreadyDone) result.timings.push({ key: run.key, wallMs: r.wallMs, trainMs: r.trainMs });
          set({ ...prev, status: 'done', runDir: st.kind === 'done' ? st.record.dir : r?.runDir, worker: r?.worker, wallMs: r?.wallMs, trainMs: r?.trainMs, skipped: r?.alreadyDone });
        } else if (state === 'failed') {
          const message = job!.failedReason || 'failed';
          open.delete(run.key);
          result.failed.push({ key: run.key, message });
          set({ ...prev, status: 'failed', message });
        } else if (state === 'active' && prev.status === 'pending') {
          set({ ...prev, status: 'running', attempt: (job!.attemptsMade ?? 0) + 1 });
        } else if (state === 'waiting' && prev.status === 'running') {
          // Back in the queue: its worker died (stalled) or gave it back.
          set({ ...prev, status: 'pending', attempt: (job!.attemptsMade ?? 0) + 1, message: `back in the queue (was on ${prev.worker ?? 'a worker'})` });
        } else if (state === 'unknown') {
          // Removed from Redis by hand: queue it again.
          const cell = o.sweep.cells.find((c) => c.id === run.cellId)!;
          await addJob(queue, jobId(o.sweepDir, run), { sweepName: o.sweepName, sweepDir: o.sweepDir, experimentPath: o.experimentPath, run, cell, epochs: o.sweep.epochs, backend: o.backend, dataAccess: o.dataAccess });
        }
      }
      if (open.size) await sleep(o.pollMs ?? 500, o.signal);
    }
    result.detached = open.size > 0;
    return result;
  } finally {
    // close() waits for a connection that may never come (Redis unreachable): bounded.
    await bounded(Promise.all([events.close(), queue.close()]), 3000);
  }
}

function addJob(queue: Queue<SweepJobData, SweepJobResult>, id: string, data: SweepJobData): Promise<unknown> {
  return queue.add(data.run.key, data, {
    jobId: id,
    // Retries are for a trainer process that died or a worker that was stopped; a run that fails
    // on its own (bad data, NaN loss) ends the job at once (UnrecoverableError).
    attempts: 5,
    backoff: { type: 'fixed', delay: 1000 },
    removeOnComplete: false,
    removeOnFail: false,
  });
}

/** Waits for `p` (errors ignored) at most `ms`. */
function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((r) => { t = setTimeout(r, ms); })]).finally(() => clearTimeout(t));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done);
  });
}

export interface WorkerOptions {
  url: string;
  /** Jobs trained at once on this box (trainer processes). */
  concurrency: number;
  launch: TrainerLaunch;
  /** A dead worker's jobs return to the queue after this long. */
  stalledMs?: number;
  onLog(line: string): void;
  /** Abort to stop: running trainers save their last checkpoint, their jobs go back to the queue. */
  signal?: AbortSignal;
}

/**
 * Takes jobs until the signal aborts. Each job: the run's state on the shared folder decides (done:
 * nothing to train; a checkpoint: resume; else fresh); a trainer process trains it, epoch progress
 * is streamed back through the job; the job returns the run folder.
 */
export async function runQueueWorker(o: WorkerOptions): Promise<void> {
  const name = workerName();
  const stalledMs = o.stalledMs ?? DEFAULT_STALLED_MS;
  const active = new Set<TrainerProcess>();
  const worker = new Worker<SweepJobData, SweepJobResult>(QUEUE_NAME, async (job: Job<SweepJobData, SweepJobResult>) => {
    const d = job.data;
    for (const [what, p] of [['sweep folder', d.sweepDir], ['experiment', d.experimentPath]] as const) {
      if (!fs.existsSync(p)) throw new Error(`${name} cannot see the ${what} ${p}: every worker needs the sweep folder, the experiment and its data at the same path (a shared mount)`);
    }
    const st = runState(cellRecords(d.sweepDir, d.run.cellId), d.run);
    if (st.kind === 'done') {
      o.onLog(`${d.run.key}: already done (${st.record.dir})`);
      return { worker: name, runDir: st.record.dir, status: 'completed', alreadyDone: true };
    }
    const request = runRequest(d, d.cell, d.run, st.kind === 'resume' ? st.record.dir : undefined);
    o.onLog(`${d.run.key}: ${st.kind === 'resume' ? `resuming ${st.record.dir}` : 'training'} (try ${job.attemptsMade + 1})`);
    const progress: SweepJobProgress = { worker: name, ...(st.kind === 'resume' ? { resumedFrom: st.record.dir } : {}) };
    const t0 = performance.now();
    const proc = new TrainerProcess(o.launch, request, {
      onEvent: (e) => {
        if (e.type === 'run/start') { progress.runDir = e.runDir; progress.epochs = e.config.training.epochs; progress.epoch = 0; }
        else if (e.type === 'run/epoch') progress.epoch = e.epoch;
        else return;
        void job.updateProgress({ ...progress }).catch(() => undefined);
      },
      onLog: () => undefined,
    });
    active.add(proc);
    if (o.signal?.aborted) void proc.stop();
    const out = await proc.finished;
    active.delete(proc);
    const wallMs = performance.now() - t0;
    if (out.kind === 'done') {
      const s = out.summary.status;
      if (s === 'completed' || s === 'early-stopped') {
        o.onLog(`${d.run.key}: ${s} (${progress.runDir})`);
        return { worker: name, runDir: progress.runDir!, status: s, wallMs, trainMs: out.summary.durationMs };
      }
      if (s === 'failed') throw new UnrecoverableError(`the run failed on ${name}: see ${progress.runDir}/summary.json`);
      throw new Error(`stopped on ${name} (the worker was asked to stop); it resumes from its last checkpoint on the next try`);
    }
    throw new Error(`${out.message} on ${name}`);
  }, {
    connection: connectionOf(o.url),
    concurrency: Math.max(1, o.concurrency),
    lockDuration: stalledMs,
    stalledInterval: stalledMs,
    // A job may outlive several dead workers before it is given up.
    maxStalledCount: 5,
    autorun: true,
  });
  worker.on('failed', (job, err) => o.onLog(`${job?.data.run.key ?? '?'}: ${err.message}`));
  try {
    await ready(worker, o.url);
  } catch (e) {
    await bounded(worker.close(true), 3000);
    throw e;
  }
  // After start, a lost connection is retried by ioredis; say so once per distinct error.
  let lastError = '';
  worker.on('error', (err) => { if (err.message !== lastError) o.onLog(`queue error (retrying): ${err.message}`); lastError = err.message; });
  o.onLog(`worker ${name} on ${displayUrl(o.url)}, ${Math.max(1, o.concurrency)} at a time; waiting for jobs`);
  await new Promise<void>((resolve) => {
    if (o.signal?.aborted) resolve();
    o.signal?.addEventListener('abort', () => resolve());
  });
  for (const p of active) void p.stop();
  // Lets running jobs end (their trainers stop at the next step and save); they go back to the queue.
  await worker.close();
}

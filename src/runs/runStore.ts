/**
 * The host's run state: runs found on disk (`.fmtl/runs/*` beside each experiment) and live runs fed
 * by the trainer process. Per run, high-rate events (steps, iteration deltas, gates) live in bounded
 * buffers (`BoundedSeries`: newest N exact, older ones downsampled by weighted mean), so memory stays
 * flat on long runs and webviews can be re-hydrated from `snapshot()` at any time.
 *
 * Disk runs are cheap to list: only `summary.json`, `config.json`, `meta.json` and the first line of
 * `events.jsonl` are read; the full event log is read when a snapshot is first asked for.
 *
 * No vscode import: the store is unit-tested in plain node.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Disposable } from '../shared/channel';
import type { Experiment } from '../shared/experimentTypes';
import type { RunSnapshot, RunViewStatus } from '../shared/runViewProtocol';
import type {
  CheckpointEvent, EpochEvent, GatesEvent, IterationDeltasEvent, LogEvent, RunStartEvent, RunSummary, StepEvent, TrainerEvent,
} from '../shared/trainerProtocol';
import { backendLabel, isTrainerEvent } from '../shared/trainerProtocol';
import { BoundedSeries } from './boundedSeries';
import { mergeDeltas, mergeGates, mergeStep } from './eventMerge';

/** What the host knows about one run. */
export interface RunInfo {
  /** Run id: the `runId` of its events (for disk runs without events: the folder name). */
  id: string;
  /** Display name: the run folder name. */
  name: string;
  /** Stable colour slot (index into the `--vscode-charts-*` palette), assigned at first sight. */
  colorIndex: number;
  status: RunViewStatus;
  /** True while a trainer process of this window feeds it. */
  live: boolean;
  /** Absolute path of the experiment file it trained, when known. */
  experimentPath?: string;
  runDir?: string;
  /** Experiment as trained. */
  config?: Experiment;
  /** Wall-clock start (ms since epoch), from meta.json or the folder's time. */
  startedAt?: number;
  summary?: RunSummary;
  /** tfjs backend name. */
  backend?: string;
  /** Ablation / user tag (from the run request or meta.json). */
  tag?: string;
  seed?: number;
  resumedFrom?: string;
  /** Newest epoch event: valid metrics while a run is going. */
  lastEpoch?: EpochEvent;
  /** Newest gate probabilities per Gumbel arrow. */
  lastGates?: GatesEvent['gates'];
  /** Newest step number / epoch seen. */
  lastStep?: { step: number; epoch: number; t: number };
  /** Total planned steps (epochs × steps per epoch), from run/start. */
  plannedSteps?: number;
  /** A `last` checkpoint exists, so the run can be resumed. */
  hasLastCheckpoint: boolean;
  /** Error message of a failed run. */
  error?: string;
}

/** Buffer sizes. `maxPoints` bounds each high-rate series (half exact tail, half downsampled head). */
export interface RunStoreOptions {
  maxPoints?: number;
  /** Coalescing window of `onDidAppend` in ms (0 = synchronous). Default 50. */
  flushMs?: number;
  /** Log lines kept per run. Default 200. */
  maxLogs?: number;
}

interface RunRecord {
  info: RunInfo;
  loaded: boolean;
  start?: RunStartEvent;
  steps: BoundedSeries<StepEvent>;
  trainDeltas: BoundedSeries<IterationDeltasEvent>;
  gates: BoundedSeries<GatesEvent>;
  /** Low-rate events kept whole: epochs, valid deltas, checkpoints, done, error. */
  rare: TrainerEvent[];
  logs: LogEvent[];
}

type AppendListener = (runId: string, events: TrainerEvent[]) => void;
type ChangeListener = (run: RunInfo | undefined, runId: string) => void;

const FINAL: ReadonlySet<RunViewStatus> = new Set(['completed', 'stopped', 'early-stopped', 'failed']);

export class RunStore implements Disposable {
  private readonly runs = new Map<string, RunRecord>();
  private readonly byDir = new Map<string, string>();
  private readonly appendListeners: AppendListener[] = [];
  private readonly changeListeners: ChangeListener[] = [];
  private readonly queued = new Map<string, TrainerEvent[]>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private nextColor = 0;
  private maxPoints: number;
  private readonly flushMs: number;
  private readonly maxLogs: number;

  constructor(options: RunStoreOptions = {}) {
    this.maxPoints = Math.max(8, options.maxPoints ?? 4000);
    this.flushMs = options.flushMs ?? 50;
    this.maxLogs = options.maxLogs ?? 200;
  }

  /** New bound for runs created from now on (the `feedbackMtl.buffer.maxPoints` setting). */
  setMaxPoints(n: number): void {
    this.maxPoints = Math.max(8, Math.floor(n));
  }

  // ------------------------------------------------------------------ queries

  /** A run by id, or by its run folder path. */
  getRun(idOrDir: string): RunInfo | undefined {
    return this.record(idOrDir)?.info;
  }

  /** Every known run, newest first; optionally only those of one experiment file. */
  listRuns(experimentPath?: string): RunInfo[] {
    const key = experimentPath && normPath(experimentPath);
    const out: RunInfo[] = [];
    for (const r of this.runs.values()) {
      if (key && (!r.info.experimentPath || normPath(r.info.experimentPath) !== key)) continue;
      out.push(r.info);
    }
    return out.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.name.localeCompare(a.name));
  }

  /**
   * The bounded event buffer of a run, in time order: run/start, downsampled old steps, exact recent
   * steps, iteration deltas, gates, epochs, checkpoints, logs, done/error. Reads `events.jsonl`
   * synchronously the first time for a disk run (use `load()` first to avoid blocking).
   */
  snapshot(idOrDir: string): TrainerEvent[] {
    const r = this.record(idOrDir);
    if (!r) return [];
    if (!r.loaded) this.loadSync(r);
    const all: TrainerEvent[] = [];
    if (r.start) all.push(r.start);
    all.push(...r.steps.values(), ...r.trainDeltas.values(), ...r.gates.values(), ...r.rare, ...r.logs);
    // Stable sort by time; run/start first whatever its t.
    return all.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.e.t - b.e.t || a.i - b.i).map((x) => x.e);
  }

  /** The run as the charts webview wants it (`runViewProtocol.ts`). */
  runSnapshot(idOrDir: string): RunSnapshot | undefined {
    const r = this.record(idOrDir);
    if (!r) return undefined;
    const events = this.snapshot(idOrDir);
    const i = r.info;
    return { id: i.id, name: i.name, colorIndex: i.colorIndex, config: i.config, runDir: i.runDir, status: i.status, events };
  }

  /** Read a disk run's event log into its buffers (no-op for live or loaded runs). */
  async load(idOrDir: string): Promise<void> {
    const r = this.record(idOrDir);
    if (!r || r.loaded || !r.info.runDir) { if (r) r.loaded = true; return; }
    let text: string;
    try {
      text = await fsp.readFile(path.join(r.info.runDir, 'events.jsonl'), 'utf8');
    } catch {
      text = '';
    }
    if (!r.loaded) this.ingestLog(r, text);
  }

  // ------------------------------------------------------------------ events

  /** New events of a run (coalesced batches, oldest first). */
  onDidAppend(listener: AppendListener): Disposable {
    return addListener(this.appendListeners, listener);
  }

  /** A run appeared, changed status / summary / metrics, or was removed (`run` undefined). */
  onDidChange(listener: ChangeListener): Disposable {
    return addListener(this.changeListeners, listener);
  }

  // ------------------------------------------------------------------ live runs

  /** Feed one event from a trainer process of this window. */
  append(event: TrainerEvent): void {
    let r = this.runs.get(event.runId);
    if (event.type === 'run/start') {
      r = this.startRecord(event);
    } else if (!r) {
      r = this.newRecord({ id: event.runId, name: event.runId, status: 'running', live: true });
    }
    r.loaded = true;
    const changed = this.apply(r, event);
    this.enqueue(r.info.id, event);
    if (changed) this.emitChange(r.info);
  }

  /**
   * The trainer process of a live run ended. If no `run/done` came, the run is marked `status`
   * (failed, or stopped when it was killed after a stop request) with `reason`; the run folder keeps
   * what was written.
   */
  endLive(runId: string, reason?: string, status: 'failed' | 'stopped' = 'failed'): void {
    const r = this.runs.get(runId);
    if (!r) return;
    r.info.live = false;
    if (!FINAL.has(r.info.status)) {
      r.info.status = status;
      r.info.error = reason ?? 'the trainer process ended without finishing the run';
    }
    this.flush();
    this.emitChange(r.info);
  }

  /** Forget a run (after its folder was deleted). */
  remove(idOrDir: string): void {
    const r = this.record(idOrDir);
    if (!r) return;
    this.runs.delete(r.info.id);
    if (r.info.runDir) this.byDir.delete(normPath(r.info.runDir));
    this.emitChange(undefined, r.info.id);
  }

  // ------------------------------------------------------------------ disk

  /**
   * List the run folders under `runsDir` (e.g. `<experiment dir>/.fmtl/runs`). Runs whose experiment
   * cannot be told from their files are attributed to `experimentPath` when its name matches.
   * Known finished runs are not re-read; live runs are never touched.
   */
  async scanRunsDir(runsDir: string, experimentPath?: string): Promise<RunInfo[]> {
    let names: string[];
    try {
      names = (await fsp.readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      names = [];
    }
    const found: RunInfo[] = [];
    const seen = new Set<string>();
    await Promise.all(names.map(async (name) => {
      const dir = path.join(runsDir, name);
      seen.add(normPath(dir));
      const known = this.record(dir);
      if (known && (known.info.live || FINAL.has(known.info.status))) { found.push(known.info); return; }
      const info = await readRunFolder(dir, experimentPath);
      if (!info) return;
      found.push(this.upsertDisk(info));
    }));
    // Folders that vanished (deleted outside VS Code).
    for (const [dir, id] of [...this.byDir]) {
      if (path.dirname(dir) === normPath(runsDir) && !seen.has(dir)) {
        const r = this.runs.get(id);
        if (r && !r.info.live) this.remove(id);
      }
    }
    return found;
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.appendListeners.length = 0;
    this.changeListeners.length = 0;
  }

  // ------------------------------------------------------------------ internals

  private record(idOrDir: string): RunRecord | undefined {
    return this.runs.get(idOrDir) ?? this.runs.get(this.byDir.get(normPath(idOrDir)) ?? '');
  }

  private newRecord(init: Omit<RunInfo, 'colorIndex' | 'hasLastCheckpoint'> & Partial<RunInfo>): RunRecord {
    const half = Math.max(4, Math.floor(this.maxPoints / 2));
    const r: RunRecord = {
      info: { colorIndex: this.nextColor++, hasLastCheckpoint: false, ...init },
      loaded: false,
      steps: new BoundedSeries(half, half, mergeStep),
      trainDeltas: new BoundedSeries(half, half, mergeDeltas),
      gates: new BoundedSeries(half, half, mergeGates),
      rare: [],
      logs: [],
    };
    this.runs.set(r.info.id, r);
    if (r.info.runDir) this.byDir.set(normPath(r.info.runDir), r.info.id);
    return r;
  }

  private startRecord(e: RunStartEvent): RunRecord {
    // A live run replaces what a scan may have read of the same folder (same id or same dir).
    const prev = this.runs.get(e.runId) ?? this.record(e.runDir);
    if (prev) {
      this.runs.delete(prev.info.id);
      if (prev.info.runDir) this.byDir.delete(normPath(prev.info.runDir));
    }
    const r = this.newRecord({
      id: e.runId,
      name: path.basename(e.runDir) || e.runId,
      status: 'running',
      live: true,
      experimentPath: e.experimentPath,
      runDir: e.runDir,
      startedAt: Date.now() - e.t,
      tag: prev?.info.tag,
    });
    if (prev) r.info.colorIndex = prev.info.colorIndex;
    return r;
  }

  /** Put one event into the run's buffers and update its info; true if the info changed notably. */
  private apply(r: RunRecord, e: TrainerEvent): boolean {
    const i = r.info;
    switch (e.type) {
      case 'run/start':
        r.start = e;
        i.config = e.config;
        i.backend = backendLabel(e.backend);
        i.seed = e.seed;
        i.resumedFrom = e.resumedFrom;
        i.experimentPath ??= e.experimentPath;
        i.runDir ??= e.runDir;
        i.plannedSteps = (e.config?.training?.epochs ?? 0) * (e.sizes?.stepsPerEpoch ?? 0) || undefined;
        return true;
      case 'run/step':
        r.steps.push(e);
        i.lastStep = { step: e.step, epoch: e.epoch, t: e.t };
        return false;
      case 'run/iterationDeltas':
        if (e.split === 'train') r.trainDeltas.push(e); else r.rare.push(e);
        return false;
      case 'run/gates':
        r.gates.push(e);
        i.lastGates = e.gates;
        return false;
      case 'run/epoch':
        r.rare.push(e);
        i.lastEpoch = e;
        i.lastStep = { step: e.step, epoch: e.epoch, t: e.t };
        return true;
      case 'run/checkpoint':
        r.rare.push(e);
        if (e.kind === 'last') i.hasLastCheckpoint = true;
        return e.kind === 'last';
      case 'run/done':
        r.rare.push(e);
        i.summary = e.summary;
        i.status = e.summary.status;
        i.backend = e.summary.backend || i.backend;
        if (Object.keys(e.summary.gates ?? {}).length) {
          i.lastGates = Object.fromEntries(Object.entries(e.summary.gates).map(([k, g]) => [k, { blocks: [g.block], probs: [g.prob] }]));
        }
        return true;
      case 'run/error':
        r.rare.push(e);
        i.error = e.where ? `${e.message} (${e.where})` : e.message;
        if (!FINAL.has(i.status)) i.status = 'failed';
        return true;
      case 'run/log':
        r.logs.push(e);
        if (r.logs.length > this.maxLogs) r.logs.splice(0, r.logs.length - this.maxLogs);
        return false;
    }
  }

  private upsertDisk(found: DiskRun): RunInfo {
    const existing = this.record(found.runDir);
    if (existing) {
      // A re-read never erases what is known (e.g. the experiment a run was attributed to).
      for (const [k, v] of Object.entries(found.info)) if (v !== undefined) (existing.info as unknown as Record<string, unknown>)[k] = v;
      this.emitChange(existing.info);
      return existing.info;
    }
    const id = this.runs.has(found.info.id) ? `${found.info.id}@${found.runDir}` : found.info.id;
    const r = this.newRecord({ ...found.info, id, runDir: found.runDir, live: false });
    this.emitChange(r.info);
    return r.info;
  }

  private loadSync(r: RunRecord): void {
    let text = '';
    if (r.info.runDir) {
      try {
        text = fs.readFileSync(path.join(r.info.runDir, 'events.jsonl'), 'utf8');
      } catch {
        text = '';
      }
    }
    this.ingestLog(r, text);
  }

  private ingestLog(r: RunRecord, text: string): void {
    r.loaded = true;
    const info = { ...r.info };
    for (const e of parseEventLines(text)) {
      // Disk ids win over whatever the log says, so a copied folder does not clash.
      const ev = { ...e, runId: r.info.id } as TrainerEvent;
      if (ev.type === 'run/start') r.start = ev;
      this.apply(r, ev);
    }
    // A finished disk run keeps the status from summary.json; a log without run/done stays as read.
    if (info.summary) { r.info.summary = info.summary; r.info.status = info.status; }
    r.info.live = false;
  }

  private enqueue(runId: string, e: TrainerEvent): void {
    const q = this.queued.get(runId);
    if (q) q.push(e); else this.queued.set(runId, [e]);
    if (this.flushMs <= 0) { this.flush(); return; }
    this.flushTimer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Deliver queued events now. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batches = [...this.queued];
    this.queued.clear();
    for (const [runId, events] of batches) for (const l of [...this.appendListeners]) safe(() => l(runId, events));
  }

  private emitChange(run: RunInfo | undefined, runId = run?.id ?? ''): void {
    for (const l of [...this.changeListeners]) safe(() => l(run, runId));
  }
}

// ------------------------------------------------------------------ disk reading (pure-ish helpers)

interface DiskRun {
  runDir: string;
  info: Omit<RunInfo, 'colorIndex' | 'live'> & { live?: false };
}

/** Parse `events.jsonl` text; skips blank and malformed lines (e.g. a line cut by a crash). */
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

/** Read what is cheap about one run folder; undefined if it does not look like a run. */
export async function readRunFolder(runDir: string, experimentPath?: string): Promise<DiskRun | undefined> {
  const [summary, config, meta, first, st] = await Promise.all([
    readJson<RunSummary>(path.join(runDir, 'summary.json')),
    readJson<Experiment>(path.join(runDir, 'config.json')),
    readJson<Record<string, unknown>>(path.join(runDir, 'meta.json')),
    readFirstEvent(path.join(runDir, 'events.jsonl')),
    fsp.stat(runDir).catch(() => undefined),
  ]);
  if (!summary && !config && !first && !meta) return undefined;
  const start = first?.type === 'run/start' ? first : undefined;
  let status: RunViewStatus = summary?.status ?? 'unknown';
  if (!summary) {
    const last = await readLastEvent(path.join(runDir, 'events.jsonl'));
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
    runDir,
    info: {
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
      error: status === 'failed' ? ((summary as { error?: string } | undefined)?.error ?? 'the run failed (see its events.jsonl)') : undefined,
    },
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

async function hasLastCheckpoint(runDir: string): Promise<boolean> {
  for (const dir of [runDir, path.join(runDir, 'checkpoints')]) {
    try {
      if ((await fsp.readdir(dir)).some((n) => /^last(\b|[-_.]|$)/i.test(n))) return true;
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

/** `2026-11-23T10-00-00...` or `20261123-100000...` at the start of a run folder name. */
export function timeFromName(name: string): number | undefined {
  const m = /(\d{4})-?(\d{2})-?(\d{2})[T_-]?(\d{2})[-:]?(\d{2})[-:]?(\d{2})/.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(t) ? undefined : t;
}

/** A run the trainer can continue: it ended early and its `last` checkpoint is on disk. */
export function isResumable(r: RunInfo): boolean {
  return !r.live && !!r.runDir && r.hasLastCheckpoint && (r.status === 'stopped' || r.status === 'failed' || r.status === 'unknown');
}

function rank(e: TrainerEvent): number {
  return e.type === 'run/start' ? 0 : e.type === 'run/done' ? 2 : 1;
}

function normPath(p: string): string {
  const n = path.resolve(p);
  return process.platform === 'win32' ? n.toLowerCase() : n;
}

function addListener<L>(list: L[], l: L): Disposable {
  list.push(l);
  return { dispose: () => { const i = list.indexOf(l); if (i >= 0) list.splice(i, 1); } };
}

function safe(f: () => void): void {
  try {
    f();
  } catch (e) {
    console.error('[feedback-mtl] listener failed', e);
  }
}

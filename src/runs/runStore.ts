/**
 * The host's run state: runs found on disk (`.fmtl/runs/*` beside each experiment) and live runs fed
 * by the trainer process. Per run, high-rate events (steps, iteration deltas, gates) live in bounded
 * buffers (`BoundedSeries`: newest N exact, older ones downsampled by weighted mean), so memory stays
 * flat on long runs and webviews can be re-hydrated from `snapshot()` at any time.
 *
 * Disk runs are cheap to list (`runFolder/runFolderReader.ts` reads only what a listing needs); the
 * full event log is read when a snapshot is first asked for.
 *
 * No vscode import: the store is unit-tested in plain node.
 */
import * as path from 'node:path';
import type { Disposable } from '../shared/channel';
import type { RunSnapshot, RunViewStatus } from '../shared/runViewProtocol';
import type {
  CheckpointEvent, EpochEvent, GatesEvent, IterationDeltasEvent, LogEvent, RunStartEvent, StepEvent, TrainerEvent,
} from '../shared/trainerProtocol';
import { backendLabel } from '../shared/trainerProtocol';
import { listRunFolders, readEvents, readEventsAsync, readRunFolder, type RunFolderInfo } from '../runFolder/runFolderReader';
import { BoundedSeries } from './boundedSeries';
import { mergeDeltas, mergeGates, mergeStep } from './eventMerge';

/**
 * What the host knows about one run: what its folder says (`RunFolderInfo`; a live run may have no
 * folder yet) and what the live events add.
 */
export interface RunInfo extends Omit<RunFolderInfo, 'runDir'> {
  runDir?: string;
  /** Stable colour slot (index into the `--vscode-charts-*` palette), assigned at first sight. */
  colorIndex: number;
  /** True while a trainer process of this window feeds it. */
  live: boolean;
  /** Newest epoch event: valid metrics while a run is going. */
  lastEpoch?: EpochEvent;
  /** Newest epoch that improved the early-stopping monitor: the best-validation checkpoint so far. */
  bestEpochSoFar?: EpochEvent;
  /** Newest gate probabilities per Gumbel arrow. */
  lastGates?: GatesEvent['gates'];
  /** Newest step number / epoch seen. */
  lastStep?: { step: number; epoch: number; t: number };
  /** Total planned steps (epochs × steps per epoch), from run/start. */
  plannedSteps?: number;
  /** The step the newest resume continued from (resumed runs continue in their own folder). */
  resumedAtStep?: number;
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
    const events = await readEventsAsync(r.info.runDir);
    if (!r.loaded) this.ingestLog(r, events);
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
    const dirs = await listRunFolders(runsDir);
    const found: RunInfo[] = [];
    const seen = new Set<string>();
    await Promise.all(dirs.map(async (dir) => {
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
    if (e.resumed) return this.resumeRecord(e, prev);
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

  /**
   * A resumed session of a run continues its folder: the record is rebuilt from the folder's
   * history (`readEvents`, which drops what the resume supersedes) up to this session's `run/start`,
   * which the trainer wrote before sending it; this session's events then arrive live.
   */
  private resumeRecord(e: RunStartEvent, prev: RunRecord | undefined): RunRecord {
    if (prev) {
      this.runs.delete(prev.info.id);
      if (prev.info.runDir) this.byDir.delete(normPath(prev.info.runDir));
    }
    const history = readEvents(e.runDir);
    let cut = history.length;
    while (cut > 0 && !(history[cut - 1].type === 'run/start' && history[cut - 1].t === e.t)) cut--;
    const r = this.newRecord({
      id: e.runId,
      name: path.basename(e.runDir) || e.runId,
      status: 'running',
      live: true,
      experimentPath: e.experimentPath,
      runDir: e.runDir,
      startedAt: prev?.info.startedAt ?? Date.now() - e.t,
      tag: prev?.info.tag,
    });
    if (prev) r.info.colorIndex = prev.info.colorIndex;
    for (const ev of history.slice(0, Math.max(0, cut - 1))) this.apply(r, { ...ev, runId: r.info.id } as TrainerEvent);
    r.info.status = 'running';
    r.info.summary = undefined;
    r.info.error = undefined;
    return r;
  }

  /** Put one event into the run's buffers and update its info; true if the info changed notably. */
  private apply(r: RunRecord, e: TrainerEvent): boolean {
    const i = r.info;
    switch (e.type) {
      case 'run/start':
        // A resumed session's start is a marker in the run's history; the run's start stays the first.
        if (r.start && e.resumed) { r.rare.push(e); i.resumedAtStep = e.resumed.step; }
        else r.start = e;
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
        if (e.monitor?.improved) i.bestEpochSoFar = e;
        i.lastStep = { step: e.step, epoch: e.epoch, t: e.t };
        return true;
      case 'run/checkpoint':
        r.rare.push(e);
        i.hasLastCheckpoint = true; // resume takes last, else best
        return e.kind === 'last';
      case 'run/done':
        r.rare.push(e);
        i.summary = e.summary;
        i.status = e.summary.status;
        i.backend = e.summary.backend || i.backend;
        if (Object.keys(e.summary.gates ?? {}).length) {
          // The whole final distribution when the summary has it; an argmax-only summary (older
          // runs) must not replace a full distribution already seen in the gate events.
          const full = Object.entries(e.summary.gates).filter(([k, g]) => g.blocks?.length || !i.lastGates?.[k]);
          i.lastGates = { ...i.lastGates, ...Object.fromEntries(full.map(([k, g]) => [k, g.blocks?.length && g.probs?.length ? { blocks: g.blocks, probs: g.probs } : { blocks: [g.block], probs: [g.prob] }])) };
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

  private upsertDisk(found: RunFolderInfo): RunInfo {
    const existing = this.record(found.runDir);
    if (existing) {
      // A re-read never erases what is known (e.g. the experiment a run was attributed to).
      for (const [k, v] of Object.entries(found)) if (v !== undefined) (existing.info as unknown as Record<string, unknown>)[k] = v;
      this.emitChange(existing.info);
      return existing.info;
    }
    const id = this.runs.has(found.id) ? `${found.id}@${found.runDir}` : found.id;
    const r = this.newRecord({ ...found, id, live: false });
    this.emitChange(r.info);
    return r.info;
  }

  private loadSync(r: RunRecord): void {
    this.ingestLog(r, r.info.runDir ? readEvents(r.info.runDir) : []);
  }

  private ingestLog(r: RunRecord, events: TrainerEvent[]): void {
    r.loaded = true;
    const info = { ...r.info };
    for (const e of events) {
      // Disk ids win over whatever the log says, so a copied folder does not clash.
      this.apply(r, { ...e, runId: r.info.id } as TrainerEvent);
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

/** A run the trainer can continue: it ended early and a checkpoint (`last`, else `best`) is on disk. */
export function isResumable(r: RunInfo): boolean {
  return !r.live && !!r.runDir && r.hasLastCheckpoint && (r.status === 'stopped' || r.status === 'failed' || r.status === 'unknown');
}

function rank(e: TrainerEvent): number {
  return e.type === 'run/start' && !e.resumed ? 0 : e.type === 'run/done' ? 2 : 1;
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

/**
 * Everything the charts draw for one run, derived incrementally from its `TrainerEvent`s. Pure (no
 * DOM): the webview, the static report and tests feed it the same events. Memory is bounded: step
 * series are `StreamingSeries` (min/max compaction) and gate grids average neighbouring columns
 * when full, so a 100,000-step run costs the same as a 10,000-step one.
 */
import type {
  DoneEvent, EpochEvent, ErrorEvent, GatesEvent, IterationDeltasEvent, RunStartEvent, StepEvent, TaskMetrics, TrainerEvent,
} from '../trainerProtocol';
import { StreamingSeries } from './downsample';

/** One row per finished epoch. */
export interface EpochRow {
  epoch: number;
  step: number;
  t: number;
  train: TaskMetrics;
  valid: TaskMetrics;
  trainLoss: Record<string, number>;
  validLoss: Record<string, number>;
  monitor?: EpochEvent['monitor'];
  /** First epoch after a mid-epoch resume: `trainLoss` averages only `stepsCounted` steps after this step. */
  resumedAtStep?: number;
  stepsCounted?: number;
}

/** Mean iteration-delta vector over one epoch (‖y^(k+1) − y^k‖ for k = 0..K−1). */
export interface DeltaCurve {
  epoch: number;
  deltas: number[];
  /** Events averaged. */
  n: number;
}

/**
 * Gate probabilities over training: column i is a logged step, row j a candidate block.
 * Bounded: when `capacity` columns are filled, neighbouring pairs are averaged.
 */
export class GateGrid {
  /** 1-based candidate block numbers (rows). */
  readonly blocks: number[];
  private stepsBuf: Float64Array;
  private probsBuf: Float32Array;
  private tauBuf: Float64Array;
  private n = 0;
  total = 0;

  constructor(blocks: number[], readonly capacity = 1024) {
    this.blocks = blocks.slice();
    this.stepsBuf = new Float64Array(capacity);
    this.probsBuf = new Float32Array(capacity * blocks.length);
    this.tauBuf = new Float64Array(capacity);
  }

  get length(): number { return this.n; }
  get steps(): Float64Array { return this.stepsBuf.subarray(0, this.n); }
  /** Column-major probabilities: `probs[i * blocks.length + j]`. */
  get probs(): Float32Array { return this.probsBuf.subarray(0, this.n * this.blocks.length); }
  get taus(): Float64Array { return this.tauBuf.subarray(0, this.n); }

  push(step: number, probs: number[], tau: number): void {
    const nb = this.blocks.length;
    if (this.n === this.capacity) this.compact();
    this.stepsBuf[this.n] = step;
    this.tauBuf[this.n] = tau;
    for (let j = 0; j < nb; j++) this.probsBuf[this.n * nb + j] = probs[j] ?? NaN;
    this.n++;
    this.total++;
  }

  /** Probabilities of the last column at or before `step` (the latest column if `step` is absent). */
  at(step?: number): { step: number; probs: number[]; tau: number } | undefined {
    if (this.n === 0) return undefined;
    let i = this.n - 1;
    if (step !== undefined) {
      let lo = 0, hi = this.n;
      while (lo < hi) { const m = (lo + hi) >> 1; if (this.stepsBuf[m] <= step) lo = m + 1; else hi = m; }
      i = Math.max(0, lo - 1);
    }
    const nb = this.blocks.length;
    return { step: this.stepsBuf[i], probs: Array.from(this.probsBuf.subarray(i * nb, i * nb + nb)), tau: this.tauBuf[i] };
  }

  private compact(): void {
    const nb = this.blocks.length;
    let w = 0;
    for (let i = 0; i + 1 < this.n; i += 2, w++) {
      // Keep the later step: a column then means "up to this step", which the slider reads naturally.
      this.stepsBuf[w] = this.stepsBuf[i + 1];
      this.tauBuf[w] = this.tauBuf[i + 1];
      for (let j = 0; j < nb; j++) this.probsBuf[w * nb + j] = (this.probsBuf[i * nb + j] + this.probsBuf[(i + 1) * nb + j]) / 2;
    }
    this.n = w;
  }
}

/** Bounds of the model; the defaults keep a run well under a few MB. */
export interface RunModelOptions {
  /** Points per step series. */
  seriesCapacity?: number;
  /** Columns per gate grid. */
  gateCapacity?: number;
  /** Log lines kept. */
  logCapacity?: number;
}

/** Incremental view model of one run. Call `ingest` for each event, read the fields to draw. */
export class RunModel {
  start?: RunStartEvent;
  /** Where the run was resumed (each resumed session's marker), oldest first. */
  readonly resumes: NonNullable<RunStartEvent['resumed']>[] = [];
  done?: DoneEvent;
  error?: ErrorEvent;
  /** Events ingested, by type (`run/step` -> count). */
  readonly counts = new Map<TrainerEvent['type'], number>();
  events = 0;
  lastStep = 0;
  lastEpoch = 0;
  /** ms since start of the newest event. */
  lastT = 0;
  /** Task ids in config order, then in order of appearance. */
  readonly tasks: string[] = [];
  /** Per-task training loss on y^K, x = step. */
  readonly loss = new Map<string, StreamingSeries>();
  /** Per-task loss weight (the factor the loss weighting applied to L_t), x = step. */
  readonly weights = new Map<string, StreamingSeries>();
  /** Per-task convergence loss (before lambda), x = step. */
  readonly convergence = new Map<string, StreamingSeries>();
  readonly total: StreamingSeries;
  /** Soft sharing's tie penalty (as added to the total), x = step; empty under hard sharing. */
  readonly tie: StreamingSeries;
  readonly lr: StreamingSeries;
  readonly tau: StreamingSeries;
  /** Wall time per step (ms), x = step. */
  readonly stepMs: StreamingSeries;
  readonly epochs: EpochRow[] = [];
  /** task -> split -> epoch -> running sum of delta vectors. */
  private readonly deltaSums = new Map<string, Map<'train' | 'valid', Map<number, DeltaCurve>>>();
  /** Per task, one series per k (delta y^k -> y^(k+1)) over steps, training split. */
  readonly deltasOverTime = new Map<string, StreamingSeries[]>();
  readonly gates = new Map<string, GateGrid>();
  readonly logs: { t: number; level: string; message: string }[] = [];
  /** Events dropped because they repeated steps already seen. */
  duplicates = 0;
  private lastStepEvent = -Infinity;
  private lastDeltaStep = -Infinity;
  private lastGateStep = -Infinity;
  /** Bumped by every `ingest`: charts redraw only when it changed. */
  version = 0;
  private readonly opts: Required<RunModelOptions>;

  constructor(readonly id: string, opts: RunModelOptions = {}) {
    this.opts = { seriesCapacity: 4096, gateCapacity: 1024, logCapacity: 200, ...opts };
    this.total = this.series();
    this.tie = this.series();
    this.lr = this.series();
    this.tau = this.series();
    this.stepMs = this.series();
  }

  /** Builds a model from a whole event list. */
  static from(id: string, events: Iterable<TrainerEvent>, opts?: RunModelOptions): RunModel {
    const m = new RunModel(id, opts);
    for (const e of events) m.ingest(e);
    return m;
  }

  /** Number of `run/step` events seen. */
  get steps(): number { return this.counts.get('run/step') ?? 0; }

  /** K, from the config or the longest delta vector seen. */
  get iterations(): number {
    return this.start?.config.iterations ?? Math.max(0, ...[...this.deltasOverTime.values()].map((s) => s.length));
  }

  /** Epochs planned (config), if known. */
  get plannedEpochs(): number | undefined { return this.start?.config.training.epochs; }

  ingest(e: TrainerEvent): void {
    this.events++;
    this.version++;
    this.counts.set(e.type, (this.counts.get(e.type) ?? 0) + 1);
    if (Number.isFinite(e.t)) this.lastT = Math.max(this.lastT, e.t);
    switch (e.type) {
      case 'run/start':
        if (e.resumed) this.resumes.push(e.resumed);
        this.start ??= e;
        for (const t of e.config.tasks) this.task(t.id);
        break;
      case 'run/step': this.onStep(e); break;
      case 'run/iterationDeltas': this.onDeltas(e); break;
      case 'run/gates': this.onGates(e); break;
      case 'run/epoch': this.onEpoch(e); break;
      case 'run/checkpoint': break;
      case 'run/done': this.done = e; break;
      case 'run/error':
        this.error = e;
        this.log(e.t, 'error', e.where ? `${e.where}: ${e.message}` : e.message);
        break;
      case 'run/log': this.log(e.t, e.level, e.message); break;
      default: {
        // Unknown event types from a newer trainer are counted and otherwise ignored.
        const unknown: never = e;
        void unknown;
      }
    }
  }

  /** Mean delta vectors per epoch for one task and split, oldest epoch first. */
  deltaCurves(task: string, split: 'train' | 'valid' = 'train'): DeltaCurve[] {
    const m = this.deltaSums.get(task)?.get(split);
    if (!m) return [];
    return [...m.values()].sort((a, b) => a.epoch - b.epoch).map((c) => ({ epoch: c.epoch, n: c.n, deltas: c.deltas.map((s) => s / c.n) }));
  }

  /** Tasks that have iteration deltas. */
  get deltaTasks(): string[] {
    return this.tasks.filter((t) => this.deltaSums.has(t));
  }

  /** Status in words for the status line. */
  get status(): 'running' | 'completed' | 'stopped' | 'early-stopped' | 'failed' {
    if (this.done) return this.done.summary.status;
    if (this.error) return 'failed';
    return 'running';
  }

  private onStep(e: StepEvent): void {
    // A batch that overlaps the snapshot it follows (host race) must not draw a line backwards.
    if (e.step <= this.lastStepEvent) return this.dup(e.type);
    this.lastStepEvent = e.step;
    this.lastStep = Math.max(this.lastStep, e.step);
    this.lastEpoch = Math.max(this.lastEpoch, e.epoch);
    for (const [task, v] of Object.entries(e.losses)) this.taskSeries(this.loss, task).push(e.step, v);
    for (const [task, v] of Object.entries(e.convergence ?? {})) this.taskSeries(this.convergence, task).push(e.step, v);
    for (const [task, v] of Object.entries(e.weights ?? {})) this.taskSeries(this.weights, task).push(e.step, v);
    this.total.push(e.step, e.total);
    if (e.tie !== undefined) this.tie.push(e.step, e.tie);
    this.lr.push(e.step, e.lr);
    this.tau.push(e.step, e.tau);
    this.stepMs.push(e.step, e.ms);
  }

  private onDeltas(e: IterationDeltasEvent): void {
    if (e.split === 'train') {
      if (e.step <= this.lastDeltaStep) return this.dup(e.type);
      this.lastDeltaStep = e.step;
    }
    for (const [task, deltas] of Object.entries(e.deltas)) {
      this.task(task);
      let bySplit = this.deltaSums.get(task);
      if (!bySplit) { bySplit = new Map(); this.deltaSums.set(task, bySplit); }
      let byEpoch = bySplit.get(e.split);
      if (!byEpoch) { byEpoch = new Map(); bySplit.set(e.split, byEpoch); }
      let c = byEpoch.get(e.epoch);
      if (!c) { c = { epoch: e.epoch, deltas: [], n: 0 }; byEpoch.set(e.epoch, c); }
      for (let k = 0; k < deltas.length; k++) c.deltas[k] = (c.deltas[k] ?? 0) + deltas[k];
      c.n++;
      if (e.split === 'train') {
        let lines = this.deltasOverTime.get(task);
        if (!lines) { lines = []; this.deltasOverTime.set(task, lines); }
        for (let k = 0; k < deltas.length; k++) {
          if (!lines[k]) lines[k] = this.series();
          lines[k].push(e.step, deltas[k]);
        }
      }
    }
  }

  private onGates(e: GatesEvent): void {
    if (e.step <= this.lastGateStep) return this.dup(e.type);
    this.lastGateStep = e.step;
    for (const [arrow, g] of Object.entries(e.gates)) {
      let grid = this.gates.get(arrow);
      if (!grid || grid.blocks.length !== g.blocks.length) {
        grid = new GateGrid(g.blocks, this.opts.gateCapacity);
        this.gates.set(arrow, grid);
      }
      grid.push(e.step, g.probs, e.tau);
    }
  }

  private onEpoch(e: EpochEvent): void {
    this.lastEpoch = Math.max(this.lastEpoch, e.epoch);
    this.lastStep = Math.max(this.lastStep, e.step);
    for (const t of [...Object.keys(e.trainLoss ?? {}), ...Object.keys(e.valid ?? {})]) if (t !== '_overall') this.task(t);
    const row: EpochRow = {
      epoch: e.epoch, step: e.step, t: e.t, train: e.train ?? {}, valid: e.valid ?? {},
      trainLoss: e.trainLoss ?? {}, validLoss: e.validLoss ?? {}, monitor: e.monitor,
      ...(e.resumedAtStep !== undefined ? { resumedAtStep: e.resumedAtStep, stepsCounted: e.stepsCounted } : {}),
    };
    // A resumed run may resend an epoch: the newer row wins.
    const i = this.epochs.findIndex((r) => r.epoch === e.epoch);
    if (i >= 0) this.epochs[i] = row; else this.epochs.push(row);
    this.epochs.sort((a, b) => a.epoch - b.epoch);
  }

  private dup(type: TrainerEvent['type']): void {
    this.duplicates++;
    this.events--;
    this.counts.set(type, (this.counts.get(type) ?? 1) - 1);
  }

  private log(t: number, level: string, message: string): void {
    this.logs.push({ t, level, message });
    if (this.logs.length > this.opts.logCapacity) this.logs.splice(0, this.logs.length - this.opts.logCapacity);
  }

  private task(id: string): void {
    if (!this.tasks.includes(id)) this.tasks.push(id);
  }

  private taskSeries(map: Map<string, StreamingSeries>, task: string): StreamingSeries {
    this.task(task);
    let s = map.get(task);
    if (!s) { s = this.series(); map.set(task, s); }
    return s;
  }

  private series(): StreamingSeries {
    return new StreamingSeries(this.opts.seriesCapacity);
  }
}

/**
 * Metric names present in a model's epochs, per task (task -> names), in first-seen order.
 * `_overall` (SLU sentence accuracy) is kept as its own pseudo task.
 */
export function metricNames(model: RunModel): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const row of model.epochs) {
    for (const split of [row.valid, row.train]) {
      for (const [task, metrics] of Object.entries(split)) {
        let names = out.get(task);
        if (!names) { names = []; out.set(task, names); }
        for (const m of Object.keys(metrics)) if (!names.includes(m)) names.push(m);
      }
    }
  }
  return out;
}

/** Per-epoch series of one metric: x = epoch. */
export function metricSeries(model: RunModel, task: string, metric: string, split: 'train' | 'valid'): { x: number[]; y: number[] } {
  const x: number[] = [], y: number[] = [];
  for (const row of model.epochs) {
    const v = row[split][task]?.[metric];
    if (v === undefined) continue;
    x.push(row.epoch);
    y.push(v);
  }
  return { x, y };
}

/** Per-epoch mean loss of one task: x = step at the end of the epoch (overlays the step curve). */
export function epochLossSeries(model: RunModel, task: string, split: 'train' | 'valid'): { x: number[]; y: number[] } {
  const x: number[] = [], y: number[] = [];
  for (const row of model.epochs) {
    const v = (split === 'train' ? row.trainLoss : row.validLoss)[task];
    if (v === undefined) continue;
    x.push(row.step);
    y.push(v);
  }
  return { x, y };
}

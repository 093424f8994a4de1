/**
 * Messages between the extension host and the trainer child process (and the CLI's `--json` lines).
 * The trainer library reports only through `onEvent(TrainerEvent)`; `src/trainer/main.ts` forwards
 * those over IPC through `channel.ts`. Every event carries the run id so a host can multiplex.
 */
import type { Experiment } from './experimentTypes';
import type { InputPrediction, PredictedTask } from './predictions/format';

/** Per-task metric table: task id -> metric name -> value. */
export type TaskMetrics = Record<string, Record<string, number>>;

/**
 * Metric names. classification: accuracy, macroF1; tagging: f1 (conlleval spans), precision,
 * recall, tokenAccuracy; regression: rmse, mae. `overall` (SLU sentence accuracy: intent right and
 * every tag right) is reported under the pseudo task id `_overall` as `{ accuracy }`.
 */
export type MetricName = 'accuracy' | 'macroF1' | 'f1' | 'precision' | 'recall' | 'tokenAccuracy' | 'rmse' | 'mae' | 'perplexity' | 'unkRate';

/** Which backend the trainer ended up on and why. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow` (tfjs-node / tfjs-node-gpu), `wasm`, `cpu`. */
  name: string;
  /** npm package that provided it, e.g. `@tensorflow/tfjs-node-gpu`. */
  package: string;
  /** True if a GPU device is in use. */
  gpu: boolean;
  /** What was tried before, with the reason each was skipped. */
  skipped: { package: string; reason: string }[];
  /** e.g. SIMD on/off for wasm, thread count. */
  detail?: string;
  /** wasm only: the project's native kernels (OpenBLAS and compiled loops) do the heavy work. */
  native?: boolean;
}

/** Short name of a backend for tables and lists: `wasm`, `wasm+native`, `tensorflow (GPU)`. */
export function backendLabel(b: BackendInfo): string {
  return `${b.name}${b.native ? '+native' : ''}${b.gpu ? ' (GPU)' : ''}`;
}

export interface RunSizes {
  train: number;
  valid: number;
  test: number;
  /** Trainable parameters. */
  parameters: number;
  stepsPerEpoch: number;
  /** Vocabulary size (text data). */
  vocab?: number;
  /** Label counts per task (classification/tagging). */
  labels: Record<string, number>;
}

/** Fields every event carries. */
interface EventBase {
  runId: string;
  /** ms since the run started (monotonic). */
  t: number;
}

export interface RunStartEvent extends EventBase {
  type: 'run/start';
  experimentPath: string;
  runDir: string;
  config: Experiment;
  backend: BackendInfo;
  sizes: RunSizes;
  seed: number;
  /** Set when this session resumes a run (its run folder: resume continues in the same folder). */
  resumedFrom?: string;
  /**
   * Set on a resumed session's `run/start`, which marks in `events.jsonl` where the session begins:
   * training continues after `step` (epoch `epoch` completed) from the `checkpoint` named (`none`:
   * killed before its first checkpoint, the run trains again from step 0); the
   * `redoneSteps` steps logged after that checkpoint by the interrupted session are trained again
   * (readers drop their events: `foldResumes`).
   */
  resumed?: { step: number; epoch: number; checkpoint: 'last' | 'best' | 'none'; redoneSteps: number };
}

export interface StepEvent extends EventBase {
  type: 'run/step';
  step: number;
  epoch: number;
  /** Task loss on y^K per task (unweighted). */
  losses: Record<string, number>;
  /** Convergence loss per task (before lambda). */
  convergence: Record<string, number>;
  /**
   * The weight each task loss got in this step (`lossWeighting`: lossWeight for `fixed`, the learned
   * or adapted factor otherwise). Absent in runs written before loss weighting was streamed.
   */
  weights?: Record<string, number>;
  /**
   * Soft sharing's tie penalty l2 * sum_(i<j) ||theta_i - theta_j||^2 over the encoder copies, as
   * added to `total`; absent under hard sharing.
   */
  tie?: number;
  /** Weighted total that was minimised. */
  total: number;
  lr: number;
  /** Current Gumbel temperature. */
  tau: number;
  /** Wall time of this step. */
  ms: number;
}

/** ‖y^(k+1) − y^k‖_F for k = 0..K−1 per task (batch-averaged per example), training mode. */
export interface IterationDeltasEvent extends EventBase {
  type: 'run/iterationDeltas';
  step: number;
  epoch: number;
  /** 'train' during training; 'valid' from the end-of-epoch evaluation (eval mode, argmax gates). */
  split: 'train' | 'valid';
  deltas: Record<string, number[]>;
}

/** Gate probabilities: arrow id -> probability per candidate block. */
export interface GatesEvent extends EventBase {
  type: 'run/gates';
  step: number;
  epoch: number;
  tau: number;
  /** arrow id -> { blocks: 1-based candidate block numbers, probs: softmax(logits) } */
  gates: Record<string, { blocks: number[]; probs: number[] }>;
}

export interface EpochEvent extends EventBase {
  type: 'run/epoch';
  epoch: number;
  step: number;
  train: TaskMetrics;
  valid: TaskMetrics;
  /** Mean task loss over the epoch's training steps (only those since the resume: see `resumedAtStep`). */
  trainLoss: Record<string, number>;
  /**
   * Set on the first epoch after a mid-epoch resume: training resumed after global step
   * `resumedAtStep`, so `trainLoss` averages only the `stepsCounted` steps trained since then (of the
   * epoch's `run/start` sizes.stepsPerEpoch). Weights and every other metric are as in an
   * uninterrupted run.
   */
  resumedAtStep?: number;
  stepsCounted?: number;
  validLoss: Record<string, number>;
  /** Value of the early-stopping metric and whether it improved. */
  monitor?: { metric: string; value: number; best: number; improved: boolean };
  ms: number;
}

export interface CheckpointEvent extends EventBase {
  type: 'run/checkpoint';
  kind: 'best' | 'last';
  epoch: number;
  step: number;
  path: string;
}

export interface RunSummary {
  status: 'completed' | 'stopped' | 'early-stopped' | 'failed';
  epochs: number;
  steps: number;
  bestEpoch: number;
  best: { valid: TaskMetrics; test?: TaskMetrics };
  last: { valid: TaskMetrics };
  /**
   * Final gate per Gumbel arrow: arrow id -> its argmax { block, prob } and the whole distribution
   * over its candidate blocks (`blocks`, `probs`; absent in runs written before they were added).
   */
  gates: Record<string, { block: number; prob: number; blocks?: number[]; probs?: number[] }>;
  durationMs: number;
  backend: string;
}

export interface DoneEvent extends EventBase {
  type: 'run/done';
  summary: RunSummary;
}

export interface ErrorEvent extends EventBase {
  type: 'run/error';
  message: string;
  /** Where the problem is, when it is in the user's input (file, JSON path). */
  where?: string;
  stack?: string;
}

export interface LogEvent extends EventBase {
  type: 'run/log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Trainer -> host. */
export type TrainerEvent =
  | RunStartEvent
  | StepEvent
  | IterationDeltasEvent
  | GatesEvent
  | EpochEvent
  | CheckpointEvent
  | DoneEvent
  | ErrorEvent
  | LogEvent;

/** Options of one training request. */
export interface TrainRequestOptions {
  /** Absolute path of the `*.fmtl.json`. */
  experimentPath: string;
  /** Parent folder of run folders (default `<experiment dir>/.fmtl/runs`). */
  runsDir?: string;
  /** Override the experiment's seed. */
  seed?: number;
  /** Overrides applied to the parsed experiment (ablations): feedback off / all fixed / as written. */
  variant?: 'static' | 'fixed' | 'gumbel' | 'asWritten';
  /** Extra suffix for the run folder name (e.g. `ablation-static`). */
  tag?: string;
  /** Resume from this run folder's last checkpoint. */
  resume?: string;
  /** Force a backend: `auto` (default), `tensorflow`, `wasm`, `cpu`. */
  backend?: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Override epochs (e.g. quick checks). */
  epochs?: number;
  /**
   * Values set at JSON paths of the experiment before the variant (a sweep cell's axes, see
   * `shared/sweep.ts`); the result is validated again and recorded in `config.json`.
   */
  overrides?: { path: (string | number)[]; value: unknown }[];
  /** Set by a sweep: which sweep, cell and run this is (kept in `meta.json`, shown in the Runs view). */
  sweep?: { name: string; cellId: string; cellLabel: string; key: string };
  /**
   * Which data files the run may read (data/dataPaths.ts); absent = what `fmtl` allows
   * without `--allow-outside` (the trainer's current directory and the shipped samples' data).
   */
  dataAccess?: DataAccess;
}

/**
 * The folders a run may read data from besides the experiment's own folder, and whether the user
 * allowed files outside all of them (`fmtl --allow-outside`, or confirmed in VS Code). Decided by
 * whoever starts the run; sweeps and queue workers carry it to every run they start.
 */
export interface DataAccess {
  /** Absolute folders (the CLI's current directory, the workspace folders, the shipped samples' data). */
  roots: string[];
  allowOutside?: boolean;
  /**
   * False: the experiment's own folder is not inside either (`fmtl eval` of a run folder that does
   * not lie in it: the run's meta.json, which names the experiment, is then not to be trusted).
   */
  experimentFolder?: boolean;
}

export interface TrainRequest {
  type: 'trainer/train';
  options: TrainRequestOptions;
}

/** Ask the trainer to stop after the current step; it writes the last checkpoint and `run/done` with status `stopped`. */
export interface StopRequest {
  type: 'trainer/stop';
}

/**
 * Request: answer typed inputs with a run's trained model (Try the model). The process loads the
 * model once per run folder and keeps it while it lives. Reply: `PredictReply`.
 */
export interface PredictRequest {
  type: 'trainer/predict';
  runDir: string;
  /** Sentences (text models) or CSV rows by column name (tabular models). */
  inputs: (string | Record<string, string>)[];
}

/** Reply to `trainer/predict`. */
export interface PredictReply {
  /** Per input: every task's answer at every pass. */
  predictions: InputPrediction[];
  tasks: PredictedTask[];
  iterations: number;
  /** The weights used: checkpoint kind, epoch, step. */
  checkpoint: { kind: 'best' | 'last'; epoch: number; step: number };
  /** Time to answer, load excluded (ms), and the load time when this request loaded the model. */
  ms: number;
  loadMs?: number;
}

/** Host -> trainer. */
export type TrainerCommand = TrainRequest | StopRequest | PredictRequest;

/** Type guard for messages arriving over IPC. */
export function isTrainerEvent(x: unknown): x is TrainerEvent {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string'
    && (x as { type: string }).type.startsWith('run/');
}

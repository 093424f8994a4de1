/**
 * The training loop: `train(experiment, data, options)`. A pure library function — progress leaves
 * only through `onEvent`; the process wrapper (`main.ts`) and the CLI forward the events.
 *
 * One step: forward (encoder once, towers K + 1 times) -> objective -> `tf.variableGrads` ->
 * optional global-norm clipping -> `optimizer.applyGradients`, all inside one `tf.tidy`; the numbers
 * the events need come back in ONE device read per step (`readout.ts`). Dropout masks and Gumbel
 * noise are derived from the seed and the global step, and the shuffle from the seed and the epoch,
 * so the same seed gives the same loss sequence, and a resumed run continues the same sequence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Experiment } from '../shared/experimentTypes';
import type { BackendInfo, EpochEvent, RunSummary, TaskMetrics, TrainerEvent } from '../shared/trainerProtocol';
import { makeBatches } from './data/batches';
import type { PreparedData } from './data/types';
import { evaluate, gateSummary, PredictionCollector, ReadoutMeans } from './evaluate';
import { buildModel, type FeedbackModel, type NamedTensor } from './model/feedbackModel';
import { gumbelTau } from './model/injection';
import { objective } from './model/objective';
import { clipByGlobalNorm, exportOptimizerState, importOptimizerState, makeOptimizer } from './model/optimizer';
import { packReadout, unpackReadout } from './model/readout';
import { Rng } from './rng';

/** Everything a checkpoint holds: weights and optimizer state by name, and where training was. */
export interface TrainState {
  weights: { name: string; tensor: tf.Tensor }[];
  optimizer: { name: string; tensor: tf.Tensor }[];
  /** Epochs completed. */
  epoch: number;
  /** Steps completed (global). */
  step: number;
}

/** Where checkpoints go (H1's fs-based store in a run; an in-memory fake in tests). */
export interface CheckpointStore {
  /** Persists `state` (the tensors are disposed after the promise settles); returns the path written. */
  save(kind: 'best' | 'last', state: TrainState): Promise<string>;
}

export interface TrainOptions {
  runId: string;
  onEvent(e: TrainerEvent): void;
  /** Abort: the current step finishes, `last` is saved, status `stopped`. */
  signal?: AbortSignal;
  /** Overrides `training.seed`. */
  seed?: number;
  backend: BackendInfo;
  experimentPath: string;
  runDir: string;
  checkpoints?: CheckpointStore;
  /** Continue from a saved state (weights, optimizer, epoch/step counters). */
  resume?: TrainState;
}

/** Metric names where lower is better. */
const LOWER_IS_BETTER = new Set(['rmse', 'mae', 'loss']);

/**
 * Trains `exp` on prepared data and returns the run summary. Emits `run/start`, `run/step` (every
 * step), `run/iterationDeltas` and `run/gates` (every `logEvery` steps in training, and once per
 * epoch on valid in eval mode), `run/epoch`, `run/checkpoint`, `run/done`. Throws on bad input or
 * internal errors (the caller reports `run/error`); the model is disposed either way.
 */
export async function train(exp: Experiment, data: PreparedData, opts: TrainOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const now = () => Math.round(performance.now() - t0);
  const { runId } = opts;
  const seed = opts.seed ?? exp.training.seed;
  const tr = exp.training;
  const logEvery = Math.max(1, tr.logEvery ?? 10);
  const monitor = resolveMonitor(exp);

  const model = buildModel(exp, data, seed);
  const optimizer = makeOptimizer(tr);
  let bestWeights: tf.Tensor[] | null = null;
  try {
    const stepsPerEpoch = Math.ceil(data.train.size / tr.batchSize);
    const totalSteps = Math.max(1, tr.epochs * stepsPerEpoch);
    let epoch = 0;
    let step = 0;
    if (opts.resume) {
      model.setWeights(opts.resume.weights);
      await importOptimizerState(optimizer, opts.resume.optimizer, model.namedVariables);
      epoch = opts.resume.epoch;
      step = opts.resume.step;
    }

    opts.onEvent({
      type: 'run/start', runId, t: now(), experimentPath: opts.experimentPath, runDir: opts.runDir,
      config: exp, backend: opts.backend, seed,
      sizes: {
        train: data.train.size, valid: data.valid.size, test: data.test?.size ?? 0,
        parameters: model.parameterCount, stepsPerEpoch,
        ...(data.vocab ? { vocab: data.vocab.tokens.length } : {}),
        labels: Object.fromEntries(model.tasks.filter((t) => t.kind !== 'regression').map((t) => [t.id, t.outDim])),
      },
    });

    let lastSavedAt = -1;
    const save = async (kind: 'best' | 'last', epochsDone: number): Promise<void> => {
      if (!opts.checkpoints) return;
      if (kind === 'last') { if (lastSavedAt === step) return; lastSavedAt = step; }
      const state = await snapshot(model, optimizer, epochsDone, step);
      try {
        const path = await opts.checkpoints.save(kind, state);
        opts.onEvent({ type: 'run/checkpoint', runId, t: now(), kind, epoch: epochsDone, step, path });
      } finally {
        for (const w of [...state.weights, ...state.optimizer]) w.tensor.dispose();
      }
    };

    let status: RunSummary['status'] = 'completed';
    let best = monitor.mode === 'max' ? -Infinity : Infinity;
    let bestEpoch = 0;
    let sinceBest = 0;
    let bestValid: TaskMetrics = {};
    let lastValid: TaskMetrics = {};
    const stepRate = tr.learningRate;

    while (epoch < tr.epochs && status === 'completed') {
      const e0 = performance.now();
      const batches = makeBatches(data.train, data, exp, { batchSize: tr.batchSize, shuffle: true, seed: shuffleSeed(seed, epoch) });
      const collector = new PredictionCollector(model, data, data.train);
      const means = new ReadoutMeans();
      // A resumed run skips the batches of its epoch that were already trained.
      const skip = Math.max(0, step - epoch * stepsPerEpoch);
      for (let i = skip; i < batches.length; i++) {
        if (opts.signal?.aborted) { status = 'stopped'; break; }
        const batch = batches[i];
        const s0 = performance.now();
        const tau = gumbelTau(exp.gumbel, step, totalSteps);
        const packed = tf.tidy(() => {
          let out: tf.Tensor1D | undefined;
          const { grads } = tf.variableGrads(() => {
            const res = model.forward(batch, { training: true, tau, step });
            const obj = objective(model, res, batch);
            // Kept past variableGrads' own tidy; disposed after the read below.
            out = tf.keep(packReadout(model, obj, res));
            return obj.total;
          }, model.variables);
          // Every variable in a fixed order (the optimizer's slots are positional); unused -> zeros.
          let g = model.variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
          if (tr.clipNorm && tr.clipNorm > 0) g = clipByGlobalNorm(g, tr.clipNorm);
          optimizer.applyGradients(model.variables.map((v, j) => ({ name: v.name, tensor: g[j] })));
          return out!;
        });
        const r = unpackReadout(model, packed.dataSync() as Float32Array, batch);
        packed.dispose();
        step++;
        collector.add(batch, r.predictions);
        means.add(r, batch.size);
        const byTask = <T>(a: T[]): Record<string, T> => Object.fromEntries(model.tasks.map((t, j) => [t.id, a[j]]));
        opts.onEvent({
          type: 'run/step', runId, t: now(), step, epoch: epoch + 1,
          losses: byTask(r.losses), convergence: byTask(r.convergence), total: r.total,
          lr: stepRate, tau, ms: performance.now() - s0,
        });
        if (!Number.isFinite(r.total)) {
          throw new Error(`the loss became ${r.total} at step ${step} (epoch ${epoch + 1}); try a lower learningRate or set training.clipNorm`);
        }
        if (step % logEvery === 0) {
          if (model.iterations > 0) {
            opts.onEvent({ type: 'run/iterationDeltas', runId, t: now(), step, epoch: epoch + 1, split: 'train', deltas: byTask(r.deltas) });
          }
          if (Object.keys(r.gateProbs).length) {
            opts.onEvent({ type: 'run/gates', runId, t: now(), step, epoch: epoch + 1, tau, gates: gatesOf(model, r.gateProbs) });
          }
        }
        // Let the event loop deliver a stop request (IPC, Ctrl-C) between steps.
        await new Promise<void>((res) => setImmediate(res));
      }
      if (status === 'stopped') break;
      epoch++;

      const valid = evaluate(model, data, exp, 'valid');
      if (model.iterations > 0) {
        opts.onEvent({ type: 'run/iterationDeltas', runId, t: now(), step, epoch, split: 'valid', deltas: valid.deltas });
      }
      if (Object.keys(valid.gates).length) {
        const gates = Object.fromEntries(Object.entries(valid.gates).map(([id, g]) => [id, { blocks: g.blocks, probs: g.probs }]));
        opts.onEvent({ type: 'run/gates', runId, t: now(), step, epoch, tau: gumbelTau(exp.gumbel, Math.max(0, step - 1), totalSteps), gates });
      }
      const trainMeans = means.means(model);
      const value = monitorValue(monitor.metric, valid.metrics, valid.losses);
      const improved = Number.isFinite(value) && (monitor.mode === 'max' ? value > best : value < best);
      if (improved) { best = value; bestEpoch = epoch; sinceBest = 0; bestValid = valid.metrics; }
      else sinceBest++;
      lastValid = valid.metrics;
      const ev: EpochEvent = {
        type: 'run/epoch', runId, t: now(), epoch, step,
        train: collector.metrics(), valid: valid.metrics, trainLoss: trainMeans.losses, validLoss: valid.losses,
        monitor: { metric: monitor.metric, value, best, improved }, ms: performance.now() - e0,
      };
      opts.onEvent(ev);
      if (improved) {
        if (data.test) { bestWeights?.forEach((t) => t.dispose()); bestWeights = model.variables.map((v) => tf.clone(v)); }
        await save('best', epoch);
      }
      await save('last', epoch);
      if (monitor.patience !== undefined && sinceBest > monitor.patience) status = 'early-stopped';
      if (opts.signal?.aborted && epoch < tr.epochs && status === 'completed') status = 'stopped';
    }
    if (status === 'stopped') await save('last', epoch);

    const gates = Object.fromEntries(Object.entries(gateSummary(model)).map(([id, g]) => [id, { block: g.block, prob: g.prob }]));
    let bestTest: TaskMetrics | undefined;
    if (data.test && bestWeights) {
      // The test split is scored once, with the weights of the best validation epoch.
      model.variables.forEach((v, j) => v.assign(bestWeights![j]));
      bestTest = evaluate(model, data, exp, 'test').metrics;
    }
    const summary: RunSummary = {
      status, epochs: epoch, steps: step, bestEpoch,
      best: { valid: bestValid, ...(bestTest ? { test: bestTest } : {}) },
      last: { valid: lastValid }, gates, durationMs: now(), backend: opts.backend.name,
    };
    opts.onEvent({ type: 'run/done', runId, t: now(), summary });
    return summary;
  } finally {
    bestWeights?.forEach((t) => t.dispose());
    optimizer.dispose();
    model.dispose();
  }
}

/** A copy of the model and optimizer state (the caller disposes the tensors). */
async function snapshot(model: FeedbackModel, optimizer: tf.Optimizer, epoch: number, step: number): Promise<TrainState> {
  const weights: NamedTensor[] = model.getWeights().map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
  const optState = (await exportOptimizerState(optimizer, model.namedVariables)).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
  return { weights, optimizer: optState, epoch, step };
}

function gatesOf(model: FeedbackModel, probs: Record<string, number[]>): Record<string, { blocks: number[]; probs: number[] }> {
  const out: Record<string, { blocks: number[]; probs: number[] }> = {};
  for (const a of model.arrows) if (probs[a.id]) out[a.id] = { blocks: [...a.injection.candidates], probs: probs[a.id] };
  return out;
}

/** A per-epoch shuffle seed derived from the run seed (stable, independent of other streams). */
function shuffleSeed(seed: number, epoch: number): number {
  return Math.floor(new Rng(seed).fork(`shuffle:${epoch}`).next() * 2 ** 31);
}

interface Monitor { metric: string; mode: 'max' | 'min'; patience?: number }

/**
 * The early-stopping / best-checkpoint monitor. Without `training.earlyStopping`, best checkpoints
 * still follow a default metric (SLU overall accuracy, else the first task's main metric) and
 * training runs all epochs.
 */
export function resolveMonitor(exp: Experiment): Monitor {
  const es = exp.training.earlyStopping;
  const metric = es?.metric ?? defaultMetric(exp);
  const leaf = metric.includes('.') ? metric.slice(metric.lastIndexOf('.') + 1) : metric;
  const mode = es?.mode ?? (LOWER_IS_BETTER.has(leaf) ? 'min' : 'max');
  if (metric !== 'overall') {
    const i = metric.lastIndexOf('.');
    const task = exp.tasks.find((t) => t.id === metric.slice(0, i));
    const known = task ? metricNames(task.kind) : [];
    if (i < 0 || !task || !known.includes(leaf)) {
      throw new Error(`training.earlyStopping.metric '${metric}' is not '<taskId>.<metric>' for a task of this experiment (e.g. ${exp.tasks.map((t) => `${t.id}.${metricNames(t.kind)[0]}`).join(', ')}) or 'overall'`);
    }
  }
  return { metric, mode, ...(es ? { patience: es.patience } : {}) };
}

function metricNames(kind: Experiment['tasks'][number]['kind']): string[] {
  return kind === 'classification' ? ['accuracy', 'macroF1', 'loss']
    : kind === 'tagging' ? ['f1', 'precision', 'recall', 'tokenAccuracy', 'loss'] : ['rmse', 'mae', 'loss'];
}

function defaultMetric(exp: Experiment): string {
  const kinds = exp.tasks.map((t) => t.kind);
  if (exp.data.format === 'slu' && kinds.filter((k) => k === 'classification').length === 1 && kinds.includes('tagging')) return 'overall';
  const t = exp.tasks[0];
  return `${t.id}.${metricNames(t.kind)[0]}`;
}

function monitorValue(metric: string, m: TaskMetrics, losses: Record<string, number>): number {
  if (metric === 'overall') return m._overall?.accuracy ?? NaN;
  const i = metric.lastIndexOf('.');
  const task = metric.slice(0, i), name = metric.slice(i + 1);
  if (name === 'loss') return losses[task] ?? NaN;
  return m[task]?.[name] ?? NaN;
}

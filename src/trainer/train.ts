/**
 * The training loop: `train(experiment, data, options)`. A pure library function — progress leaves
 * only through `onEvent`; the process wrapper (`main.ts`) and the CLI forward the events.
 *
 * One step: forward (encoder once, towers K + 1 times) -> objective -> `tf.variableGrads` ->
 * optional global-norm clipping -> `optimizer.applyGradients`, all inside one `tf.tidy`; the numbers
 * the events need come back in ONE device read per step (`readout.ts`). Dropout masks and Gumbel
 * noise are derived from the seed and the global step, and the shuffle from the seed and the epoch,
 * so the same seed gives the same loss sequence, and a resumed run continues the same sequence
 * (checkpoints also carry the early-stopping state, so a resumed run stops and picks its best epoch
 * exactly as the uninterrupted run would).
 *
 * Epoch metrics: `valid` and `train` are both computed in eval mode (no dropout, argmax gates) at the
 * end of the epoch — `train` on a fixed subset of at most `TRAIN_EVAL_EXAMPLES` training examples —
 * so the two are comparable (metrics taken from the training steps' own predictions would mix
 * dropout and weights that moved during the epoch). `trainLoss` stays the mean loss of the epoch's
 * training steps (train mode), the usual training-loss curve; in the first epoch after a mid-epoch
 * resume it covers only the steps since the resume (`resumedAtStep`, `stepsCounted` on the event).
 *
 * Failures: a non-finite loss or gradient stops the run before the bad update is applied; `last` is
 * saved from the state before that step (unless the weights themselves are no longer finite) and
 * `train` throws. Any other exception also saves `last` first when the weights are intact. `train`
 * never emits `run/error` itself: the caller (`runTraining`) reports every thrown error exactly once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dataInput, type Experiment } from '../shared/experimentTypes';
import { backendLabel, type BackendInfo, type EpochEvent, type RunSummary, type TaskMetrics, type TrainerEvent } from '../shared/trainerProtocol';
import { betterMode, metricLeaf, METRICS_BY_KIND } from '../shared/metrics/catalogue';
import { makeBatches } from '../data/batches';
import type { PreparedData } from '../data/types';
import { unseenLabels, unseenLabelsText } from '../data/unseenLabels';
import { evaluate, evaluateSplit, gateSummary, labelledCounts, ReadoutMeans, subsetSplit, trainEvalIndices } from './evaluate';
import { ExperimentFileError } from '../data/experimentFile';
import { buildModel, type FeedbackModel, type NamedTensor } from './model/feedbackModel';
import { gumbelTau } from './model/injection';
import { objective } from './model/objective';
import { clipByGlobalNorm, exportOptimizerState, globalNormSquared, importOptimizerState, makeOptimizer } from './model/optimizer';
import { packReadout, unpackReadout } from './model/readout';
import { LrSchedule, setLearningRate, type LrState } from './lrSchedule';
import { Rng } from '../shared/rng';
import { buildPredictions } from './predictionsFile';
import type { PredictionsFile } from '../shared/predictions/format';
import { dict, plain } from '../shared/dict';
import type { WeightingCheckpoint } from './checkpointStore';
import { LIVE_PREFIX, WeightAverage } from './model/weightAverage';
import { gradNormLayer, taskGradNorms } from './model/gradNormWeighting';
import { batchAccuracy } from './model/batchAccuracy';
import { faultPause, faultPauseDue } from '../runFolder/faultPause';

/** Everything a checkpoint holds: weights and optimizer state by name, and where training was. */
export interface TrainState {
  weights: { name: string; tensor: tf.Tensor }[];
  optimizer: { name: string; tensor: tf.Tensor }[];
  /** Epochs completed. */
  epoch: number;
  /** Steps completed (global). */
  step: number;
  /** Early-stopping state after the last completed epoch (absent in old checkpoints). */
  monitor?: MonitorState;
  /** The loss weighting's host-side state (DWA loss history, DTP KPIs, GradNorm weights; absent when it has none). */
  weighting?: WeightingCheckpoint;
}

/** Early-stopping state carried in checkpoints so a resumed run stops where the straight run would. */
export interface MonitorState {
  /** The monitored metric (a resumed run ignores the state if its metric differs). */
  metric: string;
  /** Best value so far (meaningless while `bestEpoch` is 0). */
  best: number;
  /** Epoch (1-based) of the best value; 0 = none yet. */
  bestEpoch: number;
  /** Epochs since the best one. */
  bad: number;
  /** Valid metrics of the best epoch (for the summary). */
  bestValid?: TaskMetrics;
  /** Global step at the end of the best epoch (absent in old checkpoints). */
  bestStep?: number;
  /** Learning-rate plateau state (`training.lrSchedule.decay: plateau`). */
  lr?: LrState;
}

/** Where the per-example predictions of the best checkpoint go (a run's `predictions/` folder). */
export interface PredictionsSink {
  save(file: PredictionsFile): void;
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
  /**
   * With `resume`: the weights of the resumed run's best checkpoint, so the test split is still
   * scored with the best validation epoch's weights when that epoch came before the interruption.
   */
  resumeBest?: { name: string; tensor: tf.Tensor }[];
  /** When given, valid and test are scored once more at the end with the best weights, keeping every example's answers. */
  predictions?: PredictionsSink;
}

/**
 * Trains `exp` on prepared data and returns the run summary. Emits `run/start`, `run/step` (every
 * step), `run/iterationDeltas` and `run/gates` (every `logEvery` steps in training, and once per
 * epoch on valid in eval mode), `run/epoch`, `run/checkpoint`, `run/done`, and one `run/log` naming
 * the train-metrics subset. Throws on bad input, divergence or internal errors, never emitting
 * `run/error` (the caller reports it, once); the model is disposed either way.
 */
export async function train(exp: Experiment, data: PreparedData, opts: TrainOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const now = () => Math.round(performance.now() - t0);
  const { runId } = opts;
  const seed = opts.seed ?? exp.training.seed;
  const tr = exp.training;
  const logEvery = Math.max(1, tr.logEvery ?? 10);
  const monitor = resolveMonitor(exp);
  const trainEval = trainEvalIndices(data.train.size, seed);
  const trainEvalSplit = trainEval.length === data.train.size ? data.train : subsetSplit(data.train, trainEval, 'train');

  const model = buildModel(exp, data, seed);
  const optimizer = makeOptimizer(tr);
  const averaging = tr.weightAveraging ? new WeightAverage(tr.weightAveraging, model.variables) : null;
  /** Runs `fn` on the weights that are scored: the average with weight averaging, else the trained ones. */
  const scored = <T>(fn: () => T): T => (averaging ? averaging.with(fn) : fn());
  let bestWeights: tf.Tensor[] | null = null;
  try {
    const stepsPerEpoch = Math.ceil(data.train.size / tr.batchSize);
    // Gumbel temperature horizon: a stated number of epochs (default: all planned epochs).
    const tauSteps = Math.max(1, Math.round((exp.gumbel.annealEpochs ?? tr.epochs) * stepsPerEpoch));
    const schedule = new LrSchedule(tr, stepsPerEpoch);
    let epoch = 0;
    let step = 0;
    if (opts.resume) {
      // With weight averaging the checkpoint's weights are the average and the trained weights
      // travel with the optimizer state (`live/<path>`).
      const live = opts.resume.optimizer.filter((w) => w.name.startsWith(LIVE_PREFIX)).map((w) => ({ name: w.name.slice(LIVE_PREFIX.length), tensor: w.tensor }));
      model.setWeights(opts.resume.weights);
      averaging?.restore(model.variables);
      if (live.length) model.setWeights(live);
      await importOptimizerState(optimizer, opts.resume.optimizer.filter((w) => !w.name.startsWith(LIVE_PREFIX)), model.namedVariables);
      epoch = opts.resume.epoch;
      step = opts.resume.step;
      const ws = opts.resume.weighting;
      if (ws) {
        if (ws.type !== model.weighting.type) throw new Error(`cannot resume: the checkpoint holds the state of loss weighting '${ws.type}', the experiment uses '${model.weighting.type}'`);
        model.weighting.restore(ws.state);
      }
      if (opts.resumeBest && (data.test || opts.predictions) && (opts.resume.monitor?.bestEpoch ?? 0) > 0) {
        const byName = new Map(opts.resumeBest.map((w) => [w.name, w.tensor]));
        if (model.namedVariables.every((v) => byName.get(v.name)?.size === v.variable.size)) {
          bestWeights = model.namedVariables.map((v) => tf.clone(byName.get(v.name)!));
        }
      }
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

    opts.onEvent({
      type: 'run/log', runId, t: now(), level: 'info',
      message: trainEvalSplit === data.train
        ? `train metrics: all ${data.train.size} training examples, eval mode, at each epoch end`
        : `train metrics: a fixed sample of ${trainEval.length} of ${data.train.size} training examples, eval mode, at each epoch end`,
    });
    opts.onEvent({ type: 'run/log', runId, t: now(), level: 'info', message: model.weighting.describe() });
    if (tr.weightAveraging) {
      opts.onEvent({ type: 'run/log', runId, t: now(), level: 'info', message: `weight averaging: every score (valid and train metrics, the best checkpoint, test, predictions) uses an exponential moving average of the weights, decay ${tr.weightAveraging.decay} (about the last ${Math.round(1 / (1 - tr.weightAveraging.decay))} steps); training continues from the trained weights` });
    }
    // GradNorm's W: the encoder's top layer (the last layer every task shares); under soft sharing
    // the top layers of all copies together (task t's loss reaches its own copy's).
    const normLayer = model.weighting.needs.gradNorms ? model.encoders.flatMap((c) => gradNormLayer(c.encoder.variables, c.scope)) : [];
    if (normLayer.length) {
      opts.onEvent({ type: 'run/log', runId, t: now(), level: 'info', message: `gradnorm: gradient norms on the encoder's top layer W = ${normLayer.map((v) => v.name).join(', ')} (${normLayer.reduce((n, v) => n + v.variable.size, 0)} parameters${model.encoders.length > 1 ? '; soft sharing: the top layers of all encoder copies' : ''}); each step runs one extra forward per task for them` });
    }
    const withPredictions = model.weighting.needs.accuracy;
    for (const message of unseenLabelsText(unseenLabels(data), data)) opts.onEvent({ type: 'run/log', runId, t: now(), level: 'warn', message });
    for (const t of model.tasks.filter((x) => x.kind === 'classification')) {
      opts.onEvent({
        type: 'run/log', runId, t: now(), level: 'info',
        message: `${t.id} macro-F1: the mean of per-class F1 over the classes that occur in the split's gold labels or predictions (${t.outDim} classes known from training; a class absent from both is left out)`,
      });
    }

    let status: RunSummary['status'] = 'completed';
    const mon: MonitorState = { metric: monitor.metric, best: monitor.mode === 'max' ? -Infinity : Infinity, bestEpoch: 0, bad: 0 };
    const rm = opts.resume?.monitor;
    if (rm && rm.metric === monitor.metric) {
      mon.bad = rm.bad;
      if (rm.bestEpoch > 0 && typeof rm.best === 'number' && !Number.isNaN(rm.best)) {
        mon.best = rm.best; mon.bestEpoch = rm.bestEpoch; mon.bestValid = rm.bestValid;
      }
    }
    if (rm) schedule.restore(rm.lr);
    let lastValid: TaskMetrics = {};

    let lastSavedAt = -1;
    const save = async (kind: 'best' | 'last', epochsDone: number): Promise<void> => {
      if (!opts.checkpoints) return;
      if (kind === 'last') { if (lastSavedAt === step) return; lastSavedAt = step; }
      const state = await snapshot(model, optimizer, averaging, epochsDone, step, { ...mon });
      try {
        const path = await opts.checkpoints.save(kind, state);
        opts.onEvent({ type: 'run/checkpoint', runId, t: now(), kind, epoch: epochsDone, step, path });
      } finally {
        for (const w of [...state.weights, ...state.optimizer]) w.tensor.dispose();
      }
    };

    // False while an update is being applied (the weights may be half-updated if it throws).
    let weightsIntact = true;
    /** After a failure: keep the progress in `last` if the weights are intact and finite. */
    const saveAfterFailure = async (): Promise<'saved' | 'not-finite' | 'failed' | 'none'> => {
      if (!opts.checkpoints || !weightsIntact) return 'none';
      try {
        const finite = tf.tidy(() => tf.all(tf.stack(model.variables.map((v) => tf.all(tf.isFinite(v))))).dataSync()[0]);
        if (!finite) return 'not-finite';
        await save('last', epoch);
        return 'saved';
      } catch {
        return 'failed'; // the original error is the one to report
      }
    };
    let failureHandled = false;

    try {
      while (epoch < tr.epochs && status === 'completed') {
        const e0 = performance.now();
        const batches = makeBatches(data.train, data, exp, { batchSize: tr.batchSize, shuffle: true, seed: shuffleSeed(seed, epoch) });
        const means = new ReadoutMeans();
        // A resumed run skips the batches of its epoch that were already trained; that epoch's
        // training loss then averages only the steps since the resume, and its event says so.
        const skip = Math.max(0, step - epoch * stepsPerEpoch);
        const resumedAtStep = skip > 0 ? step : undefined;
        for (let i = skip; i < batches.length; i++) {
          if (opts.signal?.aborted) { status = 'stopped'; break; }
          const batch = batches[i];
          const s0 = performance.now();
          const tau = gumbelTau(exp.gumbel, step, tauSteps);
          const lr = schedule.rate(step);
          setLearningRate(optimizer, lr);
          // Forward + backward; the readout (with the squared gradient norm appended) is read ONCE,
          // and the update is applied only if loss and gradients are finite. The backends run ops
          // eagerly, so reading before the update costs no overlap.
          const { packed, g } = tf.tidy(() => {
            let out: tf.Tensor1D | undefined;
            const { grads } = tf.variableGrads(() => {
              const res = model.forward(batch, { training: true, tau, step });
              const obj = objective(model, res, batch);
              // Kept past variableGrads' own tidy.
              out = tf.keep(packReadout(model, obj, res, withPredictions));
              return obj.total;
            }, model.variables);
            // Every variable in a fixed order (the optimizer's slots are positional); unused -> zeros.
            let g = model.variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
            const sq = globalNormSquared(g);
            if (tr.clipNorm && tr.clipNorm > 0) g = clipByGlobalNorm(g, tr.clipNorm, sq);
            // GradNorm: ||grad_W L_t|| per task on the shared layer, each from its own forward (same
            // step seed, so the same dropout masks and the same losses as above).
            const norms = normLayer.length ? [taskGradNorms(model, batch, { training: true, tau, step }, normLayer)] : [];
            const packed = tf.concat([out!, ...norms, tf.reshape(sq, [1])]) as tf.Tensor1D;
            out!.dispose(); // kept above, so this tidy would not free it
            return { packed, g };
          });
          let values: Float32Array;
          try {
            values = packed.dataSync() as Float32Array;
          } catch (e) {
            tf.dispose(g);
            throw e;
          } finally {
            packed.dispose();
          }
          const gradSq = values[values.length - 1];
          const nNorms = normLayer.length ? model.tasks.length : 0;
          const gradNorms = Array.from(values.subarray(values.length - 1 - nNorms, values.length - 1));
          const r = unpackReadout(model, values.subarray(0, values.length - 1 - nNorms), batch, withPredictions);
          const byTask = <T>(a: T[]): Record<string, T> => Object.fromEntries(model.tasks.map((t, j) => [t.id, a[j]]));
          if (!Number.isFinite(r.total) || !Number.isFinite(gradSq)) {
            tf.dispose(g);
            failureHandled = true;
            const saved = await saveAfterFailure();
            const what = Number.isFinite(r.total) ? `the gradient norm became ${Math.sqrt(gradSq)}` : `the loss became ${r.total}`;
            const losses = model.tasks.map((t, j) => `${t.id} ${fmt(r.losses[j])}`).join(', ');
            const kept = saved === 'saved' ? `the last checkpoint holds the weights after step ${step}`
              : saved === 'not-finite' ? 'the weights were no longer finite, so the previous last checkpoint was kept'
              : 'no checkpoint was written';
            throw new ExperimentFileError(
              `${what} at epoch ${epoch + 1} step ${step + 1} (task losses: ${losses}) — training stopped; ${kept}. ` +
              `Try a lower training.learningRate (now ${tr.learningRate})${tr.clipNorm ? ` or a smaller training.clipNorm (now ${tr.clipNorm})` : ' or set training.clipNorm (e.g. 5)'}.`,
              'training.learningRate', []);
          }
          weightsIntact = false;
          try {
            tf.tidy(() => optimizer.applyGradients(model.variables.map((v, j) => ({ name: v.name, tensor: g[j] }))));
          } finally {
            tf.dispose(g);
          }
          weightsIntact = true;
          model.weighting.observe({
            losses: r.losses,
            ...(withPredictions ? { accuracy: model.tasks.map((t) => batchAccuracy(t, r.predictions[t.id], batch)) } : {}),
            ...(nNorms ? { gradNorms } : {}),
          });
          step++;
          averaging?.update(step);
          means.add(r, batch.size, labelledCounts(model, batch));
          opts.onEvent({
            type: 'run/step', runId, t: now(), step, epoch: epoch + 1,
            losses: byTask(r.losses), convergence: byTask(r.convergence), weights: byTask(r.weights),
            ...(r.tie !== undefined ? { tie: r.tie } : {}), total: r.total,
            lr, tau, ms: performance.now() - s0,
          });
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
        model.weighting.endEpoch();
        epoch++;

        if (faultPauseDue('evaluation')) faultPause('evaluation');
        const valid = scored(() => evaluate(model, data, exp, 'valid'));
        if (model.iterations > 0) {
          opts.onEvent({ type: 'run/iterationDeltas', runId, t: now(), step, epoch, split: 'valid', deltas: valid.deltas });
        }
        if (Object.keys(valid.gates).length) {
          const gates = Object.fromEntries(Object.entries(valid.gates).map(([id, g]) => [id, { blocks: g.blocks, probs: g.probs }]));
          opts.onEvent({ type: 'run/gates', runId, t: now(), step, epoch, tau: gumbelTau(exp.gumbel, Math.max(0, step - 1), tauSteps), gates });
        }
        const trainEvalResult = scored(() => evaluateSplit(model, data, exp, trainEvalSplit, 'train'));
        const trainMeans = means.means(model);
        const value = monitorValue(monitor.metric, valid.metrics, valid.losses);
        const improved = Number.isFinite(value) && (mon.bestEpoch === 0 || (monitor.mode === 'max' ? value > mon.best : value < mon.best));
        if (improved) { mon.best = value; mon.bestEpoch = epoch; mon.bestStep = step; mon.bad = 0; mon.bestValid = valid.metrics; }
        else mon.bad++;
        if (schedule.onEpochEnd(improved)) {
          opts.onEvent({ type: 'run/log', runId, t: now(), level: 'info', message: `learning rate reduced to ${schedule.rate(step).toPrecision(3)} after epoch ${epoch} (${monitor.metric} did not improve)` });
        }
        mon.lr = schedule.state();
        lastValid = valid.metrics;
        const ev: EpochEvent = {
          type: 'run/epoch', runId, t: now(), epoch, step,
          train: trainEvalResult.metrics, valid: valid.metrics, trainLoss: trainMeans.losses, validLoss: valid.losses,
          monitor: { metric: monitor.metric, value, best: mon.best, improved }, ms: performance.now() - e0,
          ...(resumedAtStep !== undefined ? { resumedAtStep, stepsCounted: step - resumedAtStep } : {}),
        };
        opts.onEvent(ev);
        if (improved) {
          if (data.test || opts.predictions) { bestWeights?.forEach((t) => t.dispose()); bestWeights = (averaging ? averaging.averaged : model.variables).map((v) => tf.clone(v)); }
          await save('best', epoch);
        }
        await save('last', epoch);
        // patience N: stop after N epochs in a row without improvement.
        if (monitor.patience !== undefined && mon.bad >= monitor.patience) status = 'early-stopped';
        if (opts.signal?.aborted && epoch < tr.epochs && status === 'completed') status = 'stopped';
      }
      // `last` always ends at the final step: after a stop, and after a resume from a `best` newer
      // than `last` with nothing left to train (a kill between an epoch's best and last saves);
      // otherwise it was just saved at this step and this is a no-op.
      await save('last', epoch);
    } catch (err) {
      if (!failureHandled) await saveAfterFailure();
      throw err;
    }

    const gates = Object.fromEntries(Object.entries(gateSummary(model)).map(([id, g]) => [id, { block: g.block, prob: g.prob, blocks: g.blocks, probs: g.probs }]));
    let bestTest: TaskMetrics | undefined;
    if (bestWeights) {
      // The test split is scored once, with the weights of the best validation epoch; with a
      // predictions sink, valid is scored again with them too, keeping every example's answers.
      model.variables.forEach((v, j) => v.assign(bestWeights![j]));
      const checkpoint = { kind: 'best' as const, epoch: mon.bestEpoch, step: mon.bestStep ?? -1 };
      const keep = opts.predictions !== undefined;
      for (const split of ['valid', 'test'] as const) {
        const enc = data[split];
        if (!enc || (split === 'valid' && !keep)) continue;
        const r = evaluate(model, data, exp, split, { iterations: keep });
        if (split === 'test') bestTest = r.metrics;
        if (keep) {
          const w0 = performance.now();
          const file = buildPredictions(r, model.tasks, data, enc, { runId, checkpoint, iterations: model.iterations });
          opts.predictions!.save(file);
          opts.onEvent({ type: 'run/log', runId, t: now(), level: 'info', message: `predictions: ${split} (${enc.size} examples, passes 0..${model.iterations}, best checkpoint of epoch ${mon.bestEpoch}) written in ${Math.round(performance.now() - w0)} ms` });
        }
      }
    }
    const summary: RunSummary = {
      status, epochs: epoch, steps: step, bestEpoch: mon.bestEpoch,
      best: { valid: mon.bestValid ?? {}, ...(bestTest ? { test: bestTest } : {}) },
      last: { valid: lastValid }, gates, durationMs: now(), backend: backendLabel(opts.backend),
    };
    opts.onEvent({ type: 'run/done', runId, t: now(), summary });
    return summary;
  } finally {
    bestWeights?.forEach((t) => t.dispose());
    averaging?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** A copy of the model and optimizer state (the caller disposes the tensors). */
async function snapshot(model: FeedbackModel, optimizer: tf.Optimizer, averaging: WeightAverage | null, epoch: number, step: number, monitor: MonitorState): Promise<TrainState> {
  // With weight averaging: `weights` is the average (what is scored), the trained weights go with the optimizer state.
  const trained: NamedTensor[] = model.getWeights().map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
  const weights = averaging ? model.namedVariables.map((v, i) => ({ name: v.name, tensor: tf.clone(averaging.averaged[i]) })) : trained;
  const optState = (await exportOptimizerState(optimizer, model.namedVariables)).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
  if (averaging) optState.push(...trained.map((w) => ({ name: LIVE_PREFIX + w.name, tensor: w.tensor })));
  const ws = model.weighting.state();
  return { weights, optimizer: optState, epoch, step, monitor, ...(ws ? { weighting: { type: model.weighting.type, state: ws } } : {}) };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : String(v);
}

function gatesOf(model: FeedbackModel, probs: Record<string, number[]>): Record<string, { blocks: number[]; probs: number[] }> {
  const out: Record<string, { blocks: number[]; probs: number[] }> = dict();
  for (const a of model.arrows) if (probs[a.id]) out[a.id] = { blocks: [...a.injection.candidates], probs: probs[a.id] };
  return plain(out);
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
  const leaf = metricLeaf(metric);
  const mode = es?.mode ?? betterMode(metric);
  if (metric !== 'overall') {
    const i = metric.lastIndexOf('.');
    const task = exp.tasks.find((t) => t.id === metric.slice(0, i));
    const known = task ? metricNames(task.kind) : [];
    if (i < 0 || !task || !known.includes(leaf)) {
      throw new ExperimentFileError(`training.earlyStopping.metric '${metric}' is not '<taskId>.<metric>' for a task of this experiment (e.g. ${exp.tasks.map((t) => `${t.id}.${metricNames(t.kind)[0]}`).join(', ')}) or 'overall'`, 'training.earlyStopping.metric', []);
    }
  }
  return { metric, mode, ...(es ? { patience: es.patience } : {}) };
}

/** What early stopping can watch on a task: its reported metrics, then its loss. */
function metricNames(kind: Experiment['tasks'][number]['kind']): string[] {
  return [...METRICS_BY_KIND[kind], 'loss'];
}

function defaultMetric(exp: Experiment): string {
  const kinds = exp.tasks.map((t) => t.kind);
  if (dataInput(exp.data) === 'text' && kinds.filter((k) => k === 'classification').length === 1 && kinds.includes('tagging')) return 'overall';
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

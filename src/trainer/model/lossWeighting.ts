/**
 * Loss weighting: how the per-task losses become one objective. Each scheme is a plug-in in the
 * `lossWeightings` registry (LibMTL's `weighting/`): `fixed` (each task's `lossWeight`), and the
 * dynamic ones in their own files: `uncertainty` (uncertaintyWeighting.ts), `dwa` (dwaWeighting.ts),
 * `dtp` (dtpWeighting.ts), `gradnorm` (gradNormWeighting.ts).
 *
 * Every scheme weighs the task losses only; the convergence loss keeps its own weight lambda
 * (`objective.ts`). A weighting lives as long as its model: learned parameters are created through
 * its `ParamScope` (so they are model variables, trained by the model's optimizer and saved with the
 * weights), everything else it learns from the steps is host-side state that checkpoints carry as
 * JSON (`state` / `restore`), so a resumed run weighs its steps exactly as the straight run would.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossWeightingSpec, LossWeightingType, TaskKind } from '../../shared/experimentTypes';
import type { ParamScope } from './params';
import { Registry } from './registry';

/** What a weighting knows about a task. */
export interface WeightingTask {
  id: string;
  kind: TaskKind;
  /** The task's `lossWeight` (default 1); read by `fixed` only. */
  lossWeight: number;
}

/** What a training step tells the weighting after its update was applied (model.tasks order). */
export interface StepObservation {
  /** Unweighted task losses of the step's batch (train mode). */
  losses: readonly number[];
  /** Accuracy of the step's batch per task, in [0, 1] (when `needs.accuracy`). */
  accuracy?: readonly number[];
  /** ||grad_W L_t|| on the shared layer W per task, unweighted (when `needs.gradNorms`). */
  gradNorms?: readonly number[];
}

export interface LossWeighting {
  readonly type: LossWeightingType;
  /** What the training step must measure for `observe`. */
  readonly needs: { accuracy: boolean; gradNorms: boolean };
  /**
   * Weighted sum of the task losses and the weight each task got, [T] (inside the caller's tidy).
   * The weights are what the `run/step` event streams: the factor that multiplies L_t.
   */
  combine(taskLosses: readonly tf.Scalar[]): { total: tf.Scalar; weights: tf.Tensor1D };
  /** After each applied training step. */
  observe(o: StepObservation): void;
  /** After the last training step of an epoch. */
  endEpoch(): void;
  /** Host-side state for checkpoints (JSON); undefined when there is none. */
  state(): Record<string, unknown> | undefined;
  /** Restores `state()`; throws a message naming what does not fit. */
  restore(state: Record<string, unknown>): void;
  /** One line for the run log: the formula and its settings. */
  describe(): string;
}

export interface WeightingContext {
  tasks: readonly WeightingTask[];
  /** Scope for learned parameters (`lossWeighting/...`). */
  scope: ParamScope;
}

export type LossWeightingFactory = (spec: LossWeightingSpec, ctx: WeightingContext) => LossWeighting;

/** `lossWeighting.type` -> factory. */
export const lossWeightings = new Registry<LossWeightingFactory>('loss weighting');

/** sum_t w_t L_t for weights given as numbers (a constant: no gradient reaches the weights). */
export function weightedSum(taskLosses: readonly tf.Scalar[], weights: readonly number[]): { total: tf.Scalar; weights: tf.Tensor1D } {
  const w = tf.tensor1d(weights.slice());
  return { total: tf.sum(tf.mul(tf.stack(taskLosses as tf.Scalar[]), w)) as tf.Scalar, weights: w };
}

/** A weighting without host-side state or per-step measurements. */
export function stateless(type: LossWeightingType, combine: LossWeighting['combine'], describe: () => string): LossWeighting {
  return {
    type, needs: { accuracy: false, gradNorms: false }, combine, describe,
    observe: () => undefined, endEpoch: () => undefined, state: () => undefined, restore: () => undefined,
  };
}

/** Checks a restored number array: right length, finite entries. */
export function restoredNumbers(state: Record<string, unknown>, key: string, n: number, type: string): number[] {
  const v = state[key];
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`the checkpoint's '${type}' loss-weighting state has no valid '${key}' (${n} finite numbers expected)`);
  }
  return v as number[];
}

lossWeightings.register('fixed', (_spec, { tasks }) => {
  const w = tasks.map((t) => t.lossWeight);
  return stateless('fixed', (losses) => weightedSum(losses, w), () => `loss weighting fixed: sum of lossWeight_t * L_t (${tasks.map((t, i) => `${t.id} ${w[i]}`).join(', ')})`);
});

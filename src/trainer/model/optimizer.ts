/**
 * Optimizers from `training.optimizer`, gradient clipping, and the optimizer state in checkpoints.
 *
 * tfjs names optimizer slots after the tfjs variable names (`<var>/m`, `iter`), which are automatic
 * and differ between processes; checkpoints store them under the model's path names instead
 * (`tasks/slots/head/W/m`), so a run can be resumed in a new process.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingSpec } from '../../shared/experimentTypes';
import type { NamedTensor } from './feedbackModel';
import type { NamedVariable } from './params';
import { Registry } from './registry';

export type OptimizerFactory = (learningRate: number) => tf.Optimizer;

/** `training.optimizer` -> factory (tfjs defaults otherwise: Adam beta 0.9/0.999, RMSProp decay 0.9). */
export const optimizers = new Registry<OptimizerFactory>('optimizer')
  .register('adam', (lr) => tf.train.adam(lr))
  .register('sgd', (lr) => tf.train.sgd(lr))
  .register('rmsprop', (lr) => tf.train.rmsprop(lr));

export function makeOptimizer(t: TrainingSpec): tf.Optimizer {
  return optimizers.get(t.optimizer)(t.learningRate);
}

/** Sum of squares of all gradients (the squared global norm), a scalar tensor. */
export function globalNormSquared(grads: tf.Tensor[]): tf.Scalar {
  return tf.addN(grads.map((g) => tf.sum(tf.square(g)))) as tf.Scalar;
}

/**
 * Scales the gradients so their global L2 norm is at most `clipNorm` (no change below it). Tensor
 * ops only: no read back to the host. `sq` = `globalNormSquared(grads)` when the caller has it.
 */
export function clipByGlobalNorm(grads: tf.Tensor[], clipNorm: number, sq: tf.Scalar = globalNormSquared(grads)): tf.Tensor[] {
  const scale = tf.div(clipNorm, tf.maximum(tf.sqrt(sq), clipNorm));
  return grads.map((g) => tf.mul(g, scale));
}

/** Optimizer slots renamed from tfjs variable names to model path names (tensors are the live slots). */
export async function exportOptimizerState(opt: tf.Optimizer, vars: readonly NamedVariable[]): Promise<NamedTensor[]> {
  const byTf = new Map(vars.map((v) => [v.variable.name, v.name]));
  const ws = await opt.getWeights();
  return ws.map((w) => ({ name: renameSlot(w.name, byTf), tensor: w.tensor }));
}

/** Restores state saved by `exportOptimizerState` into `opt` for this model's variables. */
export async function importOptimizerState(opt: tf.Optimizer, state: readonly NamedTensor[], vars: readonly NamedVariable[]): Promise<void> {
  const byPath = new Map(vars.map((v) => [v.name, v.variable.name]));
  const renamed = state.map((w) => ({ name: renameSlot(w.name, byPath), tensor: w.tensor }));
  await opt.setWeights(renamed);
}

/** `<base>/<slot>` with base mapped through `names`; names without a mapped base stay as they are. */
function renameSlot(name: string, names: Map<string, string>): string {
  const i = name.lastIndexOf('/');
  if (i < 0) return name;
  const base = names.get(name.slice(0, i));
  return base === undefined ? name : `${base}/${name.slice(i + 1)}`;
}

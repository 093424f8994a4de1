/**
 * Loss weighting: how the per-task losses become one objective. A registry so that dynamic schemes
 * (uncertainty weighting, GradNorm, ...) are plug-ins later; `fixed` uses each task's `lossWeight`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Experiment } from '../../shared/experimentTypes';
import { Registry } from './registry';

export interface LossWeighting {
  /** Weighted sum of the task losses (same order as `exp.tasks`). */
  combine(taskLosses: readonly tf.Scalar[]): tf.Scalar;
}

export type LossWeightingFactory = (exp: Experiment) => LossWeighting;

/** `lossWeighting.type` -> factory. */
export const lossWeightings = new Registry<LossWeightingFactory>('loss weighting');

lossWeightings.register('fixed', (exp) => {
  const w = exp.tasks.map((t) => t.lossWeight ?? 1);
  return {
    combine: (losses) => losses.reduce<tf.Scalar>((acc, l, i) => tf.add(acc, tf.mul(l, w[i])), tf.scalar(0)),
  };
});

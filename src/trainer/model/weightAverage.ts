/**
 * Weight averaging (`training.weightAveraging`): an exponential moving average of the model's
 * variables, `avg <- d avg + (1 - d) w` after every update with `d = min(decay, (1 + step) / (10 + step))`
 * (`step` = updates before this one, so the first update keeps 1/10 of the initial weights and the
 * average follows the fast early changes; from a few thousand steps on `d = decay`).
 *
 * The trainer scores the average (valid/train metrics, best checkpoint, test, predictions) and trains
 * on the raw weights; `swapIn` / `swapOut` put the average into the model's variables for scoring and
 * the raw weights back. Checkpoints keep both (see `LIVE_PREFIX`), so a resumed run continues
 * exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WeightAveragingSpec } from '../../shared/experimentTypes';

/**
 * In a checkpoint of a run with weight averaging, `weights` holds the average (what every reader
 * scores and exports) and the raw training weights travel with the optimizer state under this
 * prefix (`live/<path>`), which the optimizer import skips.
 */
export const LIVE_PREFIX = 'live/';

/** The decay used for the update after `step` earlier updates. */
export function averagingDecay(spec: WeightAveragingSpec, step: number): number {
  return Math.min(spec.decay, (1 + step) / (10 + step));
}

export class WeightAverage {
  private readonly avg: tf.Variable[];
  private live: tf.Tensor[] | null = null;

  constructor(private readonly spec: WeightAveragingSpec, private readonly vars: readonly tf.Variable[]) {
    this.avg = vars.map((v) => tf.tidy(() => tf.clone(v).variable(false)));
  }

  /** After the update that made `step` updates in all (`step` >= 1). */
  update(step: number): void {
    const d = averagingDecay(this.spec, step - 1);
    tf.tidy(() => {
      const keep = tf.scalar(d);
      const take = tf.scalar(1 - d);
      this.vars.forEach((v, i) => this.avg[i].assign(tf.add(tf.mul(this.avg[i], keep), tf.mul(v, take))));
    });
  }

  /** The averaged tensors (live; clone what you keep). */
  get averaged(): readonly tf.Tensor[] { return this.avg; }

  /** Puts the average into the model's variables, keeping the raw weights aside. */
  swapIn(): void {
    if (this.live) throw new Error('weight average is already swapped in');
    this.live = this.vars.map((v) => tf.clone(v));
    this.vars.forEach((v, i) => v.assign(this.avg[i]));
  }

  /** Puts the raw training weights back. */
  swapOut(): void {
    if (!this.live) throw new Error('weight average is not swapped in');
    this.vars.forEach((v, i) => v.assign(this.live![i]));
    tf.dispose(this.live);
    this.live = null;
  }

  /** Scores with the average: `fn` runs with it in the variables, the raw weights are back after. */
  with<T>(fn: () => T): T {
    this.swapIn();
    try { return fn(); } finally { this.swapOut(); }
  }

  /** Sets the average (a resumed run: the checkpoint's `weights`). */
  restore(avg: readonly tf.Tensor[]): void {
    if (avg.length !== this.avg.length) throw new Error(`weight average: ${avg.length} tensors for ${this.avg.length} variables`);
    this.avg.forEach((a, i) => a.assign(avg[i]));
  }

  dispose(): void {
    tf.dispose(this.avg);
    if (this.live) tf.dispose(this.live);
    this.live = null;
  }
}

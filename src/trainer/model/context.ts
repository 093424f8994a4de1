/**
 * What a forward pass hands every plug-in: the batch as tensors, train/eval mode and dropout.
 *
 * Dropout masks are drawn from the seeded Rng (never Math.random), so the same seed and step give the
 * same masks. With `shared` masks (the default) one mask per dropout site is drawn on first use and
 * reused by every feedback iteration of the step: the iterates y^0..y^K then differ only because of
 * the feedback, and the convergence loss measures the feedback loop instead of dropout noise (an
 * independent implementation saw fresh masks inflate the term ~100x; see the README). `fresh` draws a
 * new mask per site and iteration.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../shared/rng';

/** A batch on the device. Built once per step from the data layer's typed arrays. */
export interface BatchTensors {
  size: number;
  seqLen: number;
  /** Text: token ids [B,T] (int32). */
  tokens?: tf.Tensor2D;
  /** Text: 1 for real tokens, 0 for padding [B,T] (float32). */
  mask?: tf.Tensor2D;
  /** Text with character features: character ids [B*T, wordLen] (int32). */
  chars?: tf.Tensor2D;
  /** 1 for real characters [B*T, wordLen]; a padding token counts one (pad) character. */
  charMask?: tf.Tensor2D;
  /** Tabular: features [B,F]. */
  features?: tf.Tensor2D;
}

/** Dropout with the step's mask policy. */
export class Dropout {
  /**
   * @param rng null in evaluation (dropout off).
   * @param mode `shared`: one mask per site for all iterations of the step; `fresh`: per iteration.
   */
  constructor(
    private readonly rng: Rng | null,
    private readonly mode: 'shared' | 'fresh',
    private readonly prefix = '',
    private readonly masks = new Map<string, tf.Tensor>(),
  ) {}

  /**
   * The same step's dropout with every site name prefixed (`encoders/intent/` + `encoder/gru1`):
   * soft sharing's encoder copies run one plug-in's code but must draw their own masks.
   */
  under(prefix: string): Dropout {
    return new Dropout(this.rng, this.mode, this.prefix + prefix, this.masks);
  }

  /**
   * Inverted dropout of `x` at a named site. `iteration` only matters in `fresh` mode. Sites must be
   * unique per layer (e.g. `slots/block1`), so two layers never share a mask by accident.
   */
  apply<T extends tf.Tensor>(x: T, rate: number | undefined, site: string, iteration = 0): T {
    if (!this.rng || !rate || rate <= 0) return x;
    if (rate >= 1) throw new Error(`dropout rate must be below 1 (got ${rate} at ${site})`);
    const key = this.mode === 'shared' ? this.prefix + site : `${this.prefix}${site}#${iteration}`;
    let mask = this.masks.get(key);
    if (!mask || !sameShape(mask.shape, x.shape)) {
      const keep = 1 / (1 - rate);
      const m = new Float32Array(x.size);
      const r = this.rng;
      for (let i = 0; i < m.length; i++) m[i] = r.next() >= rate ? keep : 0;
      mask = tf.tensor(m, x.shape);
      this.masks.set(key, mask);
    }
    return tf.mul(x, mask) as T;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Per-forward context passed to plug-ins. */
export interface ForwardCtx {
  training: boolean;
  batch: BatchTensors;
  dropout: Dropout;
  /** Feedback iteration being computed (0 = zero-feedback pass); the encoder sees 0. */
  iteration: number;
}

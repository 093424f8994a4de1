/**
 * Character-level word features (Ma & Hovy 2016): each word's characters are embedded, a 1-D
 * convolution of each window width runs over them ("same" padding: one window per character), and
 * the maximum over the word's real characters is the feature (windows reaching past the word see zeros). A word never seen in training (an
 * `<unk>` for the word embedding) is then still represented by its spelling.
 *
 * The convolution is `convSame` (`layers.ts`): one matrix product per width, shared with the
 * token CNN encoder (`cnnEncoder.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CharFeaturesSpec } from '../../shared/experimentTypes';
import { convSame, maskedMax } from './layers';
import type { ParamScope } from './params';

/** A built character CNN. */
export class CharCnn {
  /** Feature width per word: filters x widths. */
  readonly outDim: number;
  private readonly embedding: tf.Variable;
  private readonly kernels: { width: number; w: tf.Variable; b: tf.Variable }[];

  constructor(spec: Required<CharFeaturesSpec>, charVocabSize: number, scope: ParamScope) {
    this.embedding = scope.uniform('embedding', [charVocabSize, spec.embeddingDim], 0.05);
    this.kernels = spec.widths.map((width) => ({
      width,
      w: scope.weight(`conv${width}/W`, width * spec.embeddingDim, spec.filters),
      b: scope.zeros(`conv${width}/b`, spec.filters),
    }));
    this.outDim = spec.filters * spec.widths.length;
  }

  /**
   * chars [N, L] int32 (PAD-padded), mask [N, L] (1 = real character; every row needs at least one
   * 1 — give padding tokens one pad character) -> features [N, outDim], tanh of the max over the word.
   */
  apply(chars: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    // Characters past the word's end are zeros, like the "same" padding at its edges: a word's
    // features never depend on how far the batch pads its characters.
    const e = tf.mul(tf.gather(this.embedding, chars), tf.expandDims(mask, 2)) as tf.Tensor3D; // [N, L, C]
    const parts = this.kernels.map(({ width, w, b }) => maskedMax(convSame(e, width, w as tf.Tensor2D, b as tf.Tensor1D), mask));
    const pooled = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    return tf.tanh(pooled) as tf.Tensor2D;
  }
}

/**
 * What every text encoder reads (`TextInputSpec`): the word embedding of each token, with the
 * optional character features (`charCnn.ts`) concatenated to it. Word dropout (`wordDropout`) is not
 * applied here: the model replaces token ids by `<unk>` when it turns a training batch into tensors
 * (the encoder only reports the rate). One home for these options, so the BiGRU/BiLSTM, CNN and
 * Transformer encoders read words the same way and name their weights the same way
 * (`encoder/embedding`, `encoder/chars/...`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { charFeatures } from '../../shared/experiment';
import type { TextEncoderSpec } from '../../shared/experimentTypes';
import type { DataShape } from '../../data/types';
import { CharCnn } from './charCnn';
import type { ForwardCtx } from './context';
import type { ParamScope } from './params';

/** The embedded tokens of a text encoder. */
export class TextInput {
  /** Width of each token's vector: embeddingDim (+ the character features' width). */
  readonly outDim: number;
  private readonly embedding: tf.Variable;
  private readonly chars?: CharCnn;

  /** Throws a clear message when the data is not text or lacks what `spec.chars` needs. */
  constructor(spec: TextEncoderSpec, data: DataShape, scope: ParamScope) {
    if (data.kind !== 'text' || !data.vocab) {
      throw new Error(`encoder '${spec.type}' reads token sequences, but the data is tabular (use encoder 'mlp')`);
    }
    // Small uniform init, as Keras' Embedding does; the pad row is trained like any other but is
    // masked out of every pooled, recurrent, convolved or attended result.
    this.embedding = scope.uniform('embedding', [data.vocab.tokens.length, spec.embeddingDim], 0.05);
    const charSpec = charFeatures({ encoder: spec });
    if (charSpec && !data.charVocab) throw new Error("encoder.chars needs the characters of the training words, which this data has not");
    if (charSpec) this.chars = new CharCnn(charSpec, data.charVocab!.tokens.length, scope.scope('chars'));
    this.outDim = spec.embeddingDim + (this.chars?.outDim ?? 0);
  }

  /** The batch's tokens as vectors [B,T,outDim] (padding positions hold the pad row's vector). */
  apply(ctx: ForwardCtx, encoderName: string): tf.Tensor3D {
    const { tokens } = ctx.batch;
    if (!tokens || !ctx.batch.mask) throw new Error(`encoder '${encoderName}' needs batch tokens`);
    const emb = tf.gather(this.embedding, tokens) as tf.Tensor3D;
    if (!this.chars) return emb;
    const { chars: ids, charMask } = ctx.batch;
    if (!ids || !charMask) throw new Error("encoder.chars needs the batch's character ids");
    const [B, T] = tokens.shape;
    const f = tf.reshape(this.chars.apply(ids, charMask), [B, T, this.chars.outDim]);
    return tf.concat([emb, f], 2) as tf.Tensor3D;
  }
}

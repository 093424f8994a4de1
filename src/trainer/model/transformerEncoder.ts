/**
 * `transformer` encoder: the text input (`textInput.ts`: word embeddings, optional character
 * features), projected to the model width when its width differs, scaled by sqrt(width) (Vaswani
 * et al.), plus position encodings (`sinusoidal`, fixed, or `learned`, one trained vector per
 * position up to the data's maxLength), dropout, then a pre-LN Transformer stack (`transformer.ts`).
 * Token states [B,T,width] (zero at padding) and a sentence vector [B,2 width] = [mean | max] over
 * real tokens, as the recurrent encoders give. Padded keys get no attention, so the states of real
 * tokens do not depend on the padding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TRANSFORMER_DEFAULTS, type TransformerEncoderSpec } from '../../shared/experimentTypes';
import { encoders, type Encoder } from './encoder';
import { Dense, maskedMax, maskedMean } from './layers';
import { TextInput } from './textInput';
import { sinusoidalPositions, TransformerStack } from './transformer';

encoders.register('transformer', (spec, data, scope): Encoder => {
  const s = spec as TransformerEncoderSpec;
  const input = new TextInput(s, data, scope);
  const width = s.width;
  const project = input.outDim !== width ? new Dense(scope, 'input', input.outDim, width) : undefined;
  const positions = s.positions ?? TRANSFORMER_DEFAULTS.positions;
  let learned: tf.Variable | undefined;
  if (positions === 'learned') {
    if (!data.maxLength) throw new Error("encoder.positions 'learned' needs the data's maxLength (one vector per position)");
    learned = scope.uniform('positions', [data.maxLength, width], 0.05);
  }
  const stack = new TransformerStack(scope, { width, heads: s.heads, ffn: s.ffn ?? TRANSFORMER_DEFAULTS.ffnPerWidth * width, dropout: s.dropout },
    s.layers ?? TRANSFORMER_DEFAULTS.layers, 'encoder');
  let table: Float32Array = new Float32Array(0);
  return {
    variables: scope.variables,
    tokenDim: width,
    outDim: 2 * width,
    wordDropout: s.wordDropout ?? 0,
    apply(ctx) {
      const emb = input.apply(ctx, 'transformer');
      const mask = ctx.batch.mask!;
      const T = emb.shape[1];
      let pos: tf.Tensor2D;
      if (learned) {
        if (T > learned.shape[0]) throw new Error(`a batch of ${T} tokens is longer than the ${learned.shape[0]} learned positions (data.maxLength)`);
        pos = tf.slice(learned, [0, 0], [T, width]) as tf.Tensor2D;
      } else {
        if (table.length < T * width) table = sinusoidalPositions(T, width);
        pos = tf.tensor2d(table.subarray(0, T * width), [T, width]);
      }
      const x0 = tf.add(tf.mul(project ? project.apply(emb) : emb, Math.sqrt(width)), pos) as tf.Tensor3D;
      const x = stack.apply(ctx.dropout.apply(x0, s.dropout, 'encoder/embedding'), mask, ctx);
      const sentence = tf.concat([maskedMean(x, mask), maskedMax(x, mask)], 1) as tf.Tensor2D;
      return { tokens: x, sentence };
    },
  };
});

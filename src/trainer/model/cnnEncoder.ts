/**
 * `cnn` encoder: the text input (`textInput.ts`: word embeddings, optional character features)
 * through `layers` 1-D convolutions over the tokens (Collobert et al. 2011; Kim 2014's several
 * window widths side by side). Each layer runs one "same" convolution per width (`convSame`,
 * `layers.ts`, the char CNN's), concatenates them (width filters x widths) and applies the
 * activation, then dropout. Padding never leaks into real tokens: before every convolution the
 * padded positions are set to zero, exactly what a window reaching past the sentence's end sees,
 * so a token's state does not depend on what stands in the padding nor on how far the batch pads.
 * Token states [B,T,filters x widths] (zero at padding) and a sentence vector = [mean | max] over
 * real tokens, as the recurrent encoders give.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CNN_DEFAULTS, type CnnEncoderSpec } from '../../shared/experimentTypes';
import { encoders, type Encoder } from './encoder';
import { activate, convSame, maskedMax, maskedMean } from './layers';
import { TextInput } from './textInput';

encoders.register('cnn', (spec, data, scope): Encoder => {
  const s = spec as CnnEncoderSpec;
  const input = new TextInput(s, data, scope);
  const widths = s.widths ?? CNN_DEFAULTS.widths;
  const act = s.activation ?? CNN_DEFAULTS.activation;
  const layers: { width: number; w: tf.Variable; b: tf.Variable }[][] = [];
  let inDim = input.outDim;
  for (let i = 0; i < (s.layers ?? CNN_DEFAULTS.layers); i++) {
    layers.push(widths.map((width) => ({
      width,
      w: scope.weight(`conv${i + 1}/width${width}/W`, width * inDim, s.filters),
      b: scope.zeros(`conv${i + 1}/width${width}/b`, s.filters),
    })));
    inDim = s.filters * widths.length;
  }
  return {
    variables: scope.variables,
    tokenDim: inDim,
    outDim: 2 * inDim,
    wordDropout: s.wordDropout ?? 0,
    apply(ctx) {
      const mask = ctx.batch.mask;
      let x = input.apply(ctx, 'cnn');
      if (!mask) throw new Error("encoder 'cnn' needs a token mask");
      const m = tf.expandDims(mask, 2);
      x = ctx.dropout.apply(x, s.dropout, 'encoder/embedding');
      layers.forEach((convs, i) => {
        const xm = tf.mul(x, m) as tf.Tensor3D; // padding reads as zeros
        const parts = convs.map(({ width, w, b }) => convSame(xm, width, w as tf.Tensor2D, b as tf.Tensor1D));
        const y = activate(parts.length === 1 ? parts[0] : tf.concat(parts, 2), act) as tf.Tensor3D;
        x = ctx.dropout.apply(y, s.dropout, `encoder/conv${i + 1}`);
      });
      x = tf.mul(x, m) as tf.Tensor3D;
      const sentence = tf.concat([maskedMean(x, mask), maskedMax(x, mask)], 1) as tf.Tensor2D;
      return { tokens: x, sentence };
    },
  };
});

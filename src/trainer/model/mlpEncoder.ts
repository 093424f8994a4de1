/** `mlp` encoder: a dense stack over a tabular feature row (hard sharing across tasks). */
import * as tf from '@tensorflow/tfjs-core';
import type { MlpEncoderSpec } from '../../shared/experimentTypes';
import { encoders, type Encoder } from './encoder';
import { activate, Dense } from './layers';

encoders.register('mlp', (spec, data, scope): Encoder => {
  const s = spec as MlpEncoderSpec;
  if (data.kind !== 'tabular' || data.featureDim < 1) {
    throw new Error("encoder 'mlp' reads feature rows, but the data has none (text data needs encoder 'bigru' or 'bilstm')");
  }
  const act = s.activation ?? 'relu';
  const layers: Dense[] = [];
  let width = data.featureDim;
  s.hidden.forEach((units, i) => {
    layers.push(new Dense(scope, `dense${i + 1}`, width, units));
    width = units;
  });
  return {
    variables: scope.variables,
    outDim: width,
    apply(ctx) {
      const x0 = ctx.batch.features;
      if (!x0) throw new Error("encoder 'mlp' needs batch features");
      let x: tf.Tensor = x0;
      layers.forEach((l, i) => {
        x = ctx.dropout.apply(activate(l.apply(x), act), s.dropout, `encoder/dense${i + 1}`);
      });
      return { sentence: x as tf.Tensor2D };
    },
  };
});

/**
 * `bigru` and `bilstm` encoders (one factory, the recurrent cell differs: `gru.ts` / `lstm.ts`).
 *
 * `bigru` encoder: token embedding (with optional character features, `textInput.ts`) + a stack of bidirectional GRUs (`gru.ts`), then optional self-attention (`attention.ts`).
 * Returns the per-token states [B,T,W] (W = 2H, or 2H + dim with concatenated attention) and a
 * sentence vector [B,2W] = [mean | max] over real (non-pad) tokens. Word dropout (`wordDropout`) is
 * applied to the token ids by the model before the batch reaches `apply`.
 *
 * Causal states (what a language-model task reads): the forward half [B,T,H] of the FIRST recurrent
 * layer, after its dropout. Its state at t has read the embeddings of tokens 0..t only (word
 * embeddings and each word's own characters). Higher layers and the attention are not causal: a
 * second layer's forward direction reads the first layer's backward states, which have seen the
 * end of the sentence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BiGruEncoderSpec } from '../../shared/experimentTypes';
import { encoders, type Encoder, type EncoderFactory } from './encoder';
import { SelfAttention } from './attention';
import { BiGru } from './gru';
import { BiLstm } from './lstm';
import { maskedMax, maskedMean } from './layers';
import { TextInput } from './textInput';

/** One bidirectional recurrent layer: x [B,T,D] and mask [B,T] -> [B,T,2H]. */
interface Recurrent { apply(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D }

const recurrentEncoder = (cell: 'gru' | 'lstm'): EncoderFactory => (spec, data, scope): Encoder => {
  const s = spec as BiGruEncoderSpec;
  const name = cell === 'gru' ? 'bigru' : 'bilstm';
  const input = new TextInput(s, data, scope);
  const grus: Recurrent[] = [];
  let width = input.outDim;
  for (let i = 0; i < (s.layers ?? 1); i++) {
    if (cell === 'lstm') {
      grus.push(new BiLstm(scope.scope(`lstm${i + 1}`), width, s.hidden));
    } else {
      const g = new BiGru(scope.uniqueName(`gru${i + 1}`), width, s.hidden, scope.labelRng(`gru${i + 1}`));
      g.variables.forEach((v, j) => scope.adopt(`gru${i + 1}/${GRU_PARTS[j] ?? j}`, v));
      grus.push(g);
    }
    width = 2 * s.hidden;
  }
  const attention = s.attention ? new SelfAttention(s.attention, width, scope.scope('attention'), 'encoder/attention') : undefined;
  if (attention) width = attention.outDim;
  return {
    variables: scope.variables,
    tokenDim: width,
    causalDim: s.hidden,
    outDim: 2 * width,
    wordDropout: s.wordDropout ?? 0,
    apply(ctx) {
      const emb = input.apply(ctx, name);
      const mask = ctx.batch.mask!;
      let x = ctx.dropout.apply(emb, s.dropout, 'encoder/embedding');
      let causal: tf.Tensor3D | undefined;
      grus.forEach((g, i) => {
        x = ctx.dropout.apply(g.apply(x, mask), s.dropout, `encoder/${cell}${i + 1}`);
        if (i === 0) causal = tf.slice(x, [0, 0, 0], [-1, -1, s.hidden]) as tf.Tensor3D;
      });
      if (attention) x = attention.apply(x, mask, ctx);
      const sentence = tf.concat([maskedMean(x, mask), maskedMax(x, mask)], 1) as tf.Tensor2D;
      return { tokens: x, sentence, causal };
    },
  };
};

encoders.register('bigru', recurrentEncoder('gru'));
encoders.register('bilstm', recurrentEncoder('lstm'));

/** Names of BiGru's variables, in its documented order. */
const GRU_PARTS = ['kernel', 'bias', 'recurrent', 'recurrentBias'];

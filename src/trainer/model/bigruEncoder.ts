/**
 * `bigru` and `bilstm` encoders (one factory, the recurrent cell differs: `gru.ts` / `lstm.ts`).
 *
 * `bigru` encoder: token embedding (with optional character features, `charCnn.ts`, concatenated to
 * it) + a stack of bidirectional GRUs (`gru.ts`), then optional self-attention (`attention.ts`).
 * Returns the per-token states [B,T,W] (W = 2H, or 2H + dim with concatenated attention) and a
 * sentence vector [B,2W] = [mean | max] over real (non-pad) tokens. Word dropout (`wordDropout`) is
 * applied to the token ids by the model before the batch reaches `apply`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { charFeatures } from '../../shared/experiment';
import type { BiGruEncoderSpec } from '../../shared/experimentTypes';
import { CharCnn } from './charCnn';
import { encoders, type Encoder, type EncoderFactory } from './encoder';
import { SelfAttention } from './attention';
import { BiGru } from './gru';
import { BiLstm } from './lstm';
import { maskedMax, maskedMean } from './layers';

/** One bidirectional recurrent layer: x [B,T,D] and mask [B,T] -> [B,T,2H]. */
interface Recurrent { apply(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D }

const recurrentEncoder = (cell: 'gru' | 'lstm'): EncoderFactory => (spec, data, scope): Encoder => {
  const s = spec as BiGruEncoderSpec;
  const name = cell === 'gru' ? 'bigru' : 'bilstm';
  if (data.kind !== 'text' || !data.vocab) {
    throw new Error(`encoder '${name}' reads token sequences, but the data is tabular (use encoder 'mlp')`);
  }
  const vocabSize = data.vocab.tokens.length;
  // Small uniform init, as Keras' Embedding does; the pad row is trained like any other but is
  // masked out of every pooled or recurrent result.
  const embedding = scope.uniform('embedding', [vocabSize, s.embeddingDim], 0.05);
  const charSpec = charFeatures({ encoder: s });
  if (charSpec && !data.charVocab) throw new Error("encoder.chars needs the characters of the training words, which this data has not");
  const chars = charSpec ? new CharCnn(charSpec, data.charVocab!.tokens.length, scope.scope('chars')) : undefined;
  const grus: Recurrent[] = [];
  let width = s.embeddingDim + (chars?.outDim ?? 0);
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
    outDim: 2 * width,
    wordDropout: s.wordDropout ?? 0,
    apply(ctx) {
      const { tokens, mask } = ctx.batch;
      if (!tokens || !mask) throw new Error(`encoder '${name}' needs batch tokens`);
      let emb = tf.gather(embedding, tokens) as tf.Tensor3D;
      if (chars) {
        const { chars: ids, charMask } = ctx.batch;
        if (!ids || !charMask) throw new Error("encoder.chars needs the batch's character ids");
        const [B, T] = tokens.shape;
        const f = tf.reshape(chars.apply(ids, charMask), [B, T, chars.outDim]);
        emb = tf.concat([emb, f], 2) as tf.Tensor3D;
      }
      let x = ctx.dropout.apply(emb, s.dropout, 'encoder/embedding');
      grus.forEach((g, i) => {
        x = ctx.dropout.apply(g.apply(x, mask), s.dropout, `encoder/${cell}${i + 1}`);
      });
      if (attention) x = attention.apply(x, mask, ctx);
      const sentence = tf.concat([maskedMean(x, mask), maskedMax(x, mask)], 1) as tf.Tensor2D;
      return { tokens: x, sentence };
    },
  };
};

encoders.register('bigru', recurrentEncoder('gru'));
encoders.register('bilstm', recurrentEncoder('lstm'));

/** Names of BiGru's variables, in its documented order. */
const GRU_PARTS = ['kernel', 'bias', 'recurrent', 'recurrentBias'];

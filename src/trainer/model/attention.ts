/**
 * Multi-head self-attention over the encoder's token states (Vaswani et al. 2017), the optional
 * `encoder.attention` layer of the text encoders (as in Stack-Propagation, SF-ID and
 * Co-Interactive, which attend over their BiLSTM states):
 *
 *   Q, K, V = x W_q + b_q, x W_k + b_k, x W_v + b_v          (each [B,T,dim], `heads` heads of dim/heads)
 *   A_h = softmax(Q_h K_h^T / sqrt(dim/heads) + padding bias)  (keys at padding get -1e9: weight 0)
 *   a   = [A_1 V_1 | ... | A_heads V_heads]                   [B,T,dim]
 *
 * then `combine`: `concat` (default, Stack-Propagation's choice) gives [x | a] (width D + dim);
 * `add` gives x + a W_o (residual, width D; no layer norm). Dropout (the spec's rate) is applied to
 * the attention weights in training. Outputs at padded positions are zero, so nothing downstream
 * (pooling, towers, CRF) can depend on what stands in padding.
 *
 * The masked multi-head core (`maskedAttention`) is shared with the Transformer layers
 * (`transformer.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionSpec } from '../../shared/experimentTypes';
import type { ForwardCtx } from './context';
import { Dense } from './layers';
import type { ParamScope } from './params';

/** The self-attention layer; see the file comment. */
export class SelfAttention {
  readonly outDim: number;
  private readonly q: Dense;
  private readonly k: Dense;
  private readonly v: Dense;
  private readonly o?: Dense;
  private readonly heads: number;
  private readonly dim: number;

  constructor(readonly spec: AttentionSpec, readonly inDim: number, scope: ParamScope, private readonly site: string) {
    this.heads = spec.heads;
    this.dim = spec.dim;
    if (this.dim % this.heads !== 0) throw new Error(`attention dim ${this.dim} must be a multiple of heads ${this.heads}`);
    this.q = new Dense(scope, 'query', inDim, this.dim);
    this.k = new Dense(scope, 'key', inDim, this.dim);
    this.v = new Dense(scope, 'value', inDim, this.dim);
    const add = (spec.combine ?? 'concat') === 'add';
    if (add) this.o = new Dense(scope, 'output', this.dim, inDim);
    this.outDim = add ? inDim : inDim + this.dim;
  }

  /** x [B,T,D], mask [B,T] (1 = real token) -> [B,T,outDim]. */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardCtx): tf.Tensor3D {
    const a = maskedAttention(this.q.apply(x), this.k.apply(x), this.v.apply(x), mask, this.heads,
      (w) => ctx.dropout.apply(w, this.spec.dropout, this.site));
    const m = tf.expandDims(mask, 2);
    if (this.o) return tf.mul(tf.add(x, this.o.apply(a)), m) as tf.Tensor3D;
    return tf.mul(tf.concat([x, a], 2), m) as tf.Tensor3D;
  }
}

/**
 * Scaled dot-product attention of `heads` heads with padded keys masked: q, k, v [B,T,dim] (heads
 * side by side on the last axis), mask [B,T] -> [B,T,dim]. A padded key's score gets -1e9 before
 * the softmax, so its weight is exactly 0 and no real query reads it; `dropWeights` is applied to
 * the weights [B,heads,T,T] (dropout in training). Rows of padded queries are left as they come:
 * callers zero them.
 */
export function maskedAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor2D, heads: number, dropWeights: (w: tf.Tensor) => tf.Tensor): tf.Tensor3D {
  const [B, T, dim] = q.shape as [number, number, number];
  const dk = dim / heads;
  const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, heads, dk]), [0, 2, 1, 3]); // [B,h,T,dk]
  const bias = tf.reshape(tf.mul(tf.sub(mask, 1), 1e9), [B, 1, 1, T]);
  const scores = tf.add(tf.mul(tf.matMul(split(q), split(k), false, true), 1 / Math.sqrt(dk)), bias);
  const weights = dropWeights(tf.softmax(scores));
  return tf.reshape(tf.transpose(tf.matMul(weights, split(v)), [0, 2, 1, 3]), [B, T, dim]) as tf.Tensor3D;
}

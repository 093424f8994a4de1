/**
 * Transformer layers (Vaswani et al. 2017) in the pre-layer-norm arrangement (Xiong et al. 2020),
 * which trains small models without a learning-rate warm-up:
 *
 *   a = x + drop(MHA(LN1(x)))          MHA: multi-head self-attention, padded keys masked
 *   y = a + drop(FFN(LN2(a)))          FFN: relu(z W1 + b1) W2 + b2
 *
 * A stack of them ends in a layer norm. The attention core is `maskedAttention` (`attention.ts`,
 * shared with the encoders' optional self-attention); dropout (the stack's rate) also falls on the
 * attention weights. Every other operation works per token, so the outputs at real tokens do not
 * depend on what stands in padding; the stack's outputs at padded positions are zero. Used by the
 * `transformer` encoder (`transformerEncoder.ts`) and the `transformer` block (`block.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { maskedAttention } from './attention';
import type { ForwardCtx } from './context';
import { Dense, LayerNorm } from './layers';
import type { ParamScope } from './params';

/** Widths and rates of a stack. */
export interface TransformerShape {
  /** Model width (input and output of every layer); a multiple of `heads`. */
  width: number;
  heads: number;
  /** Feed-forward width. */
  ffn: number;
  /** Dropout rate (input of the stack excluded: the caller applies its own). */
  dropout?: number;
}

/** One pre-LN layer; see the file comment. Weights under `scope`: norm1, attention/{query,key,value,output}, norm2, ffn1, ffn2. */
class TransformerLayer {
  private readonly norm1: LayerNorm;
  private readonly q: Dense;
  private readonly k: Dense;
  private readonly v: Dense;
  private readonly o: Dense;
  private readonly norm2: LayerNorm;
  private readonly ffn1: Dense;
  private readonly ffn2: Dense;

  constructor(scope: ParamScope, private readonly shape: TransformerShape, private readonly site: string) {
    const d = shape.width;
    this.norm1 = new LayerNorm(scope, 'norm1', d);
    const att = scope.scope('attention');
    this.q = new Dense(att, 'query', d, d);
    this.k = new Dense(att, 'key', d, d);
    this.v = new Dense(att, 'value', d, d);
    this.o = new Dense(att, 'output', d, d);
    this.norm2 = new LayerNorm(scope, 'norm2', d);
    this.ffn1 = new Dense(scope, 'ffn1', d, shape.ffn);
    this.ffn2 = new Dense(scope, 'ffn2', shape.ffn, d);
  }

  apply(x: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardCtx, iteration: number): tf.Tensor3D {
    const rate = this.shape.dropout;
    const z = this.norm1.apply(x);
    const a = maskedAttention(this.q.apply(z), this.k.apply(z), this.v.apply(z), mask, this.shape.heads,
      (w) => ctx.dropout.apply(w, rate, `${this.site}/attention`, iteration));
    const h = tf.add(x, ctx.dropout.apply(this.o.apply(a), rate, `${this.site}/attentionOut`, iteration)) as tf.Tensor3D;
    const f = this.ffn2.apply(tf.relu(this.ffn1.apply(this.norm2.apply(h))));
    return tf.add(h, ctx.dropout.apply(f, rate, `${this.site}/ffn`, iteration)) as tf.Tensor3D;
  }
}

/** `layers` pre-LN Transformer layers and a final layer norm: [B,T,width] -> [B,T,width]. */
export class TransformerStack {
  private readonly layers: TransformerLayer[];
  private readonly norm: LayerNorm;

  /**
   * @param scope weights go to `layer<i>/...` and `norm/...` under it.
   * @param site dropout site prefix (e.g. `encoder`, `slots/block1`).
   */
  constructor(scope: ParamScope, shape: TransformerShape, layers: number, site: string) {
    if (shape.width % shape.heads !== 0) throw new Error(`transformer width ${shape.width} must be a multiple of heads ${shape.heads}`);
    this.layers = Array.from({ length: layers }, (_, i) => new TransformerLayer(scope.scope(`layer${i + 1}`), shape, `${site}/layer${i + 1}`));
    this.norm = new LayerNorm(scope, 'norm', shape.width);
  }

  /** x [B,T,width], mask [B,T] (1 = real token) -> [B,T,width], zero at padding. */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardCtx, iteration = 0): tf.Tensor3D {
    let h = x;
    for (const l of this.layers) h = l.apply(h, mask, ctx, iteration);
    return tf.mul(this.norm.apply(h), tf.expandDims(mask, 2)) as tf.Tensor3D;
  }
}

/**
 * The fixed sinusoidal position encodings of Vaswani et al. for positions 0..T-1 at width d:
 * PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)); [T*d], row-major.
 */
export function sinusoidalPositions(T: number, d: number): Float32Array {
  const pe = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < d; i += 2) {
      const angle = t / Math.pow(10000, i / d);
      pe[t * d + i] = Math.sin(angle);
      if (i + 1 < d) pe[t * d + i + 1] = Math.cos(angle);
    }
  }
  return pe;
}

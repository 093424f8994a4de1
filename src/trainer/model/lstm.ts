/**
 * Bidirectional LSTM over padded batches, in PyTorch's formulation (gate order i, f, g, o):
 *
 *   [i f g o] = x W_i + b + h W_h
 *   c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),   h' = σ(o) ⊙ tanh(c')
 *
 * (PyTorch's two biases b_ih + b_hh are one bias here: the same model.) Masking as in the BiGRU
 * (`gru.ts`): padded steps keep the previous state and cell, so the backward direction starts from
 * zero at each sequence's real end; outputs at padded steps are zero.
 *
 * Parameters (direction order forward, backward), initialised uniform in ±1/√H as PyTorch does:
 * - `kernel` [D, 8H]: input weights, columns [fw i f g o | bw i f g o]; `bias` [8H], same order
 * - `recurrent` [2, H, 4H]: recurrent weights per direction
 *
 * Speed: plain tfjs ops with tfjs's own gradients, both directions in lockstep (the backward one on
 * time-reversed inputs) as one batched matMul and one set of element-wise ops per timestep, so a
 * step costs ~20 ops whatever the batch. No fused or native kernel yet (the BiGRU has both): on
 * SNIPS shapes a BiLSTM encoder step is measurably slower than the BiGRU's — see the README.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamScope } from './params';

/** Names of the layer's variables, in its `variables` order. */
export const LSTM_PARTS = ['kernel', 'bias', 'recurrent'] as const;

export class BiLstm {
  readonly variables: tf.Variable[];
  private readonly kernel: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly recurrent: tf.Variable;

  /** Creates `kernel`, `bias` and `recurrent` under `scope` (e.g. `encoder/lstm1/kernel`). */
  constructor(scope: ParamScope, readonly inputDim: number, readonly hidden: number) {
    const bound = 1 / Math.sqrt(hidden);
    this.kernel = scope.uniform('kernel', [inputDim, 8 * hidden], bound);
    this.bias = scope.uniform('bias', [8 * hidden], bound);
    this.recurrent = scope.uniform('recurrent', [2, hidden, 4 * hidden], bound);
    this.variables = [this.kernel, this.bias, this.recurrent];
  }

  /**
   * x [B,T,Dx] with mask [B,T] (1 = real token) -> [B,T,2H] = [forward | backward]. `extra`
   * [B,T,E] is concatenated to x as input (Dx + E = inputDim); absent or null means zeros.
   */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D, extra?: tf.Tensor3D | null): tf.Tensor3D {
    const [B, T, Dx] = x.shape;
    const De = this.inputDim - Dx;
    if (De < 0 || (extra && extra.shape[2] !== De)) {
      throw new Error(`BiLstm: input width ${Dx}${extra ? ` + extra ${extra.shape[2]}` : ''} does not match inputDim ${this.inputDim}`);
    }
    const H = this.hidden, G = 4 * H;
    let input: tf.Tensor3D = x;
    if (De > 0) input = tf.concat([x, extra ?? tf.zeros([B, T, De])], 2) as tf.Tensor3D;
    const xp = tf.reshape(tf.add(tf.matMul(tf.reshape(input, [B * T, this.inputDim]), this.kernel), this.bias), [B, T, 2 * G]);
    const [xpFw, xpBw] = tf.split(xp, 2, 2);
    const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
    // Per timestep s: [2, B, ...] with the backward direction reading time T-1-s.
    const steps = tf.unstack(tf.transpose(tf.stack([xpFw, tf.reverse(xpBw, 1)]), [2, 0, 1, 3])); // T x [2,B,4H]
    const masks = tf.unstack(tf.expandDims(tf.transpose(tf.stack([m, tf.reverse(m, 1)]), [2, 0, 1]), 3)); // T x [2,B,1]
    let h: tf.Tensor = tf.zeros([2, B, H]);
    let c: tf.Tensor = tf.zeros([2, B, H]);
    const outs: tf.Tensor[] = [];
    for (let s = 0; s < T; s++) {
      const z = tf.add(steps[s], tf.matMul(h, this.recurrent));
      const [i, f, g, o] = tf.split(z, 4, 2);
      const cNew = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew));
      const ms = masks[s];
      c = tf.add(c, tf.mul(ms, tf.sub(cNew, c)));
      h = tf.add(h, tf.mul(ms, tf.sub(hNew, h)));
      outs.push(tf.mul(h, ms));
    }
    const y = tf.stack(outs, 2); // [2, B, T, H]
    const [fw, bw] = tf.unstack(y);
    return tf.concat([fw, tf.reverse(bw, 1)], 2) as tf.Tensor3D;
  }
}

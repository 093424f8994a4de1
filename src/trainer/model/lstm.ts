/**
 * Bidirectional LSTM over padded batches, in PyTorch's formulation (gate order i, f, g, o):
 *
 *   [i f g o] = x W_i + b + h W_h
 *   c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),   h' = σ(o) ⊙ tanh(c')
 *
 * (PyTorch's two biases b_ih + b_hh are one bias here: the same model.) Padding as packed
 * sequences in PyTorch: each direction starts from zero at its sentence's first token in reading
 * order (the backward one at the real end), states past a sentence's end are never read, and
 * outputs at padded steps are zero.
 *
 * Parameters (direction order forward, backward), initialised uniform in ±1/√H as PyTorch does:
 * - `kernel` [D, 8H]: input weights, columns [fw i f g o | bw i f g o]; `bias` [8H], same order
 * - `recurrent` [2, H, 4H]: recurrent weights per direction
 *
 * Speed: plain tfjs ops with tfjs's own gradients, both directions in lockstep (the backward one on
 * inputs reversed within each sentence's length) as one batched matMul and one set of element-wise
 * ops per timestep, so a step costs ~12 ops whatever the batch. No fused or native kernel yet (the BiGRU has both): on
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
    const xp = tf.reshape(tf.add(tf.matMul(tf.reshape(input, [B * T, this.inputDim]), this.kernel), this.bias), [B * T, 2 * G]);
    const [xpFw, xpBw] = tf.split(xp, 2, 1);
    const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
    // The backward direction reads each sentence reversed within its own length, so padding comes
    // last in both directions: states after a sentence's end are never read (their outputs are
    // masked to zero), and no per-step state masking is needed.
    const rev = tf.tensor1d(reverseWithinLength(m.dataSync(), B, T), 'int32');
    const bwIn = tf.reshape(tf.gather(xpBw, rev), [B, T, G]);
    const steps = tf.unstack(tf.transpose(tf.stack([tf.reshape(xpFw, [B, T, G]), bwIn]), [2, 0, 1, 3])); // T x [2,B,4H]
    let h: tf.Tensor = tf.zeros([2, B, H]);
    let c: tf.Tensor = tf.zeros([2, B, H]);
    const outs: tf.Tensor[] = [];
    for (let s = 0; s < T; s++) {
      const z = tf.add(steps[s], tf.matMul(h, this.recurrent));
      const [i, f, g, o] = tf.split(z, 4, 2);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      outs.push(h);
    }
    const [fw, bw] = tf.unstack(tf.stack(outs, 2)); // each [B, T, H]
    const bwOut = tf.reshape(tf.gather(tf.reshape(bw, [B * T, H]), rev), [B, T, H]);
    return tf.mul(tf.concat([fw, bwOut], 2), tf.expandDims(m, 2)) as tf.Tensor3D;
  }
}

/**
 * Row indices [B*T] that reverse each sentence within its length (mask [B,T], 1 = real token):
 * position t < n of sentence b reads t' = n-1-t; padding stays where it is. Its own inverse.
 */
export function reverseWithinLength(mask: ArrayLike<number>, B: number, T: number): Int32Array {
  const idx = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t] > 0) n++;
    for (let t = 0; t < T; t++) idx[b * T + t] = b * T + (t < n ? n - 1 - t : t);
  }
  return idx;
}
